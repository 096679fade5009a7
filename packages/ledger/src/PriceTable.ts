/**
 * The price list Switchyard ships: public list prices (USD per million tokens) of the main models of
 * OpenAI, Anthropic, Google and xAI, as published by each provider in November 2025. Operators
 * override or extend it with `PRICING_FILE` (see `Pricing.ts`).
 *
 * Only standard (synchronous, non-batch, default-tier) rates are listed. Not modelled: batch
 * discounts, priority tiers, long-context surcharges (Anthropic > 200 k tokens on Sonnet 4/4.5,
 * Gemini Pro > 200 k), Anthropic's 1-hour cache writes (5-minute rate used), Gemini cache storage
 * per hour, audio / image token rates.
 */

/** One model's rates in USD per million tokens, as a provider's price page states them. */
export interface ListPrice {
  /** Plain (uncached) input tokens. */
  readonly input: number
  /** Output tokens, reasoning included unless `reasoning` is set. */
  readonly output: number
  /** Input tokens read from the prompt cache; absent → billed at `input` (explicit fallback). */
  readonly cachedInput?: number
  /** Input tokens written to the prompt cache; absent → billed at `input` (explicit fallback). */
  readonly cacheWrite?: number
  /** Reasoning tokens, when a provider prices them apart from output; absent → `output`. */
  readonly reasoning?: number
}

/** Shipped prices by provider, then by model family (matched by `Pricing`, longest prefix first). */
export const SHIPPED_PRICES: Readonly<Record<string, Readonly<Record<string, ListPrice>>>> = {
  // https://openai.com/api/pricing — no cache-write charge: OpenAI caches automatically and does not
  // report cache-creation tokens, so the input fallback never applies in practice.
  openai: {
    "gpt-5": { input: 1.25, output: 10, cachedInput: 0.125 },
    "gpt-5.1": { input: 1.25, output: 10, cachedInput: 0.125 },
    "gpt-5-mini": { input: 0.25, output: 2, cachedInput: 0.025 },
    "gpt-5-nano": { input: 0.05, output: 0.4, cachedInput: 0.005 },
    "gpt-5-pro": { input: 15, output: 120 },
    "gpt-4.1": { input: 2, output: 8, cachedInput: 0.5 },
    "gpt-4.1-mini": { input: 0.4, output: 1.6, cachedInput: 0.1 },
    "gpt-4.1-nano": { input: 0.1, output: 0.4, cachedInput: 0.025 },
    "gpt-4o": { input: 2.5, output: 10, cachedInput: 1.25 },
    // The first gpt-4o snapshot kept its launch price.
    "gpt-4o-2024-05-13": { input: 5, output: 15 },
    "chatgpt-4o-latest": { input: 5, output: 15 },
    "gpt-4.5-preview": { input: 75, output: 150, cachedInput: 37.5 },
    "codex-mini-latest": { input: 1.5, output: 6, cachedInput: 0.375 },
    "computer-use-preview": { input: 3, output: 12 },
    "o3-deep-research": { input: 10, output: 40, cachedInput: 2.5 },
    "o4-mini-deep-research": { input: 2, output: 8, cachedInput: 0.5 },
    "gpt-4o-mini": { input: 0.15, output: 0.6, cachedInput: 0.075 },
    o1: { input: 15, output: 60, cachedInput: 7.5 },
    "o1-mini": { input: 1.1, output: 4.4, cachedInput: 0.55 },
    "o1-pro": { input: 150, output: 600 },
    o3: { input: 2, output: 8, cachedInput: 0.5 },
    "o3-mini": { input: 1.1, output: 4.4, cachedInput: 0.55 },
    "o3-pro": { input: 20, output: 80 },
    "o4-mini": { input: 1.1, output: 4.4, cachedInput: 0.275 },
    "gpt-4-turbo": { input: 10, output: 30 },
    "gpt-4": { input: 30, output: 60 },
    "gpt-3.5-turbo": { input: 0.5, output: 1.5 },
    "text-embedding-3-small": { input: 0.02, output: 0 },
    "text-embedding-3-large": { input: 0.13, output: 0 },
    "text-embedding-ada-002": { input: 0.1, output: 0 }
  },
  // https://www.anthropic.com/pricing — cache read 0.1×, 5-minute cache write 1.25× input.
  anthropic: {
    "claude-opus-4-5": { input: 5, output: 25, cachedInput: 0.5, cacheWrite: 6.25 },
    "claude-opus-4-1": { input: 15, output: 75, cachedInput: 1.5, cacheWrite: 18.75 },
    "claude-opus-4": { input: 15, output: 75, cachedInput: 1.5, cacheWrite: 18.75 },
    "claude-sonnet-4-5": { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75 },
    "claude-sonnet-4": { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75 },
    "claude-haiku-4-5": { input: 1, output: 5, cachedInput: 0.1, cacheWrite: 1.25 },
    "claude-3-7-sonnet": { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75 },
    "claude-3-5-sonnet": { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75 },
    "claude-3-5-haiku": { input: 0.8, output: 4, cachedInput: 0.08, cacheWrite: 1 },
    "claude-3-opus": { input: 15, output: 75, cachedInput: 1.5, cacheWrite: 18.75 },
    "claude-3-haiku": { input: 0.25, output: 1.25, cachedInput: 0.03, cacheWrite: 0.3 }
  },
  // https://ai.google.dev/gemini-api/docs/pricing — prompts ≤ 200 k tokens; thinking tokens are
  // billed as output. Context-cache storage (per hour) is not a token price: cache writes fall back
  // to the input rate.
  google: {
    "gemini-3-pro": { input: 2, output: 12, cachedInput: 0.2 },
    "gemini-2.5-pro": { input: 1.25, output: 10, cachedInput: 0.125 },
    "gemini-2.5-flash": { input: 0.3, output: 2.5, cachedInput: 0.03 },
    "gemini-2.5-flash-lite": { input: 0.1, output: 0.4, cachedInput: 0.01 },
    "gemini-2.0-flash": { input: 0.1, output: 0.4, cachedInput: 0.025 },
    "gemini-2.0-flash-lite": { input: 0.075, output: 0.3 },
    "gemini-1.5-pro": { input: 1.25, output: 5, cachedInput: 0.3125 },
    "gemini-1.5-flash": { input: 0.075, output: 0.3, cachedInput: 0.01875 },
    "gemini-embedding-001": { input: 0.15, output: 0 },
    "text-embedding-004": { input: 0, output: 0 }
  },
  // https://docs.x.ai/docs/models — reasoning tokens billed as output.
  xai: {
    "grok-4": { input: 3, output: 15, cachedInput: 0.75 },
    "grok-4-fast": { input: 0.2, output: 0.5, cachedInput: 0.05 },
    "grok-4-1-fast": { input: 0.2, output: 0.5, cachedInput: 0.05 },
    "grok-code-fast-1": { input: 0.2, output: 1.5, cachedInput: 0.02 },
    "grok-3": { input: 3, output: 15, cachedInput: 0.75 },
    "grok-3-mini": { input: 0.3, output: 0.5, cachedInput: 0.075 },
    "grok-2": { input: 2, output: 10 }
  }
}
