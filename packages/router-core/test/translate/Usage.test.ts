import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { parseClientRequest } from "../../src/translate/ClientRequest.ts"
import { estimateInputTokens } from "../../src/translate/Estimate.ts"
import {
  fromAnthropicUsage,
  fromGeminiUsage,
  fromOpenAIUsage,
  MAX_TOKEN_COUNT,
  toAnthropicUsage,
  tokenCount,
  toOpenAIUsage,
  UsageMeter
} from "../../src/translate/Usage.ts"

describe("usage in every format, classes apart", () => {
  it("OpenAI: cached reads and cache writes come out of prompt_tokens; reasoning stays inside output", () => {
    expect(
      fromOpenAIUsage({
        prompt_tokens: 3000,
        completion_tokens: 500,
        total_tokens: 3500,
        prompt_tokens_details: { cached_tokens: 2000, cache_write_tokens: 300 },
        completion_tokens_details: { reasoning_tokens: 320 }
      })
    ).toEqual({
      inputTokens: 700,
      outputTokens: 500,
      cachedInputTokens: 2000,
      cacheCreationTokens: 300,
      reasoningTokens: 320,
      estimated: false
    })
  })

  it("xAI reports reasoning beside completion_tokens: it is added to output", () => {
    expect(
      fromOpenAIUsage({
        prompt_tokens: 100,
        completion_tokens: 20,
        total_tokens: 400,
        completion_tokens_details: { reasoning_tokens: 280 }
      })
    ).toMatchObject({ inputTokens: 100, outputTokens: 300, reasoningTokens: 280 })
  })

  it("DeepSeek's prompt_cache_hit_tokens count as cached input", () => {
    expect(
      fromOpenAIUsage({
        prompt_tokens: 100,
        completion_tokens: 5,
        total_tokens: 105,
        prompt_cache_hit_tokens: 64,
        prompt_cache_miss_tokens: 36
      })
    ).toMatchObject({ inputTokens: 36, cachedInputTokens: 64 })
  })

  it("Anthropic and Gemini", () => {
    expect(
      fromAnthropicUsage({
        input_tokens: 10,
        output_tokens: 20,
        cache_creation_input_tokens: 30,
        cache_read_input_tokens: 40
      })
    ).toEqual({
      inputTokens: 10,
      outputTokens: 20,
      cachedInputTokens: 40,
      cacheCreationTokens: 30,
      reasoningTokens: 0,
      estimated: false
    })
    expect(
      fromGeminiUsage({
        promptTokenCount: 1000,
        cachedContentTokenCount: 600,
        candidatesTokenCount: 50,
        thoughtsTokenCount: 70,
        toolUsePromptTokenCount: 5
      })
    ).toEqual({
      inputTokens: 405,
      outputTokens: 120,
      cachedInputTokens: 600,
      cacheCreationTokens: 0,
      reasoningTokens: 70,
      estimated: false
    })
  })

  it("round-trips through each client's usage shape", () => {
    const u = {
      inputTokens: 7,
      outputTokens: 9,
      cachedInputTokens: 11,
      cacheCreationTokens: 13,
      reasoningTokens: 3,
      estimated: false
    }
    expect(fromOpenAIUsage(toOpenAIUsage(u))).toEqual(u)
    expect(fromAnthropicUsage(toAnthropicUsage(u))).toEqual({ ...u, reasoningTokens: 0 })
  })
})

describe("UsageMeter", () => {
  it("merges Anthropic's message_start and message_delta", () => {
    const m = new UsageMeter(undefined)
    m.mergeAnthropic(
      {
        input_tokens: 472,
        cache_creation_input_tokens: 100,
        cache_read_input_tokens: 2048,
        output_tokens: 1
      },
      false
    )
    m.mergeAnthropic({ output_tokens: 89 }, true)
    expect(m.result()).toEqual({
      inputTokens: 472,
      outputTokens: 89,
      cachedInputTokens: 2048,
      cacheCreationTokens: 100,
      reasoningTokens: 0,
      estimated: false
    })
  })

  it("estimates what it was not told, lazily, and says so", () => {
    let asked = 0
    const m = new UsageMeter(() => {
      asked++
      return 50
    })
    m.sentChars = 41
    expect(m.result()).toEqual({
      inputTokens: 50,
      outputTokens: 11,
      cachedInputTokens: 0,
      cacheCreationTokens: 0,
      reasoningTokens: 0,
      estimated: true
    })
    expect(asked).toBe(1)
    m.set(
      {
        inputTokens: 5,
        outputTokens: 20,
        cachedInputTokens: 0,
        cacheCreationTokens: 0,
        reasoningTokens: 0,
        estimated: false
      },
      true
    )
    expect(m.result()).toMatchObject({ inputTokens: 5, outputTokens: 20, estimated: false })
    expect(asked).toBe(1)
  })
})

describe("estimateInputTokens", () => {
  it("counts the text of messages, system and tools at about four characters a token", () => {
    const req = Either.getOrThrow(
      parseClientRequest("anthropic", {
        model: "m",
        max_tokens: 5,
        system: "12345678",
        messages: [{ role: "user", content: [{ type: "text", text: "abcd" }] }]
      })
    )
    expect(estimateInputTokens(req)).toBe(3)
  })
})

describe("token counts are bounded non-negative integers whatever the upstream sent", () => {
  it("tokenCount rounds, clamps and refuses non-numbers", () => {
    expect(tokenCount(1.5)).toBe(2)
    expect(tokenCount(-40)).toBe(0)
    expect(tokenCount(Number.NaN)).toBe(0)
    expect(tokenCount("12")).toBe(0)
    expect(tokenCount(1e300)).toBe(MAX_TOKEN_COUNT)
    expect(tokenCount(Number.POSITIVE_INFINITY)).toBe(MAX_TOKEN_COUNT)
  })

  it("Anthropic stream usage is clamped like its JSON usage", () => {
    const meter = new UsageMeter(undefined)
    meter.mergeAnthropic({ input_tokens: -5, cache_read_input_tokens: 2.4 }, false)
    meter.mergeAnthropic({ output_tokens: 1e15, cache_creation_input_tokens: -1 }, true)
    expect(meter.result()).toEqual({
      inputTokens: 0,
      outputTokens: MAX_TOKEN_COUNT,
      cachedInputTokens: 2,
      cacheCreationTokens: 0,
      reasoningTokens: 0,
      estimated: false
    })
  })
})
