/**
 * The most output tokens a model can produce in one answer, as each provider documents it: the
 * admission estimate of a request that sets no `max_tokens` (a provider never writes more, so the
 * estimate stays an upper bound and a budget holds). Matched like prices: exact name, else the
 * longest listed family the name starts with (`gpt-4o-2024-08-06` → `gpt-4o`), after dropping a
 * `provider/` or `models/` prefix and an `@version` suffix.
 */

/** Used for a model not listed here: as large as today's largest common outputs. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 128_000

/** Documented maximum output tokens by model family (November 2025). */
const MAX_OUTPUT: Readonly<Record<string, number>> = {
  // OpenAI
  "gpt-5": 128_000,
  "gpt-5-mini": 128_000,
  "gpt-5-nano": 128_000,
  "gpt-5-pro": 272_000,
  "gpt-4.1": 32_768,
  "gpt-4.5-preview": 16_384,
  "gpt-4o": 16_384,
  "gpt-4o-2024-05-13": 4_096,
  "chatgpt-4o-latest": 16_384,
  "gpt-4-turbo": 4_096,
  "gpt-4": 8_192,
  "gpt-3.5-turbo": 4_096,
  o1: 100_000,
  "o1-mini": 65_536,
  "o1-pro": 100_000,
  o3: 100_000,
  "o3-mini": 100_000,
  "o3-pro": 100_000,
  "o4-mini": 100_000,
  "codex-mini-latest": 100_000,
  // Anthropic
  "claude-opus-4-5": 64_000,
  "claude-opus-4-1": 32_000,
  "claude-opus-4": 32_000,
  "claude-sonnet-4-5": 64_000,
  "claude-sonnet-4": 64_000,
  "claude-haiku-4-5": 64_000,
  "claude-3-7-sonnet": 64_000,
  "claude-3-5-sonnet": 8_192,
  "claude-3-5-haiku": 8_192,
  "claude-3-opus": 4_096,
  "claude-3-haiku": 4_096,
  // Google
  "gemini-3-pro": 65_536,
  "gemini-2.5-pro": 65_536,
  "gemini-2.5-flash": 65_536,
  "gemini-2.5-flash-lite": 65_536,
  "gemini-2.0-flash": 8_192,
  "gemini-2.0-flash-lite": 8_192,
  "gemini-1.5-pro": 8_192,
  "gemini-1.5-flash": 8_192,
  // xAI
  "grok-4": 128_000,
  "grok-4-fast": 30_000,
  "grok-code-fast-1": 10_000,
  "grok-3": 128_000,
  "grok-3-mini": 128_000,
  "grok-2": 32_768,
  // Switchyard's own
  "mock/echo": 4_096
}

const cache = new Map<string, number>()

const lookup = (name: string): number => {
  const exact = MAX_OUTPUT[name]
  if (exact !== undefined) return exact
  let best = DEFAULT_MAX_OUTPUT_TOKENS
  let bestLength = 0
  for (const family in MAX_OUTPUT) {
    if (family.length > bestLength && name.startsWith(`${family}-`)) {
      best = MAX_OUTPUT[family]!
      bestLength = family.length
    }
  }
  return best
}

/** The most output tokens `model` can produce (`DEFAULT_MAX_OUTPUT_TOKENS` when unknown). */
export const maxOutputTokens = (model: string): number => {
  const hit = cache.get(model)
  if (hit !== undefined) return hit
  let name = model.toLowerCase()
  if (name.startsWith("models/")) name = name.slice("models/".length)
  const at = name.indexOf("@")
  if (at > 0) name = name.slice(0, at)
  // Anthropic's dotted aliases (`claude-sonnet-4.5`) name the dashed family.
  if (name.startsWith("claude")) name = name.replace(/(\d)\.(\d)/g, "$1-$2")
  let found = lookup(name)
  const slash = name.lastIndexOf("/")
  if (found === DEFAULT_MAX_OUTPUT_TOKENS && slash > 0) found = lookup(name.slice(slash + 1))
  // Model names are validated and few in practice; the bound only keeps a flood of new ones finite.
  if (cache.size >= 10_000) cache.clear()
  cache.set(model, found)
  return found
}
