import { afterAll, beforeAll, describe, expect, it, vi } from "@effect/vitest"
import { Either } from "effect"
import { parseClientRequest } from "../../src/translate/ClientRequest.ts"
import type { ClientFormat, UpstreamFormat } from "../../src/translate/Formats.ts"
import { translateRequest } from "../../src/translate/Request.ts"
import { responseUsage, translateResponse } from "../../src/translate/Response.ts"
import { validateOpenAI } from "./openaiSpec.ts"
import { fixtureJson } from "./sse.ts"

beforeAll(() => {
  vi.useFakeTimers({ toFake: ["Date"] })
  vi.setSystemTime(Date.UTC(2025, 9, 9, 12, 0, 0))
})
afterAll(() => {
  vi.useRealTimers()
})

const normalizeIds = (v: unknown): unknown =>
  JSON.parse(JSON.stringify(v).replace(/(call_|toolu_)[0-9a-f]{24}/g, "$1GENERATED"))

const translated = (json: unknown, from: UpstreamFormat, to: ClientFormat) => {
  const r = translateResponse(json, from, to, {
    requestedModel: "my-model",
    id: to === "openai" ? "chatcmpl-sy1" : "msg_sy1"
  })
  if (Either.isLeft(r)) throw new Error(r.left.message)
  return r.right
}

const pairs: Array<[UpstreamFormat, ClientFormat]> = [
  ["anthropic", "openai"],
  ["gemini", "openai"],
  ["openai", "anthropic"],
  ["gemini", "anthropic"]
]

describe("non-streamed answers (golden fixtures)", () => {
  for (const [from, to] of pairs) {
    it(`${from} → ${to}`, () => {
      const out = translated(fixtureJson(`${from}/response-tools.json`), from, to)
      expect(normalizeIds(out.body)).toStrictEqual(fixtureJson(`golden/${from}-response-tools.${to}.json`))
    })
  }

  it("OpenAI-format answers validate against CreateChatCompletionResponse", () => {
    for (const from of ["anthropic", "gemini"] as const) {
      const out = translated(fixtureJson(`${from}/response-tools.json`), from, "openai")
      expect(validateOpenAI("CreateChatCompletionResponse", out.body)).toEqual([])
    }
    const plain = translated(
      {
        id: "msg_1",
        type: "message",
        role: "assistant",
        model: "claude",
        content: [{ type: "text", text: "Hello" }],
        stop_reason: "max_tokens",
        stop_sequence: null,
        usage: { input_tokens: 5, output_tokens: 1 }
      },
      "anthropic",
      "openai"
    )
    expect(validateOpenAI("CreateChatCompletionResponse", plain.body)).toEqual([])
    expect((plain.body as { choices: Array<{ finish_reason: string }> }).choices[0]!.finish_reason).toBe(
      "length"
    )
  })

  it("same format: the body is the upstream's, only its usage is read", () => {
    const json = fixtureJson("openai/response-tools.json")
    const out = translated(json, "openai", "openai")
    expect(out.body).toBe(json)
    expect(out.usage).toEqual({
      inputTokens: 572,
      outputTokens: 89,
      cachedInputTokens: 2048,
      cacheCreationTokens: 0,
      reasoningTokens: 32,
      estimated: false
    })
    expect(
      Either.getOrThrow(responseUsage(fixtureJson("anthropic/response-tools.json"), "anthropic"))
    ).toEqual({
      inputTokens: 472,
      outputTokens: 89,
      cachedInputTokens: 2048,
      cacheCreationTokens: 100,
      reasoningTokens: 0,
      estimated: false
    })
  })

  it("a stop sequence and a refusal keep their Anthropic meaning", () => {
    const out = translated(
      {
        id: "chatcmpl-1",
        object: "chat.completion",
        created: 1,
        model: "gpt",
        choices: [
          { index: 0, message: { role: "assistant", content: "no" }, finish_reason: "content_filter" }
        ],
        usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 }
      },
      "openai",
      "anthropic"
    )
    expect(out.body).toStrictEqual({
      id: "msg_sy1",
      type: "message",
      role: "assistant",
      model: "my-model",
      content: [{ type: "text", text: "no" }],
      stop_reason: "refusal",
      stop_sequence: null,
      usage: { input_tokens: 3, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 }
    })
    const stopped = translated(
      {
        id: "msg_2",
        type: "message",
        role: "assistant",
        model: "claude",
        content: [{ type: "text", text: "a" }],
        stop_reason: "stop_sequence",
        stop_sequence: "END",
        usage: { input_tokens: 1, output_tokens: 1 }
      },
      "anthropic",
      "anthropic"
    )
    expect((stopped.body as { stop_sequence: string }).stop_sequence).toBe("END")
  })

  it("an answer without usage is estimated and marked so", () => {
    const out = translated(
      {
        id: "x",
        object: "chat.completion",
        created: 1,
        model: "local",
        choices: [{ index: 0, message: { role: "assistant", content: "12345678" }, finish_reason: "stop" }]
      },
      "openai",
      "anthropic"
    )
    expect(out.usage).toEqual({
      inputTokens: 0,
      outputTokens: 2,
      cachedInputTokens: 0,
      cacheCreationTokens: 0,
      reasoningTokens: 0,
      estimated: true
    })
  })

  it("a Gemini answer blocked for its prompt becomes a content-filter stop", () => {
    const out = translated(
      { promptFeedback: { blockReason: "SAFETY" }, usageMetadata: { promptTokenCount: 9 } },
      "gemini",
      "openai"
    )
    const body = out.body as { choices: Array<{ finish_reason: string; message: { content: unknown } }> }
    expect(body.choices[0]!.finish_reason).toBe("content_filter")
    expect(body.choices[0]!.message.content).toBeNull()
    expect(out.usage.inputTokens).toBe(9)
  })

  it("a body that is not the upstream's format is MalformedUpstream", () => {
    for (const [json, from] of [
      [{ object: "list" }, "openai"],
      ["<html>", "anthropic"],
      [{ foo: 1 }, "gemini"]
    ] as const) {
      const r = translateResponse(json, from, "openai", { requestedModel: "m" })
      expect(Either.isLeft(r) && r.left._tag).toBe("MalformedUpstream")
    }
  })
})

describe("Gemini thought signatures survive a round trip through an OpenAI client", () => {
  it("the signature rides in the tool call id and comes back on the function call", () => {
    const answer = translated(fixtureJson("gemini/response-tools.json"), "gemini", "openai").body as {
      choices: Array<{
        message: { tool_calls: Array<{ id: string; function: { name: string; arguments: string } }> }
      }>
    }
    const calls = answer.choices[0]!.message.tool_calls
    const next = parseClientRequest("openai", {
      model: "gemini-2.5-flash",
      messages: [
        { role: "user", content: "Weather?" },
        { role: "assistant", content: null, tool_calls: calls.map((c) => ({ ...c, type: "function" })) },
        ...calls.map((c) => ({ role: "tool", tool_call_id: c.id, content: "sunny" }))
      ]
    })
    const body = Either.getOrThrow(
      translateRequest(Either.getOrThrow(next), "gemini", { upstreamModel: "gemini-2.5-flash", strict: true })
    ).body as { contents: Array<{ parts: Array<unknown> }> }
    expect(body.contents[1]!.parts).toStrictEqual([
      {
        functionCall: { name: "get_weather", args: { city: "Zürich" } },
        thoughtSignature: "CiQB0e2Kb+Ab/c9xQw=="
      },
      { functionCall: { name: "get_weather", args: { city: "東京" } } }
    ])
    expect(body.contents[2]!.parts).toStrictEqual([
      { functionResponse: { name: "get_weather", response: { output: "sunny" } } },
      { functionResponse: { name: "get_weather", response: { output: "sunny" } } }
    ])
  })
})
