import { describe, expect, it } from "@effect/vitest"
import { jsonUsage, makeUsageTap, NO_USAGE } from "../../src/passthrough/UsageTap.ts"

const bytes = (text: string) => new TextEncoder().encode(text)

/** Feeds `text` to the tap in pieces of `size` bytes (splitting multi-byte characters too). */
const feedSplit = (tap: ReturnType<typeof makeUsageTap>, text: string, size: number) => {
  const all = bytes(text)
  for (let at = 0; at < all.length; at += size) tap.feed(all.subarray(at, at + size))
}

describe("UsageTap", () => {
  it("reads OpenAI's final usage chunk, ignoring `usage: null` on the others", () => {
    const text =
      'data: {"choices":[{"index":0,"delta":{"content":"é"}}],"usage":null}\r\n\r\n' +
      ": comment\r\n\r\n" +
      'data: {"choices":[],"usage": {"prompt_tokens":10,"completion_tokens":4,"total_tokens":14,' +
      '"prompt_tokens_details":{"cached_tokens":6},"completion_tokens_details":{"reasoning_tokens":2}}}\r\n\r\n' +
      "data: [DONE]\r\n\r\n"
    for (const size of [1, 3, 7, 1000]) {
      const tap = makeUsageTap("openai")
      feedSplit(tap, text, size)
      expect(tap.usage()).toEqual({
        inputTokens: 4,
        cachedInputTokens: 6,
        cacheCreationTokens: 0,
        outputTokens: 4,
        reasoningTokens: 2,
        estimated: false
      })
    }
  })

  it("merges Anthropic's message_start and message_delta", () => {
    const tap = makeUsageTap("anthropic")
    feedSplit(
      tap,
      "event: message_start\n" +
        'data: {"type":"message_start","message":{"usage":{"input_tokens":12,"output_tokens":1,"cache_read_input_tokens":30,"cache_creation_input_tokens":5}}}\n\n' +
        "event: ping\ndata: {}\n\n" +
        "event: message_delta\n" +
        'data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":9}}\n\n',
      5
    )
    expect(tap.usage()).toEqual({
      inputTokens: 12,
      cachedInputTokens: 30,
      cacheCreationTokens: 5,
      outputTokens: 9,
      reasoningTokens: 0,
      estimated: false
    })
  })

  it("reports no usage (estimated) when the stream carried none", () => {
    const tap = makeUsageTap("openai")
    tap.feed(bytes('data: {"choices":[]}\n\ndata: [DONE]\n\n'))
    expect(tap.usage()).toEqual(NO_USAGE)
  })

  it("reads a complete answer's usage", () => {
    expect(
      jsonUsage("openai", { usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } })
    ).toMatchObject({
      inputTokens: 3,
      outputTokens: 2,
      estimated: false
    })
    expect(jsonUsage("anthropic", { usage: { input_tokens: 3, output_tokens: 2 } })).toMatchObject({
      inputTokens: 3,
      outputTokens: 2
    })
    expect(jsonUsage("openai", { choices: [] })).toEqual(NO_USAGE)
  })
})
