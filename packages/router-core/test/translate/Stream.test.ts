import { afterAll, beforeAll, describe, expect, it, vi } from "@effect/vitest"
import { Either } from "effect"
import type { ClientFormat, UpstreamFormat } from "../../src/translate/Formats.ts"
import { translateResponse } from "../../src/translate/Response.ts"
import { makeStreamTranslator } from "../../src/translate/Stream.ts"
import { validateOpenAI } from "./openaiSpec.ts"
import {
  dataEvents,
  everyBytes,
  fixture,
  fixtureJson,
  fixtureText,
  randomSplits,
  run,
  runAbandoned,
  toCrlf
} from "./sse.ts"

const NOW = Date.UTC(2025, 9, 9, 12, 0, 0)
beforeAll(() => {
  vi.useFakeTimers({ toFake: ["Date"] })
  vi.setSystemTime(NOW)
})
afterAll(() => {
  vi.useRealTimers()
})

/** Tool call ids Switchyard makes up (Gemini gives none) are random: compared by shape. */
const normalizeIds = (s: string) => s.replace(/(call_|toolu_)[0-9a-f]{24}/g, "$1GENERATED")

const translator = (
  from: UpstreamFormat,
  to: ClientFormat,
  clientWantsUsage: boolean,
  estimatedInputTokens?: number
) =>
  makeStreamTranslator(from, to, {
    requestedModel: "my-model",
    clientWantsUsage,
    id: to === "openai" ? "chatcmpl-sy1" : "msg_sy1",
    ...(estimatedInputTokens === undefined ? {} : { estimatedInputTokens })
  })

/** The ways the same upstream bytes may arrive. */
const deliveries = (bytes: Uint8Array): Array<[string, Array<Uint8Array>]> => [
  ["whole", [bytes]],
  ["byte by byte", everyBytes(bytes, 1)],
  ["3-byte pieces", everyBytes(bytes, 3)],
  ...[1, 2, 3, 4, 5].map((seed): [string, Array<Uint8Array>] => [
    `random splits #${seed}`,
    randomSplits(bytes, seed)
  ]),
  ["CRLF, random splits", randomSplits(toCrlf(bytes), 7)],
  ["CRLF, byte by byte", everyBytes(toCrlf(bytes), 1)]
]

const pairs: Array<[UpstreamFormat, ClientFormat, boolean]> = [
  ["anthropic", "openai", true],
  ["gemini", "openai", true],
  ["openai", "anthropic", false],
  ["gemini", "anthropic", false]
]

describe("cross-format streams (golden fixtures)", () => {
  for (const [from, to, wantsUsage] of pairs) {
    const input = fixture(`${from}/stream-tools.sse`)
    const golden = fixtureText(`golden/${from}-stream-tools.${to}.sse`)
    for (const [how, chunks] of deliveries(input)) {
      it(`${from} → ${to}, ${how}`, async () => {
        const t = translator(from, to, wantsUsage)
        const out = await run(t, chunks)
        expect(normalizeIds(out.text)).toBe(golden)
        expect(t.finished).toBe(true)
        expect(t.error).toBeUndefined()
        expect(t.finishReason).toBe("tool_calls")
        expect(t.firstByteAt).toBe(NOW)
      })
    }

    it(`${from} → ${to}: streamed and non-streamed answers report identical usage`, async () => {
      const t = translator(from, to, wantsUsage)
      await run(t, randomSplits(input, 11))
      const whole = translateResponse(fixtureJson(`${from}/response-tools.json`), from, to, {
        requestedModel: "my-model"
      })
      expect(Either.isRight(whole)).toBe(true)
      if (Either.isRight(whole)) expect(t.usage()).toEqual(whole.right.usage)
    })
  }

  it("OpenAI-format chunks validate against CreateChatCompletionStreamResponse", async () => {
    for (const from of ["anthropic", "gemini"] as const) {
      const out = await run(translator(from, "openai", true), [fixture(`${from}/stream-tools.sse`)])
      const events = dataEvents(out.text)
      expect(events.at(-1)).toBe("[DONE]")
      for (const e of events.slice(0, -1))
        expect(validateOpenAI("CreateChatCompletionStreamResponse", e)).toEqual([])
    }
  })

  it("classes stay apart: Anthropic cache reads and writes, Gemini cached and thought tokens", async () => {
    const a = translator("anthropic", "openai", false)
    await run(a, [fixture("anthropic/stream-tools.sse")])
    // message_start gave input and both cache classes, message_delta the output.
    expect(a.usage()).toEqual({
      inputTokens: 472,
      outputTokens: 89,
      cachedInputTokens: 2048,
      cacheCreationTokens: 100,
      reasoningTokens: 0,
      estimated: false
    })
    const g = translator("gemini", "anthropic", false)
    await run(g, [fixture("gemini/stream-tools.sse")])
    // promptTokenCount 2620 includes 2048 cached; output is 57 candidates + 32 thoughts.
    expect(g.usage()).toEqual({
      inputTokens: 572,
      outputTokens: 89,
      cachedInputTokens: 2048,
      cacheCreationTokens: 0,
      reasoningTokens: 32,
      estimated: false
    })
    const o = translator("openai", "anthropic", false)
    await run(o, [fixture("openai/stream-tools.sse")])
    expect(o.usage()).toEqual({
      inputTokens: 572,
      outputTokens: 89,
      cachedInputTokens: 2048,
      cacheCreationTokens: 0,
      reasoningTokens: 32,
      estimated: false
    })
  })

  it("an OpenAI client that did not ask for usage gets no usage chunk", async () => {
    const out = await run(translator("anthropic", "openai", false), [fixture("anthropic/stream-tools.sse")])
    const events = dataEvents(out.text)
    expect(events.some((e) => typeof e === "object" && e !== null && "usage" in e)).toBe(false)
    expect(events.at(-1)).toBe("[DONE]")
  })

  it("ignores comments and keep-alives between OpenAI chunks", async () => {
    const withComments = fixtureText("openai/stream-tools.sse").replaceAll(
      "data: {",
      ": keep-alive\n\ndata: {"
    )
    const golden = fixtureText("golden/openai-stream-tools.anthropic.sse")
    const out = await run(
      translator("openai", "anthropic", false),
      randomSplits(new TextEncoder().encode(withComments), 5)
    )
    expect(out.text).toBe(golden)
  })
})

describe("reasoning", () => {
  it("OpenAI-style reasoning_content deltas become an Anthropic thinking block, before the text", async () => {
    const chunk = (delta: unknown, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "deepseek-reasoner", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`
    const upstream =
      chunk({ role: "assistant", content: "" }) +
      chunk({ reasoning_content: "Think" }) +
      chunk({ reasoning_content: "ing." }) +
      chunk({ content: "Answer" }) +
      chunk({}, "stop") +
      `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "x", choices: [], usage: { prompt_tokens: 10, completion_tokens: 30, total_tokens: 40, completion_tokens_details: { reasoning_tokens: 25 } } })}\n\n` +
      "data: [DONE]\n\n"
    const t = translator("openai", "anthropic", false)
    const out = await run(t, randomSplits(new TextEncoder().encode(upstream), 4, 7))
    const events = dataEvents(out.text) as Array<{
      type: string
      content_block?: { type: string }
      delta?: unknown
    }>
    expect(events.map((e) => e.type)).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop"
    ])
    expect(events[1]!.content_block).toEqual({ type: "thinking", thinking: "" })
    expect(events[2]!.delta).toEqual({ type: "thinking_delta", thinking: "Think" })
    expect(events[6]!.delta).toEqual({ type: "text_delta", text: "Answer" })
    expect(events[8]).toEqual({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: {
        input_tokens: 10,
        output_tokens: 30,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0
      }
    })
    expect(t.usage().reasoningTokens).toBe(25)
  })
})

describe("tool calls", () => {
  it("a call whose name arrives after its id starts once named, with the arguments sent before", async () => {
    const chunk = (delta: unknown, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`
    const upstream =
      chunk({ tool_calls: [{ index: 0, id: "call_9", type: "function", function: { arguments: '{"a"' } }] }) +
      chunk({ tool_calls: [{ index: 0, function: { name: "f", arguments: ":1}" } }] }) +
      chunk({}, "tool_calls") +
      "data: [DONE]\n\n"
    const out = await run(translator("openai", "anthropic", false), [new TextEncoder().encode(upstream)])
    const events = dataEvents(out.text) as Array<{ type: string; content_block?: unknown; delta?: unknown }>
    expect(events[1]!.content_block).toEqual({ type: "tool_use", id: "call_9", name: "f", input: {} })
    expect(events[2]!.delta).toEqual({ type: "input_json_delta", partial_json: '{"a":1}' })
    expect(events[3]!.type).toBe("content_block_stop")
    expect(events[4]).toMatchObject({ type: "message_delta", delta: { stop_reason: "tool_use" } })
  })
})

describe("same-format streams pass through", () => {
  it("anthropic → anthropic forwards every byte untouched, in every delivery, and reads usage", async () => {
    const input = fixture("anthropic/stream-tools.sse")
    for (const [, chunks] of deliveries(input)) {
      const t = translator("anthropic", "anthropic", false)
      const out = await run(t, chunks)
      expect(out.bytes).toEqual(chunks.length === 1 ? input : concat(chunks))
      expect(t.usage()).toEqual({
        inputTokens: 472,
        outputTokens: 89,
        cachedInputTokens: 2048,
        cacheCreationTokens: 100,
        reasoningTokens: 0,
        estimated: false
      })
      expect(t.finished).toBe(true)
    }
  })

  it("openai → openai for a client that asked for usage: the same bytes, chunk for chunk", async () => {
    const input = fixture("openai/stream-tools.sse")
    for (const [, chunks] of deliveries(input)) {
      const t = translator("openai", "openai", true)
      const out = await run(t, chunks)
      expect(out.bytes).toEqual(concat(chunks))
      expect(t.usage().cachedInputTokens).toBe(2048)
      expect(t.usage().estimated).toBe(false)
    }
  })

  it("openai → openai for a client that did not ask: the usage-only chunk is removed, nothing else", async () => {
    const input = fixtureText("openai/stream-tools.sse")
    const events = input.split("\n\n").filter((e) => e !== "")
    const withoutUsage = `${events.filter((e) => !e.includes('"choices":[]')).join("\n\n")}\n\n`
    expect(withoutUsage.length).toBeLessThan(input.length)
    for (const [how, chunks] of deliveries(new TextEncoder().encode(input))) {
      const t = translator("openai", "openai", false)
      const out = await run(t, chunks)
      expect(out.text.replaceAll("\r\n", "\n"), how).toBe(withoutUsage)
      // The usage is still read for billing.
      expect(t.usage()).toEqual({
        inputTokens: 572,
        outputTokens: 89,
        cachedInputTokens: 2048,
        cacheCreationTokens: 0,
        reasoningTokens: 32,
        estimated: false
      })
    }
  })

  it("openai → openai: chunks that end on event boundaries go through as the very same bytes", async () => {
    const input = fixtureText("openai/stream-tools.sse")
    const chunks = input
      .split("\n\n")
      .filter((e) => e !== "")
      .map((e) => new TextEncoder().encode(`${e}\n\n`))
    const t = translator("openai", "openai", false)
    const out = await run(t, chunks)
    // Every chunk but the usage-only one reaches the client as it came.
    expect(out.chunks.length).toBe(chunks.length - 1)
    expect(out.chunks.slice(0, -1)).toEqual(chunks.slice(0, -2))
  })

  it("openai → openai: an upstream that ignored include_usage still gives the client an (estimated) usage chunk", async () => {
    const input = fixtureText("openai/stream-tools.sse")
      .split("\n\n")
      .filter((e) => e !== "" && !e.includes('"choices":[]'))
      .join("\n\n")
    const t = translator("openai", "openai", true, 700)
    const out = await run(t, randomSplits(new TextEncoder().encode(`${input}\n\n`), 3))
    const events = dataEvents(out.text)
    const usageChunk = events.at(-2) as { choices: Array<unknown>; usage: { prompt_tokens: number } }
    expect(usageChunk.choices).toEqual([])
    expect(usageChunk.usage.prompt_tokens).toBe(700)
    expect(validateOpenAI("CreateChatCompletionStreamResponse", usageChunk)).toEqual([])
    expect(events.at(-1)).toBe("[DONE]")
    expect(t.usage().estimated).toBe(true)
  })
})

describe("abandoned and broken streams", () => {
  it("an abandoned same-format OpenAI stream is billed from the text that went through", async () => {
    const chunks = fixtureText("openai/stream-tools.sse")
      .split("\n\n")
      .filter((e) => e !== "")
      .map((e) => new TextEncoder().encode(`${e}\n\n`))
    const t = translator("openai", "openai", false, 300)
    await runAbandoned(t, chunks, 6)
    // Two text deltas and the first tool call's two argument fragments, as written in the JSON.
    const sent =
      "Checking both cities — ".length +
      "Zürich and 東京 🌍.".length +
      '{\\"city\\": \\"Zür'.length +
      'ich\\"}'.length
    expect(t.usage()).toEqual({
      inputTokens: 300,
      outputTokens: Math.ceil(sent / 4),
      cachedInputTokens: 0,
      cacheCreationTokens: 0,
      reasoningTokens: 0,
      estimated: true
    })
  })

  it("a truncated same-format Anthropic stream is forwarded as it came plus an error event", async () => {
    const text = fixtureText("anthropic/stream-tools.sse")
    const cut = text.slice(0, text.indexOf("event: message_delta"))
    const t = translator("anthropic", "anthropic", false)
    const out = await run(t, randomSplits(new TextEncoder().encode(cut), 9))
    expect(out.text).toBe(
      `${cut}event: error\ndata: {"type":"error","error":{"type":"api_error","message":"The Anthropic upstream stream ended before it completed"}}\n\n`
    )
    expect(t.error?.kind).toBe("truncated")
    // Tool names count too (content_block_start is read in full).
    const sent =
      "get_weather".length * 2 +
      "The user wants the weather in two cities.".length +
      "Checking both cities — ".length +
      "Zürich and 東京 🌍.".length +
      '{\\"city\\": \\"Zür'.length +
      'ich\\"}'.length +
      '{\\"city\\": \\"東京\\"}'.length
    expect(t.usage()).toMatchObject({ inputTokens: 472, outputTokens: Math.ceil(sent / 4), estimated: true })
  })

  it("a client leaving after N chunks of an OpenAI upstream is billed an estimate from the text it got", async () => {
    const chunks = fixtureText("openai/stream-tools.sse")
      .split("\n\n")
      .filter((e) => e !== "")
      .map((e) => new TextEncoder().encode(`${e}\n\n`))
    const t = translator("openai", "anthropic", false, 1200)
    const received = await runAbandoned(t, chunks, 3)
    expect(received).toContain("Zürich and 東京")
    const sent = "Checking both cities — ".length + "Zürich and 東京 🌍.".length
    expect(t.usage()).toEqual({
      inputTokens: 1200,
      outputTokens: Math.ceil(sent / 4),
      cachedInputTokens: 0,
      cacheCreationTokens: 0,
      reasoningTokens: 0,
      estimated: true
    })
    expect(t.finished).toBe(false)
  })

  it("an abandoned Anthropic stream keeps the reported input and estimates only the output", async () => {
    const events = fixtureText("anthropic/stream-tools.sse").split("\n\n")
    const chunks = events.filter((e) => e !== "").map((e) => new TextEncoder().encode(`${e}\n\n`))
    const t = translator("anthropic", "openai", false)
    // message_start, thinking start, ping, thinking delta, signature, stop, text start, two text deltas
    await runAbandoned(t, chunks, 9)
    const sent =
      "The user wants the weather in two cities.".length +
      "Checking both cities — ".length +
      "Zürich and 東京 🌍.".length
    expect(t.usage()).toEqual({
      inputTokens: 472,
      outputTokens: Math.ceil(sent / 4),
      cachedInputTokens: 2048,
      cacheCreationTokens: 100,
      reasoningTokens: 0,
      estimated: true
    })
  })

  it("an upstream that stops mid-stream leaves an error event for the client and an estimate", async () => {
    const text = fixtureText("anthropic/stream-tools.sse")
    const cut = text.slice(
      0,
      text.indexOf('event: content_block_stop\ndata: {"type":"content_block_stop","index":1}')
    )
    const t = translator("anthropic", "openai", false)
    const out = await run(t, randomSplits(new TextEncoder().encode(cut), 2))
    const events = dataEvents(out.text)
    const last = events.at(-1) as { error: { type: string; message: string } }
    expect(last.error.message).toBe("The Anthropic upstream stream ended before it completed")
    expect(validateOpenAI("ErrorResponse", last)).toEqual([])
    expect(t.error?.kind).toBe("truncated")
    expect(t.finished).toBe(false)
    expect(t.usage().estimated).toBe(true)
    expect(t.usage().inputTokens).toBe(472)
  })

  it("an Anthropic error event mid-stream reaches an OpenAI client as an OpenAI error", async () => {
    const text = fixtureText("anthropic/stream-tools.sse")
    const at = text.indexOf('event: content_block_start\ndata: {"type":"content_block_start","index":1')
    const broken = `${text.slice(0, at)}event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n`
    const t = translator("anthropic", "openai", false)
    const out = await run(t, [new TextEncoder().encode(broken)])
    expect(dataEvents(out.text).at(-1)).toEqual({
      error: { message: "Overloaded", type: "overloaded_error", param: null, code: null }
    })
    expect(t.error).toEqual({ kind: "upstream_error", type: "overloaded_error", message: "Overloaded" })
  })

  it("an OpenAI error chunk reaches an Anthropic client as an Anthropic error event", async () => {
    const broken =
      'data: {"error":{"message":"Rate limit reached","type":"rate_limit_error","param":null,"code":null}}\n\n'
    const t = translator("openai", "anthropic", false)
    const out = await run(t, [new TextEncoder().encode(broken)])
    expect(out.text).toBe(
      'event: error\ndata: {"type":"error","error":{"type":"rate_limit_error","message":"Rate limit reached"}}\n\n'
    )
  })

  it("a malformed Gemini event is reported, and nothing after it is translated", async () => {
    const text = fixtureText("gemini/stream-tools.sse")
    const first = text.slice(0, text.indexOf("\r\n\r\n") + 4)
    const t = translator("gemini", "openai", false)
    const out = await run(t, [
      new TextEncoder().encode(`${first}data: {"candidates": [\r\n\r\n${text.slice(first.length)}`)
    ])
    const events = dataEvents(out.text)
    expect(events.at(-1)).toEqual({
      error: {
        message: "The Gemini upstream sent a malformed stream event",
        type: "api_error",
        param: null,
        code: null
      }
    })
    expect(out.text).not.toContain("Checking both cities")
    expect(t.error?.kind).toBe("malformed")
  })

  it("an upstream error chunk in a same-format OpenAI stream reaches the client as it came", async () => {
    const text = fixtureText("openai/stream-tools.sse")
    const first = text.slice(0, text.indexOf("\n\n") + 2)
    const error =
      'data: {"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}\n\n'
    const t = translator("openai", "openai", false)
    const out = await run(t, everyBytes(new TextEncoder().encode(first + error), 7))
    expect(out.text).toBe(first + error)
    expect(t.error).toEqual({
      kind: "upstream_error",
      type: "server_error",
      message: "The server had an error"
    })
  })

  it("a truncated same-format OpenAI stream gets an error event appended", async () => {
    const text = fixtureText("openai/stream-tools.sse")
    const cut = text.slice(0, text.indexOf('"finish_reason":"tool_calls"') - 200)
    const t = translator("openai", "openai", false)
    const out = await run(t, everyBytes(new TextEncoder().encode(cut), 64))
    expect(out.text.startsWith(cut.slice(0, cut.lastIndexOf("\n\n") + 2))).toBe(true)
    expect(dataEvents(out.text).at(-1)).toEqual({
      error: {
        message: "The OpenAI-compatible upstream stream ended before it completed",
        type: "api_error",
        param: null,
        code: null
      }
    })
  })
})

const concat = (chunks: ReadonlyArray<Uint8Array>): Uint8Array => {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const c of chunks) {
    all.set(c, at)
    at += c.length
  }
  return all
}
