import { describe, expect, it } from "@effect/vitest"
import {
  fromAnthropicStop,
  fromGeminiFinish,
  fromOpenAIFinish,
  toAnthropicStop
} from "../../src/translate/FinishReason.ts"

describe("finish reasons", () => {
  it("read from every format", () => {
    expect(
      ["stop", "length", "tool_calls", "function_call", "content_filter", null].map(fromOpenAIFinish)
    ).toEqual(["stop", "length", "tool_calls", "tool_calls", "content_filter", "stop"])
    expect(
      [
        "end_turn",
        "stop_sequence",
        "max_tokens",
        "tool_use",
        "refusal",
        "pause_turn",
        "model_context_window_exceeded"
      ].map(fromAnthropicStop)
    ).toEqual(["stop", "stop", "length", "tool_calls", "content_filter", "stop", "length"])
    expect(fromGeminiFinish("STOP", false)).toBe("stop")
    expect(fromGeminiFinish("STOP", true)).toBe("tool_calls")
    expect(fromGeminiFinish("MAX_TOKENS", true)).toBe("length")
    expect(fromGeminiFinish("SAFETY", false)).toBe("content_filter")
    expect(fromGeminiFinish("RECITATION", false)).toBe("content_filter")
  })

  it("written for Anthropic clients", () => {
    expect(toAnthropicStop("stop", null)).toBe("end_turn")
    expect(toAnthropicStop("stop", "END")).toBe("stop_sequence")
    expect(toAnthropicStop("length", null)).toBe("max_tokens")
    expect(toAnthropicStop("tool_calls", null)).toBe("tool_use")
    expect(toAnthropicStop("content_filter", null)).toBe("refusal")
  })
})
