/**
 * Same-format answers that end without their final usage: billed from the text that reached the
 * client and the request's estimated prompt, marked estimated, never recorded as zero.
 */
import { describe, expect, it } from "@effect/vitest"
import { jsonUsage, makeUsageTap } from "../../src/passthrough/UsageTap.ts"

const bytes = (text: string) => new TextEncoder().encode(text)

describe("UsageTap estimates", () => {
  it("OpenAI: counts content, reasoning, tool arguments and refusals sent, split anywhere", () => {
    const text =
      'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}],"usage":null}\n\n' +
      'data: {"choices":[{"index":0,"delta":{"reasoning_content":"think"}}]}\n\n' +
      'data: {"choices":[{"index":0,"delta":{"content":"Hello, wor"}}]}\n\n' +
      'data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]}}]}\n\n' +
      'data: {"choices":[{"index":0,"delta":{"refusal":"no"}}]}\n\n'
    // 5 + 10 + 2 + 2 = 19 characters → 5 tokens; the prompt comes from the estimate given.
    for (const size of [1, 4, 1000]) {
      const tap = makeUsageTap("openai", () => 7)
      const all = bytes(text)
      for (let at = 0; at < all.length; at += size) tap.feed(all.subarray(at, at + size))
      expect(tap.usage()).toEqual({
        inputTokens: 7,
        outputTokens: 5,
        cachedInputTokens: 0,
        cacheCreationTokens: 0,
        reasoningTokens: 0,
        estimated: true
      })
    }
  })

  it("OpenAI: the final usage chunk replaces the estimate", () => {
    const tap = makeUsageTap("openai", 7)
    tap.feed(bytes('data: {"choices":[{"index":0,"delta":{"content":"a long answer indeed"}}]}\n\n'))
    tap.feed(
      bytes('data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}\n\n')
    )
    expect(tap.usage()).toMatchObject({ inputTokens: 3, outputTokens: 2, estimated: false })
  })

  it("Anthropic: the reported prompt with output from the text deltas until message_delta", () => {
    const tap = makeUsageTap("anthropic", 99)
    tap.feed(
      bytes(
        "event: message_start\n" +
          'data: {"type":"message_start","message":{"usage":{"input_tokens":12,"output_tokens":1,"cache_read_input_tokens":30}}}\n\n' +
          "event: content_block_delta\n" +
          'data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm hmm"}}\n\n' +
          "event: content_block_delta\n" +
          'data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Hello there"}}\n\n'
      )
    )
    // 7 + 11 = 18 characters → 5 tokens, more than the 1 reported so far.
    expect(tap.usage()).toEqual({
      inputTokens: 12,
      outputTokens: 5,
      cachedInputTokens: 30,
      cacheCreationTokens: 0,
      reasoningTokens: 0,
      estimated: true
    })
    tap.feed(bytes('event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":40}}\n\n'))
    expect(tap.usage()).toMatchObject({ inputTokens: 12, outputTokens: 40, estimated: false })
  })

  it("a complete answer without usage: output from its text, prompt from the estimate", () => {
    const openai = {
      id: "c",
      object: "chat.completion",
      created: 1,
      model: "m",
      choices: [{ index: 0, message: { role: "assistant", content: "twelve chars" }, finish_reason: "stop" }]
    }
    expect(jsonUsage("openai", openai, () => 6)).toEqual({
      inputTokens: 6,
      outputTokens: 3,
      cachedInputTokens: 0,
      cacheCreationTokens: 0,
      reasoningTokens: 0,
      estimated: true
    })
    const anthropic = {
      id: "msg",
      type: "message",
      role: "assistant",
      model: "m",
      content: [{ type: "text", text: "eight ch" }],
      stop_reason: "end_turn",
      stop_sequence: null
    }
    expect(jsonUsage("anthropic", anthropic, 4)).toMatchObject({
      inputTokens: 4,
      outputTokens: 2,
      estimated: true
    })
  })
})
