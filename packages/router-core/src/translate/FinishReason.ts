/**
 * Why generation stopped, in OpenAI's vocabulary (the neutral one), read from and written to each
 * format.
 */
import type { AnthropicStopReason } from "../providers/anthropic/wire.ts"

/** Neutral finish reason. */
export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter"

/** OpenAI `finish_reason` (the deprecated `function_call` counts as a tool call). */
export const fromOpenAIFinish = (r: string | null | undefined): FinishReason =>
  r === "length"
    ? "length"
    : r === "tool_calls" || r === "function_call"
      ? "tool_calls"
      : r === "content_filter"
        ? "content_filter"
        : "stop"

/** Anthropic `stop_reason`. */
export const fromAnthropicStop = (r: string | null | undefined): FinishReason => {
  switch (r) {
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length"
    case "tool_use":
      return "tool_calls"
    case "refusal":
      return "content_filter"
    default:
      return "stop"
  }
}

const GEMINI_FILTERED = new Set([
  "SAFETY",
  "RECITATION",
  "BLOCKLIST",
  "PROHIBITED_CONTENT",
  "SPII",
  "IMAGE_SAFETY",
  "LANGUAGE"
])

/** Gemini `finishReason`: it says `STOP` after function calls too, so those are told apart here. */
export const fromGeminiFinish = (r: string, calledTools: boolean): FinishReason =>
  r === "MAX_TOKENS"
    ? "length"
    : GEMINI_FILTERED.has(r)
      ? "content_filter"
      : calledTools
        ? "tool_calls"
        : "stop"

/** Anthropic `stop_reason` for a neutral reason; `stop_sequence` when the matched sequence is known. */
export const toAnthropicStop = (r: FinishReason, stopSequence: string | null): AnthropicStopReason =>
  r === "length"
    ? "max_tokens"
    : r === "tool_calls"
      ? "tool_use"
      : r === "content_filter"
        ? "refusal"
        : stopSequence !== null
          ? "stop_sequence"
          : "end_turn"
