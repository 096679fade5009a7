/**
 * Token usage of the Responses API, read into `TokenUsage` (classes apart) and written back.
 * `input_tokens` counts cached reads and cache writes; `output_tokens` counts reasoning.
 */
import type { TokenUsage } from "@switchyard/domain"
import { tokenCount as n } from "../../translate/Usage.ts"
import type { ResponsesUsage } from "./wire.ts"

/** Reads a Response's `usage`. */
export const fromResponsesUsage = (u: Partial<ResponsesUsage>): TokenUsage => {
  const cached = n(u.input_tokens_details?.cached_tokens)
  const written = n(u.input_tokens_details?.cache_write_tokens)
  return {
    inputTokens: Math.max(0, n(u.input_tokens) - cached - written),
    outputTokens: n(u.output_tokens),
    cachedInputTokens: cached,
    cacheCreationTokens: written,
    reasoningTokens: n(u.output_tokens_details?.reasoning_tokens),
    estimated: false
  }
}

/** Usage as a Responses client reads it. */
export const toResponsesUsage = (u: TokenUsage): ResponsesUsage => {
  const input = u.inputTokens + u.cachedInputTokens + u.cacheCreationTokens
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: u.cachedInputTokens, cache_write_tokens: u.cacheCreationTokens },
    output_tokens: u.outputTokens,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens },
    total_tokens: input + u.outputTokens
  }
}
