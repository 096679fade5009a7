/**
 * Token usage in every format, read into `TokenUsage` with its classes kept apart (input excludes
 * cache reads and cache writes; reasoning is a part of output), and written back in the client's
 * format. `UsageMeter` merges what a stream reports across its events.
 */
import type { TokenUsage } from "@switchyard/domain"
import type { AnthropicUsage } from "../providers/anthropic/wire.ts"
import type { GeminiUsageMetadata } from "../providers/google/wire.ts"
import type { OpenAIUsage } from "../providers/openai/wire.ts"

/**
 * Most tokens one count may report: far above any model's context, far below where sums of
 * counts in the ledger could lose precision.
 */
export const MAX_TOKEN_COUNT = 100_000_000

/**
 * A token count an upstream reported, made one the ledger can store: a non-negative integer no
 * larger than `MAX_TOKEN_COUNT`. Anything else (a string, NaN, a negative or fractional number,
 * which a tenant's own OpenAI-compatible server may well send) is rounded or clamped, never passed.
 */
export const tokenCount = (v: unknown): number =>
  typeof v === "number" && v > 0 ? (v >= MAX_TOKEN_COUNT ? MAX_TOKEN_COUNT : Math.round(v)) : 0

const n = tokenCount

/** Rough tokens for a length of text: about four characters a token. */
export const estimateTokens = (chars: number): number => Math.ceil(chars / 4)

/**
 * OpenAI-family usage. `prompt_tokens` includes cached reads (`cached_tokens`, or DeepSeek's
 * `prompt_cache_hit_tokens`) and cache writes (`cache_write_tokens`). `completion_tokens` includes
 * reasoning at OpenAI; xAI reports reasoning beside it, recognisable by a total that adds it again.
 */
export const fromOpenAIUsage = (u: OpenAIUsage): TokenUsage => {
  const prompt = n(u.prompt_tokens)
  const completion = n(u.completion_tokens)
  const cached = n(u.prompt_tokens_details?.cached_tokens) || n(u.prompt_cache_hit_tokens)
  const written = n(u.prompt_tokens_details?.cache_write_tokens)
  const reasoning = n(u.completion_tokens_details?.reasoning_tokens)
  const reasoningOutside = reasoning > 0 && n(u.total_tokens) === prompt + completion + reasoning
  return {
    inputTokens: Math.max(0, prompt - cached - written),
    outputTokens: reasoningOutside ? completion + reasoning : completion,
    cachedInputTokens: cached,
    cacheCreationTokens: written,
    reasoningTokens: reasoning,
    estimated: false
  }
}

/** Anthropic usage: its classes are already apart; thinking is inside `output_tokens`, not itemised. */
export const fromAnthropicUsage = (u: AnthropicUsage): TokenUsage => ({
  inputTokens: n(u.input_tokens),
  outputTokens: n(u.output_tokens),
  cachedInputTokens: n(u.cache_read_input_tokens),
  cacheCreationTokens: n(u.cache_creation_input_tokens),
  reasoningTokens: 0,
  estimated: false
})

/**
 * Gemini usage: `promptTokenCount` includes `cachedContentTokenCount`; `candidatesTokenCount`
 * excludes `thoughtsTokenCount`; tool-use prompt tokens are billed as input.
 */
export const fromGeminiUsage = (u: GeminiUsageMetadata): TokenUsage => {
  const cached = n(u.cachedContentTokenCount)
  const thoughts = n(u.thoughtsTokenCount)
  return {
    inputTokens: Math.max(0, n(u.promptTokenCount) - cached) + n(u.toolUsePromptTokenCount),
    outputTokens: n(u.candidatesTokenCount) + thoughts,
    cachedInputTokens: cached,
    cacheCreationTokens: 0,
    reasoningTokens: thoughts,
    estimated: false
  }
}

/** Usage as an OpenAI client reads it (`prompt_tokens` counts every prompt token, cached or not). */
export const toOpenAIUsage = (u: TokenUsage): OpenAIUsage => {
  const prompt = u.inputTokens + u.cachedInputTokens + u.cacheCreationTokens
  return {
    prompt_tokens: prompt,
    completion_tokens: u.outputTokens,
    total_tokens: prompt + u.outputTokens,
    prompt_tokens_details:
      u.cacheCreationTokens > 0
        ? { cached_tokens: u.cachedInputTokens, cache_write_tokens: u.cacheCreationTokens }
        : { cached_tokens: u.cachedInputTokens },
    completion_tokens_details: { reasoning_tokens: u.reasoningTokens }
  }
}

/** Usage as an Anthropic client reads it. */
export const toAnthropicUsage = (u: TokenUsage) => ({
  input_tokens: u.inputTokens,
  output_tokens: u.outputTokens,
  cache_creation_input_tokens: u.cacheCreationTokens,
  cache_read_input_tokens: u.cachedInputTokens
})

/**
 * Usage of one stream, merged across its events. Until the upstream's final figures arrive, the
 * output is at least the estimate from the text passed on, so an abandoned or broken stream is
 * still billed for what the client received (and marked `estimated`).
 */
export class UsageMeter {
  input = 0
  output = 0
  cached = 0
  cacheCreation = 0
  reasoning = 0
  /** The upstream reported input (prompt) figures. */
  sawInput = false
  /** The upstream reported its final figures: nothing to estimate. */
  final = false
  /** Characters of text, reasoning and tool calls passed to the client so far. */
  sentChars = 0

  /** Prompt tokens to bill when the upstream never reports them: a number, or computed on demand. */
  constructor(private readonly estimatedInputTokens: number | (() => number) | undefined) {}

  /** Replaces every class with `u` (a cumulative report). */
  set(u: TokenUsage, final: boolean): void {
    this.input = u.inputTokens
    this.output = u.outputTokens
    this.cached = u.cachedInputTokens
    this.cacheCreation = u.cacheCreationTokens
    this.reasoning = u.reasoningTokens
    this.sawInput = true
    if (final) this.final = true
  }

  /** Merges an Anthropic report: `message_delta` repeats only the classes that changed. */
  mergeAnthropic(u: AnthropicUsage, final: boolean): void {
    // Every count clamped like the JSON path's (`fromAnthropicUsage`): stream usage is upstream input too.
    if (typeof u.input_tokens === "number") {
      this.input = n(u.input_tokens)
      this.sawInput = true
    }
    if (typeof u.output_tokens === "number") this.output = n(u.output_tokens)
    if (typeof u.cache_read_input_tokens === "number") this.cached = n(u.cache_read_input_tokens)
    if (typeof u.cache_creation_input_tokens === "number")
      this.cacheCreation = n(u.cache_creation_input_tokens)
    if (final) this.final = true
  }

  /** Usage so far: exact once the upstream reported its final figures, else partly estimated. */
  result(): TokenUsage {
    if (this.final) {
      return {
        inputTokens: this.input,
        outputTokens: this.output,
        cachedInputTokens: this.cached,
        cacheCreationTokens: this.cacheCreation,
        reasoningTokens: this.reasoning,
        estimated: false
      }
    }
    const sent = estimateTokens(this.sentChars)
    return {
      inputTokens: this.sawInput
        ? this.input
        : typeof this.estimatedInputTokens === "function"
          ? this.estimatedInputTokens()
          : (this.estimatedInputTokens ?? 0),
      outputTokens: Math.max(this.output, sent),
      cachedInputTokens: this.cached,
      cacheCreationTokens: this.cacheCreation,
      reasoningTokens: this.reasoning,
      estimated: !this.sawInput || sent > this.output
    }
  }
}
