/**
 * Accounting exactness end to end: fake OpenAI, Anthropic and Gemini upstreams on loopback speaking
 * their exact wire formats, the router in front, and the usage event read back from the ledger's
 * memory recorder. Costs are asserted in micro-dollars computed by hand from the shipped price list
 * (USD per million tokens = micro-dollars per token).
 */

import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import type { UsageEvent } from "@switchyard/domain"
import { type FakeUpstream, type Received, type Script, sseText, startFake } from "./FakeUpstream.ts"
import { startRouter, TEST_KEY, type TestRouter } from "./Harness.ts"

let openaiFake: FakeUpstream
let anthropicFake: FakeUpstream
let geminiFake: FakeUpstream
let router: TestRouter
let strict: TestRouter

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const bodyOf = (req: Received): Record<string, unknown> => JSON.parse(req.body)
const estimate = (chars: number) => Math.ceil(chars / 4)

// ---------------------------------------------------------------------------------------------
// The answer every upstream gives: the same words, in pieces when streamed.

const PIECES = ["The ", "answer ", "is ", "forty-two."]
const TEXT = PIECES.join("")

// ---------------------------------------------------------------------------------------------
// OpenAI (o3: reasoning tokens and cached reads; priced input 2, cached 0.5, output 8 per million).

const OPENAI_USAGE = {
  prompt_tokens: 1200,
  completion_tokens: 300,
  total_tokens: 1500,
  prompt_tokens_details: { cached_tokens: 1000 },
  completion_tokens_details: { reasoning_tokens: 200 }
}
/** 200 plain input × 2 + 1000 cached × 0.5 + 300 output (reasoning included, no own rate) × 8. */
const OPENAI_COST = 200 * 2 + 1000 * 0.5 + 300 * 8
const OPENAI_TOKENS = {
  inputTokens: 200,
  outputTokens: 300,
  cachedInputTokens: 1000,
  cacheCreationTokens: 0,
  reasoningTokens: 200,
  estimated: false
}

const openaiChunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
  id: "chatcmpl-1",
  object: "chat.completion.chunk",
  created: 1,
  model: "o3-2025-04-16",
  choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }]
})

/** How the OpenAI fake streams: all of it, `cut` pieces then hang, or `cut` pieces then break. */
type StreamMode =
  | { readonly _tag: "full"; readonly usage: boolean }
  | { readonly _tag: "hang"; readonly after: number }
  | { readonly _tag: "break"; readonly after: number }

const writeThenEnd = async (
  res: Parameters<Script>[1],
  req: Received,
  events: ReadonlyArray<string>,
  mode: StreamMode
) => {
  res.writeHead(200, { "content-type": "text/event-stream" })
  const limit = mode._tag === "full" ? events.length : mode.after
  for (let i = 0; i < limit; i++) {
    res.write(events[i])
    await sleep(2)
  }
  if (mode._tag === "hang") return req.aborted
  if (mode._tag === "break") return res.destroy()
  res.end()
}

let openaiMode: StreamMode = { _tag: "full", usage: true }
let usageOnFinish = false

const openaiScript: Script = async (req, res) => {
  const body = bodyOf(req)
  if (body.stream !== true) {
    res.writeHead(200, { "content-type": "application/json" })
    res.end(
      JSON.stringify({
        id: "chatcmpl-1",
        object: "chat.completion",
        created: 1,
        model: "o3-2025-04-16",
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: TEXT, refusal: null },
            finish_reason: "stop",
            logprobs: null
          }
        ],
        // An OpenAI-compatible server that reports no usage at all (mode `full` without usage).
        ...(openaiMode._tag === "full" && !openaiMode.usage ? {} : { usage: OPENAI_USAGE })
      })
    )
    return
  }
  // Like OpenAI: the usage chunk only when it was asked for (and the mode reports it).
  const asked = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true
  const events = [
    openaiChunk({ role: "assistant", content: "" }),
    ...PIECES.map((p) => openaiChunk({ content: p })),
    openaiChunk({}, "stop")
  ].map((c) => sseText([{ data: { ...c, usage: null } }], { done: false }))
  if (asked && usageOnFinish) {
    // Some OpenAI-compatible servers put the usage on the chunk with the finish reason.
    events[events.length - 1] = sseText([{ data: { ...openaiChunk({}, "stop"), usage: OPENAI_USAGE } }], {
      done: false
    })
  } else if (asked && (openaiMode._tag !== "full" || openaiMode.usage)) {
    events.push(
      sseText([{ data: { ...openaiChunk({}), choices: [], usage: OPENAI_USAGE } }], { done: false })
    )
  }
  events.push("data: [DONE]\r\n\r\n")
  await writeThenEnd(res, req, events, openaiMode)
}

// ---------------------------------------------------------------------------------------------
// Anthropic (claude-sonnet-4-5: input 3, output 15, cache read 0.3, cache write 3.75 per million).

const ANTHROPIC_USAGE = {
  input_tokens: 100,
  output_tokens: 50,
  cache_read_input_tokens: 2000,
  cache_creation_input_tokens: 500
}
/** 100 × 3 + 50 × 15 + 2000 × 0.3 + 500 × 3.75. */
const ANTHROPIC_COST = 100 * 3 + 50 * 15 + 2000 * 0.3 + 500 * 3.75
const ANTHROPIC_TOKENS = {
  inputTokens: 100,
  outputTokens: 50,
  cachedInputTokens: 2000,
  cacheCreationTokens: 500,
  reasoningTokens: 0,
  estimated: false
}

let anthropicMode: StreamMode = { _tag: "full", usage: true }

const anthropicMessage = (content: Array<unknown>, stop: string | null, usage: unknown) => ({
  id: "msg_01",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-5-20250929",
  content,
  stop_reason: stop,
  stop_sequence: null,
  usage
})

const anthropicScript: Script = async (req, res) => {
  const body = bodyOf(req)
  if (body.stream !== true) {
    res.writeHead(200, { "content-type": "application/json" })
    res.end(JSON.stringify(anthropicMessage([{ type: "text", text: TEXT }], "end_turn", ANTHROPIC_USAGE)))
    return
  }
  const events = [
    {
      event: "message_start",
      data: {
        type: "message_start",
        message: anthropicMessage([], null, { ...ANTHROPIC_USAGE, output_tokens: 1 })
      }
    },
    {
      event: "content_block_start",
      data: { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }
    },
    { event: "ping", data: { type: "ping" } },
    ...PIECES.map((p) => ({
      event: "content_block_delta",
      data: { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: p } }
    })),
    { event: "content_block_stop", data: { type: "content_block_stop", index: 0 } },
    {
      event: "message_delta",
      data: {
        type: "message_delta",
        delta: { stop_reason: "end_turn", stop_sequence: null },
        usage: { output_tokens: 50 }
      }
    },
    { event: "message_stop", data: { type: "message_stop" } }
  ].map((e) => sseText([e], { done: false }))
  await writeThenEnd(res, req, events, anthropicMode)
}

// ---------------------------------------------------------------------------------------------
// Gemini (gemini-2.5-pro: input 1.25, output 10, cached 0.125 per million; thoughts are output).

const GEMINI_USAGE = {
  promptTokenCount: 1500,
  cachedContentTokenCount: 1000,
  candidatesTokenCount: 40,
  thoughtsTokenCount: 60,
  totalTokenCount: 1600
}
/** 500 plain input × 1.25 + 1000 cached × 0.125 + (40 + 60) output × 10. */
const GEMINI_COST = 500 * 1.25 + 1000 * 0.125 + 100 * 10
const GEMINI_TOKENS = {
  inputTokens: 500,
  outputTokens: 100,
  cachedInputTokens: 1000,
  cacheCreationTokens: 0,
  reasoningTokens: 60,
  estimated: false
}

let geminiMode: StreamMode = { _tag: "full", usage: true }

const geminiScript: Script = async (req, res) => {
  const candidate = (text: string, finish?: string) => ({
    content: { role: "model", parts: [{ text }] },
    index: 0,
    ...(finish === undefined ? {} : { finishReason: finish })
  })
  if (!req.url.includes(":streamGenerateContent")) {
    res.writeHead(200, { "content-type": "application/json" })
    res.end(
      JSON.stringify({
        candidates: [candidate(TEXT, "STOP")],
        usageMetadata: GEMINI_USAGE,
        modelVersion: "gemini-2.5-pro"
      })
    )
    return
  }
  // Gemini repeats cumulative usage on every chunk; the last one (with the finish reason) is final.
  const events = PIECES.map((p, i) =>
    sseText(
      [
        {
          data: {
            candidates: [candidate(p, i === PIECES.length - 1 ? "STOP" : undefined)],
            usageMetadata:
              i === PIECES.length - 1
                ? GEMINI_USAGE
                : { promptTokenCount: 1500, cachedContentTokenCount: 1000, totalTokenCount: 1500 },
            modelVersion: "gemini-2.5-pro"
          }
        }
      ],
      { done: false, crlf: false }
    )
  )
  await writeThenEnd(res, req, events, geminiMode)
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  openaiFake = await startFake(openaiScript)
  anthropicFake = await startFake(anthropicScript)
  geminiFake = await startFake(geminiScript)
  const env = {
    OPENAI_BASE_URL: `${openaiFake.url}/v1`,
    OPENAI_API_KEY: "sk-openai",
    ANTHROPIC_BASE_URL: anthropicFake.url,
    ANTHROPIC_API_KEY: "sk-ant",
    GOOGLE_AI_BASE_URL: `${geminiFake.url}/v1beta`,
    GOOGLE_AI_KEY: "g-key"
  }
  router = await startRouter({ env })
  strict = await startRouter({ env, settings: { strict: true } })
})

afterAll(async () => {
  await router.close()
  await strict.close()
  await Promise.all([openaiFake.close(), anthropicFake.close(), geminiFake.close()])
})

const MESSAGES = [{ role: "user", content: "What is the answer?" }]

const post = (path: string, body: unknown, target: TestRouter = router, signal?: AbortSignal) =>
  fetch(`${target.url}${path}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${TEST_KEY}`,
      "x-api-key": TEST_KEY,
      "anthropic-version": "2023-06-01",
      "content-type": "application/json"
    },
    body: JSON.stringify(body),
    ...(signal === undefined ? {} : { signal })
  })

/** The one usage event of a response (waits for it; fails if there is not exactly one). */
const eventOf = async (res: Response, target: TestRouter = router): Promise<UsageEvent> => {
  const id = res.headers.get("x-request-id")
  expect(id).not.toBeNull()
  for (let i = 0; i < 200; i++) {
    const matching = (await target.events()).filter((e) => e.requestId === id)
    if (matching.length > 0) {
      await sleep(20)
      const again = (await target.events()).filter((e) => e.requestId === id)
      expect(again).toHaveLength(1)
      return again[0]!
    }
    await sleep(10)
  }
  throw new Error(`no usage event for ${id}`)
}

/** The data payloads of an SSE body. */
const sseData = (text: string): Array<string> =>
  text
    .split(/\r?\n/)
    .filter((l) => l.startsWith("data:"))
    .map((l) => l.slice(5).trim())

const openaiChunks = (text: string): Array<Record<string, unknown>> =>
  sseData(text)
    .filter((d) => d !== "[DONE]")
    .map((d) => JSON.parse(d))

const isUsageChunk = (c: Record<string, unknown>) =>
  Array.isArray(c.choices) && c.choices.length === 0 && typeof c.usage === "object" && c.usage !== null

// ---------------------------------------------------------------------------------------------

describe("streamed and non-streamed answers are billed the same", () => {
  const cases = [
    {
      name: "OpenAI client → OpenAI",
      path: "/v1/chat/completions",
      model: "o3-2025-04-16",
      tokens: OPENAI_TOKENS,
      cost: OPENAI_COST,
      extra: {}
    },
    {
      name: "OpenAI client → OpenAI, usage asked",
      path: "/v1/chat/completions",
      model: "o3-2025-04-16",
      tokens: OPENAI_TOKENS,
      cost: OPENAI_COST,
      extra: { stream_options: { include_usage: true } }
    },
    {
      name: "Anthropic client → Anthropic",
      path: "/v1/messages",
      model: "claude-sonnet-4-5",
      tokens: ANTHROPIC_TOKENS,
      cost: ANTHROPIC_COST,
      extra: { max_tokens: 100 }
    },
    {
      name: "OpenAI client → Anthropic",
      path: "/v1/chat/completions",
      model: "claude-sonnet-4-5",
      tokens: ANTHROPIC_TOKENS,
      cost: ANTHROPIC_COST,
      extra: {}
    },
    {
      name: "OpenAI client → Gemini",
      path: "/v1/chat/completions",
      model: "gemini-2.5-pro",
      tokens: GEMINI_TOKENS,
      cost: GEMINI_COST,
      extra: {}
    },
    {
      name: "Anthropic client → Gemini",
      path: "/v1/messages",
      model: "gemini-2.5-pro",
      tokens: GEMINI_TOKENS,
      cost: GEMINI_COST,
      extra: { max_tokens: 100 }
    },
    {
      name: "Anthropic client → OpenAI",
      path: "/v1/messages",
      model: "o3-2025-04-16",
      tokens: OPENAI_TOKENS,
      cost: OPENAI_COST,
      extra: { max_tokens: 100 }
    }
  ] as const

  for (const c of cases) {
    it(c.name, async () => {
      openaiMode = { _tag: "full", usage: true }
      anthropicMode = { _tag: "full", usage: true }
      const plain = await post(c.path, { model: c.model, messages: MESSAGES, ...c.extra })
      expect(plain.status).toBe(200)
      await plain.text()
      const streamed = await post(c.path, { model: c.model, messages: MESSAGES, stream: true, ...c.extra })
      expect(streamed.status).toBe(200)
      await streamed.text()
      if (c.model.startsWith("o3")) {
        // Every OpenAI stream asks for usage, whoever the client is and whatever it asked.
        expect(bodyOf(openaiFake.received.at(-1)!).stream_options).toEqual({ include_usage: true })
      }
      const [a, b] = [await eventOf(plain), await eventOf(streamed)]
      expect(a.usage).toEqual(c.tokens)
      expect(b.usage).toEqual(c.tokens)
      expect(a.costMicros).toBe(c.cost)
      expect(b.costMicros).toBe(c.cost)
      expect([a.stream, b.stream]).toEqual([false, true])
      expect([a.outcome, b.outcome]).toEqual(["success", "success"])
    })
  }

  it("a model listing no cache rate bills cached reads at its input rate (the documented fallback)", async () => {
    openaiMode = { _tag: "full", usage: true }
    const res = await post("/v1/chat/completions", { model: "o3-pro", messages: MESSAGES })
    expect(res.status).toBe(200)
    await res.text()
    const event = await eventOf(res)
    expect(event.usage).toEqual(OPENAI_TOKENS)
    // o3-pro: input 20, output 80 per million, no cached-input rate.
    expect(event.costMicros).toBe(200 * 20 + 1000 * 20 + 300 * 80)
  })
})

describe("the usage chunk OpenAI clients see", () => {
  const upstreams = [
    { name: "OpenAI", model: "o3-2025-04-16" },
    { name: "Anthropic", model: "claude-sonnet-4-5" },
    { name: "Gemini", model: "gemini-2.5-pro" }
  ] as const
  for (const u of upstreams) {
    it(`${u.name}: never reaches a client that did not ask, always one that did`, async () => {
      openaiMode = { _tag: "full", usage: true }
      anthropicMode = { _tag: "full", usage: true }
      const without = await post("/v1/chat/completions", { model: u.model, messages: MESSAGES, stream: true })
      const withoutChunks = openaiChunks(await without.text())
      expect(withoutChunks.length).toBeGreaterThan(0)
      expect(withoutChunks.filter(isUsageChunk)).toEqual([])
      expect(withoutChunks.filter((c) => c.usage !== undefined && c.usage !== null)).toEqual([])
      if (u.name === "OpenAI") {
        expect(bodyOf(openaiFake.received.at(-1)!).stream_options).toEqual({ include_usage: true })
      }

      const asked = await post("/v1/chat/completions", {
        model: u.model,
        messages: MESSAGES,
        stream: true,
        stream_options: { include_usage: true }
      })
      const askedChunks = openaiChunks(await asked.text())
      const usageChunks = askedChunks.filter(isUsageChunk)
      expect(usageChunks).toHaveLength(1)
      expect(askedChunks.at(-1)).toBe(usageChunks[0])
      if (u.name === "OpenAI") {
        expect(bodyOf(openaiFake.received.at(-1)!).stream_options).toEqual({ include_usage: true })
        expect(usageChunks[0]!.usage).toEqual(OPENAI_USAGE)
      }
      const [a, b] = [await eventOf(without), await eventOf(asked)]
      expect(a.usage).toEqual(b.usage)
      expect(a.usage.estimated).toBe(false)
      expect(a.costMicros).toBe(b.costMicros)
    })
  }
})

describe("usage reported on the finish chunk (OpenAI-compatible servers)", () => {
  it("is billed exactly and taken off the chunk for a client that did not ask, left on for one that did", async () => {
    openaiMode = { _tag: "full", usage: true }
    usageOnFinish = true
    try {
      const without = await post("/v1/chat/completions", {
        model: "o3-2025-04-16",
        messages: MESSAGES,
        stream: true
      })
      const withoutChunks = openaiChunks(await without.text())
      expect(withoutChunks.filter((c) => c.usage !== undefined && c.usage !== null)).toEqual([])
      // The finish reason survives the removal of the usage.
      expect(
        withoutChunks.some(
          (c) => (c.choices as Array<{ finish_reason: unknown }>)[0]?.finish_reason === "stop"
        )
      ).toBe(true)
      const asked = await post("/v1/chat/completions", {
        model: "o3-2025-04-16",
        messages: MESSAGES,
        stream: true,
        stream_options: { include_usage: true }
      })
      const askedChunks = openaiChunks(await asked.text())
      expect(
        askedChunks.filter((c) => c.usage !== undefined && c.usage !== null).map((c) => c.usage)
      ).toEqual([OPENAI_USAGE])
      const [a, b] = [await eventOf(without), await eventOf(asked)]
      expect(a.usage).toEqual(OPENAI_TOKENS)
      expect(b.usage).toEqual(OPENAI_TOKENS)
      expect([a.costMicros, b.costMicros]).toEqual([OPENAI_COST, OPENAI_COST])
    } finally {
      usageOnFinish = false
    }
  })
})

/** Reads an SSE response until `pieces` text pieces arrived, then leaves. */
const readThenLeave = async (res: Response, pieces: number, countPieces: (text: string) => number) => {
  const reader = res.body!.getReader()
  const decoder = new TextDecoder()
  let text = ""
  while (countPieces(text) < pieces) {
    const next = await reader.read()
    if (next.done) break
    text += decoder.decode(next.value, { stream: true })
  }
  await reader.cancel()
  return text
}

/** The SSE text up to the end of its last complete event. */
const completeEvents = (text: string) => {
  const end = Math.max(text.lastIndexOf("\n\n"), text.lastIndexOf("\r\n\r\n"))
  return end < 0 ? "" : text.slice(0, end)
}

const openaiPieces = (text: string) =>
  sseData(text.slice(0, text.lastIndexOf("\n") + 1)).filter(
    (d) => d !== "[DONE]" && d.includes('"content":"') && !d.includes('"content":""')
  ).length
const anthropicPieces = (text: string) =>
  sseData(text.slice(0, text.lastIndexOf("\n") + 1)).filter((d) => d.includes('"text_delta"')).length

describe("a client that leaves after N chunks", () => {
  const PROMPT_TOKENS = estimate("What is the answer?".length)

  it("OpenAI client → OpenAI (usage not asked): billed for the chunks sent, estimated, one event", async () => {
    openaiMode = { _tag: "hang", after: 3 } // role chunk + "The " + "answer "
    const res = await post("/v1/chat/completions", {
      model: "o3-2025-04-16",
      messages: MESSAGES,
      stream: true
    })
    await readThenLeave(res, 2, openaiPieces)
    await openaiFake.received.at(-1)!.aborted
    const event = await eventOf(res)
    expect(event.outcome).toBe("client_abort")
    expect(event.usage).toEqual({
      inputTokens: PROMPT_TOKENS,
      outputTokens: estimate("The answer ".length),
      cachedInputTokens: 0,
      cacheCreationTokens: 0,
      reasoningTokens: 0,
      estimated: true
    })
    expect(event.costMicros).toBe(Math.round(PROMPT_TOKENS * 2 + estimate("The answer ".length) * 8))
  })

  it("OpenAI client → OpenAI (usage asked, same format): billed for the chunks sent, estimated", async () => {
    openaiMode = { _tag: "hang", after: 4 } // role chunk + three pieces
    const res = await post("/v1/chat/completions", {
      model: "o3-2025-04-16",
      messages: MESSAGES,
      stream: true,
      stream_options: { include_usage: true }
    })
    await readThenLeave(res, 3, openaiPieces)
    await openaiFake.received.at(-1)!.aborted
    const event = await eventOf(res)
    expect(event.outcome).toBe("client_abort")
    expect(event.usage).toEqual({
      inputTokens: PROMPT_TOKENS,
      outputTokens: estimate("The answer is ".length),
      cachedInputTokens: 0,
      cacheCreationTokens: 0,
      reasoningTokens: 0,
      estimated: true
    })
  })

  it("Anthropic client → Anthropic: the reported prompt, output estimated from the text sent", async () => {
    anthropicMode = { _tag: "hang", after: 5 } // message_start, block start, ping, two deltas
    const res = await post("/v1/messages", {
      model: "claude-sonnet-4-5",
      max_tokens: 100,
      messages: MESSAGES,
      stream: true
    })
    await readThenLeave(res, 2, anthropicPieces)
    await anthropicFake.received.at(-1)!.aborted
    const event = await eventOf(res)
    expect(event.outcome).toBe("client_abort")
    const output = estimate("The answer ".length)
    expect(event.usage).toEqual({
      inputTokens: 100,
      outputTokens: output,
      cachedInputTokens: 2000,
      cacheCreationTokens: 500,
      reasoningTokens: 0,
      estimated: true
    })
    expect(event.costMicros).toBe(100 * 3 + output * 15 + 2000 * 0.3 + 500 * 3.75)
  })

  it("OpenAI client → Anthropic: the reported prompt, output estimated from the text sent", async () => {
    anthropicMode = { _tag: "hang", after: 5 }
    const res = await post("/v1/chat/completions", {
      model: "claude-sonnet-4-5",
      messages: MESSAGES,
      stream: true
    })
    await readThenLeave(res, 2, openaiPieces)
    await anthropicFake.received.at(-1)!.aborted
    const event = await eventOf(res)
    expect(event.outcome).toBe("client_abort")
    expect(event.usage).toMatchObject({
      inputTokens: 100,
      outputTokens: estimate("The answer ".length),
      cachedInputTokens: 2000,
      cacheCreationTokens: 500,
      estimated: true
    })
  })
})

describe("a client that leaves after the upstream reported its usage", () => {
  it("OpenAI (usage asked): the reported usage, exact, outcome client_abort", async () => {
    openaiMode = { _tag: "hang", after: 7 } // everything up to the usage chunk, no [DONE]
    const res = await post("/v1/chat/completions", {
      model: "o3-2025-04-16",
      messages: MESSAGES,
      stream: true,
      stream_options: { include_usage: true }
    })
    const seen = await readThenLeave(
      res,
      1,
      (text) => openaiChunks(completeEvents(text)).filter(isUsageChunk).length
    )
    expect(seen).not.toContain("[DONE]")
    await openaiFake.received.at(-1)!.aborted
    const event = await eventOf(res)
    expect(event.outcome).toBe("client_abort")
    expect(event.usage).toEqual(OPENAI_TOKENS)
    expect(event.costMicros).toBe(OPENAI_COST)
  })

  it("Anthropic: the reported usage (message_delta), exact, outcome client_abort", async () => {
    anthropicMode = { _tag: "hang", after: 9 } // everything up to message_delta, no message_stop
    const res = await post("/v1/messages", {
      model: "claude-sonnet-4-5",
      max_tokens: 100,
      messages: MESSAGES,
      stream: true
    })
    const seen = await readThenLeave(
      res,
      1,
      (text) => sseData(completeEvents(text)).filter((d) => d.includes('"message_delta"')).length
    )
    expect(seen).not.toContain("message_stop")
    await anthropicFake.received.at(-1)!.aborted
    const event = await eventOf(res)
    expect(event.outcome).toBe("client_abort")
    expect(event.usage).toEqual(ANTHROPIC_TOKENS)
    expect(event.costMicros).toBe(ANTHROPIC_COST)
  })
})

describe("an upstream that breaks mid-stream", () => {
  const PROMPT_TOKENS = estimate("What is the answer?".length)

  it("OpenAI: billed for what was generated, one event", async () => {
    openaiMode = { _tag: "break", after: 3 }
    const res = await post("/v1/chat/completions", {
      model: "o3-2025-04-16",
      messages: MESSAGES,
      stream: true
    })
    const text = await res.text()
    expect(text).toContain("answer ")
    const event = await eventOf(res)
    expect(event.outcome).toBe("provider_error")
    expect(event.usage).toEqual({
      inputTokens: PROMPT_TOKENS,
      outputTokens: estimate("The answer ".length),
      cachedInputTokens: 0,
      cacheCreationTokens: 0,
      reasoningTokens: 0,
      estimated: true
    })
  })

  it("OpenAI, usage asked (same format): billed for what was generated, one event", async () => {
    openaiMode = { _tag: "break", after: 3 }
    const res = await post("/v1/chat/completions", {
      model: "o3-2025-04-16",
      messages: MESSAGES,
      stream: true,
      stream_options: { include_usage: true }
    })
    await res.text()
    const event = await eventOf(res)
    expect(event.outcome).toBe("provider_error")
    expect(event.usage).toMatchObject({
      inputTokens: PROMPT_TOKENS,
      outputTokens: estimate("The answer ".length),
      estimated: true
    })
  })

  it("Anthropic (same format): the reported prompt, output estimated, one event", async () => {
    anthropicMode = { _tag: "break", after: 5 }
    const res = await post("/v1/messages", {
      model: "claude-sonnet-4-5",
      max_tokens: 100,
      messages: MESSAGES,
      stream: true
    })
    await res.text()
    const event = await eventOf(res)
    expect(event.outcome).toBe("provider_error")
    expect(event.usage).toMatchObject({
      inputTokens: 100,
      outputTokens: estimate("The answer ".length),
      cachedInputTokens: 2000,
      cacheCreationTokens: 500,
      estimated: true
    })
  })
})

describe("a same-format stream whose upstream never reports usage", () => {
  it("is estimated from the request and the text sent, never recorded as zero", async () => {
    openaiMode = { _tag: "full", usage: false }
    const res = await post("/v1/chat/completions", {
      model: "o3-2025-04-16",
      messages: MESSAGES,
      stream: true,
      stream_options: { include_usage: true }
    })
    await res.text()
    const event = await eventOf(res)
    expect(event.outcome).toBe("success")
    expect(event.usage).toEqual({
      inputTokens: estimate("What is the answer?".length),
      outputTokens: estimate(TEXT.length),
      cachedInputTokens: 0,
      cacheCreationTokens: 0,
      reasoningTokens: 0,
      estimated: true
    })
    openaiMode = { _tag: "full", usage: true }
  })
})

describe("an answer whose upstream never reports usage (OpenAI-compatible servers)", () => {
  const expected = {
    inputTokens: estimate("What is the answer?".length),
    outputTokens: estimate(TEXT.length),
    cachedInputTokens: 0,
    cacheCreationTokens: 0,
    reasoningTokens: 0,
    estimated: true
  }

  it("non-streamed, same format: estimated from the request and the answer, never zero", async () => {
    openaiMode = { _tag: "full", usage: false }
    const res = await post("/v1/chat/completions", { model: "o3-2025-04-16", messages: MESSAGES })
    expect(res.status).toBe(200)
    expect((await res.json()).usage).toBeUndefined()
    const event = await eventOf(res)
    expect(event.usage).toEqual(expected)
    expect(event.costMicros).toBe(expected.inputTokens * 2 + expected.outputTokens * 8)
    openaiMode = { _tag: "full", usage: true }
  })

  it("non-streamed, translated: estimated from the request and the answer", async () => {
    openaiMode = { _tag: "full", usage: false }
    const res = await post("/v1/messages", { model: "o3-2025-04-16", max_tokens: 100, messages: MESSAGES })
    expect(res.status).toBe(200)
    await res.text()
    expect((await eventOf(res)).usage).toEqual(expected)
    openaiMode = { _tag: "full", usage: true }
  })

  it("streamed, usage not asked by the client (asked of the upstream, which ignored it)", async () => {
    openaiMode = { _tag: "full", usage: false }
    const res = await post("/v1/chat/completions", {
      model: "o3-2025-04-16",
      messages: MESSAGES,
      stream: true
    })
    await res.text()
    expect((await eventOf(res)).usage).toEqual(expected)
    openaiMode = { _tag: "full", usage: true }
  })
})

describe("Gemini streams cut short", () => {
  it("a client that leaves: the reported prompt (cumulative usage so far), output from the text sent", async () => {
    geminiMode = { _tag: "hang", after: 2 }
    const res = await post("/v1/chat/completions", {
      model: "gemini-2.5-pro",
      messages: MESSAGES,
      stream: true
    })
    await readThenLeave(res, 2, openaiPieces)
    await geminiFake.received.at(-1)!.aborted
    const event = await eventOf(res)
    expect(event.outcome).toBe("client_abort")
    const output = estimate("The answer ".length)
    expect(event.usage).toEqual({
      inputTokens: 500,
      outputTokens: output,
      cachedInputTokens: 1000,
      cacheCreationTokens: 0,
      reasoningTokens: 0,
      estimated: true
    })
    expect(event.costMicros).toBe(500 * 1.25 + 1000 * 0.125 + output * 10)
    geminiMode = { _tag: "full", usage: true }
  })

  it("an upstream that breaks: billed for what was generated, one event", async () => {
    geminiMode = { _tag: "break", after: 3 }
    const res = await post("/v1/messages", {
      model: "gemini-2.5-pro",
      max_tokens: 100,
      messages: MESSAGES,
      stream: true
    })
    await res.text()
    const event = await eventOf(res)
    expect(event.outcome).toBe("provider_error")
    expect(event.usage).toMatchObject({
      inputTokens: 500,
      outputTokens: estimate("The answer is ".length),
      cachedInputTokens: 1000,
      estimated: true
    })
    geminiMode = { _tag: "full", usage: true }
  })
})

describe("cache_control markers", () => {
  const anthropicBody = (model: string) => ({
    model,
    max_tokens: 100,
    system: [{ type: "text", text: "A long system prompt.", cache_control: { type: "ephemeral" } }],
    messages: MESSAGES
  })
  const openaiBody = (model: string) => ({
    model,
    messages: [
      {
        role: "system",
        content: [{ type: "text", text: "A long system prompt.", cache_control: { type: "ephemeral" } }]
      },
      ...MESSAGES
    ]
  })

  it("reach Anthropic (from an Anthropic client and from an OpenAI client)", async () => {
    anthropicMode = { _tag: "full", usage: true }
    const a = await post("/v1/messages", anthropicBody("claude-sonnet-4-5"))
    expect(a.status).toBe(200)
    expect(a.headers.get("x-switchyard-dropped")).toBeNull()
    expect(bodyOf(anthropicFake.received.at(-1)!).system).toEqual([
      { type: "text", text: "A long system prompt.", cache_control: { type: "ephemeral" } }
    ])
    expect((await eventOf(a)).droppedFields).toEqual([])

    const b = await post("/v1/chat/completions", openaiBody("claude-sonnet-4-5"))
    expect(b.status).toBe(200)
    expect(b.headers.get("x-switchyard-dropped")).toBeNull()
    expect(bodyOf(anthropicFake.received.at(-1)!).system).toEqual([
      { type: "text", text: "A long system prompt.", cache_control: { type: "ephemeral" } }
    ])
    expect((await eventOf(b)).usage).toEqual(ANTHROPIC_TOKENS)
  })

  it("sent to OpenAI or Gemini are listed in x-switchyard-dropped and in the usage event", async () => {
    const a = await post("/v1/messages", anthropicBody("o3-2025-04-16"))
    expect(a.status).toBe(200)
    expect(a.headers.get("x-switchyard-dropped")?.split(", ")).toContain("cache_control")
    expect(openaiFake.received.at(-1)!.body).not.toContain("cache_control")
    const eventA = await eventOf(a)
    expect(eventA.droppedFields).toContain("cache_control")
    expect(eventA.usage).toEqual(OPENAI_TOKENS)

    const b = await post("/v1/chat/completions", openaiBody("gemini-2.5-pro"))
    expect(b.status).toBe(200)
    expect(b.headers.get("x-switchyard-dropped")?.split(", ")).toContain("cache_control")
    expect(geminiFake.received.at(-1)!.body).not.toContain("cache_control")
    expect((await eventOf(b)).droppedFields).toContain("cache_control")
  })

  it("in strict mode: a 400 naming the field (OpenAI error body with param), nothing sent upstream", async () => {
    const before = geminiFake.received.length
    const res = await post("/v1/chat/completions", openaiBody("gemini-2.5-pro"), strict)
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: { type: string; message: string; param: string | null } }
    expect(body.error.type).toBe("invalid_request_error")
    expect(body.error.param).toContain("cache_control")
    expect(body.error.message).toContain("cache_control")
    expect(geminiFake.received.length).toBe(before)
    const event = await eventOf(res, strict)
    expect(event).toMatchObject({ outcome: "invalid_request", status: 400, costMicros: 0 })
    expect(event.droppedFields).toContain("cache_control")

    const anthropicClient = await post("/v1/messages", anthropicBody("o3-2025-04-16"), strict)
    expect(anthropicClient.status).toBe(400)
    const anthropicError = (await anthropicClient.json()) as { type: string; error: { message: string } }
    expect(anthropicError.type).toBe("error")
    expect(anthropicError.error.message).toContain("cache_control")
  })
})

describe("metrics", () => {
  it("keep token classes apart", async () => {
    const classes = ["input", "output", "cached_input", "cache_creation", "reasoning"] as const
    const read = async () => {
      const text = await (await fetch(`${router.url}/metrics`)).text()
      const value = (cls: string) => {
        const line = text
          .split("\n")
          .find(
            (l) =>
              l.startsWith("switchyard_tokens_total{") &&
              l.includes('provider="anthropic"') &&
              l.includes('model="claude-sonnet-4-5') &&
              l.includes(`class="${cls}"`)
          )
        return line === undefined ? 0 : Number(line.split(" ").at(-1))
      }
      return classes.map(value)
    }
    anthropicMode = { _tag: "full", usage: true }
    const before = await read()
    const res = await post("/v1/messages", {
      model: "claude-sonnet-4-5",
      max_tokens: 100,
      messages: MESSAGES
    })
    await eventOf(res)
    const after = await read()
    expect(after.map((v, i) => v - before[i]!)).toEqual([100, 50, 2000, 500, 0])
  })
})
