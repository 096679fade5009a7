/**
 * The official SDKs pointed at the router, across providers: OpenAI client → Anthropic and Gemini
 * upstreams, Anthropic client → OpenAI and Gemini upstreams; plain, streamed and tool calling.
 * The fakes speak each provider's exact wire format (CRLF SSE, comments, pings, arbitrary splits)
 * and record what they received; OpenAI-format answers are validated against OpenAI's spec.
 */
import Anthropic from "@anthropic-ai/sdk"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import OpenAI from "openai"
import { validateOpenAI } from "../../../packages/router-core/test/translate/openaiSpec.ts"
import { type FakeUpstream, json, sse, sseText, startFake } from "./FakeUpstream.ts"
import { startRouter, TEST_KEY, type TestRouter } from "./Harness.ts"

let openaiFake: FakeUpstream
let anthropicFake: FakeUpstream
let geminiFake: FakeUpstream
let router: TestRouter
let openai: OpenAI
let anthropic: Anthropic

beforeAll(async () => {
  openaiFake = await startFake(json(200, {}))
  anthropicFake = await startFake(json(200, {}))
  geminiFake = await startFake(json(200, {}))
  router = await startRouter({
    env: {
      OPENAI_BASE_URL: `${openaiFake.url}/v1`,
      OPENAI_API_KEY: "sk-openai",
      ANTHROPIC_BASE_URL: anthropicFake.url,
      ANTHROPIC_API_KEY: "sk-ant",
      GOOGLE_AI_BASE_URL: `${geminiFake.url}/v1beta`,
      GOOGLE_AI_KEY: "g-key"
    }
  })
  openai = new OpenAI({ apiKey: TEST_KEY, baseURL: `${router.url}/v1`, maxRetries: 0 })
  anthropic = new Anthropic({ apiKey: TEST_KEY, baseURL: router.url, maxRetries: 0 })
})

afterAll(async () => {
  await router.close()
  await Promise.all([openaiFake.close(), anthropicFake.close(), geminiFake.close()])
})

const weatherTool = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
  }
}

const lastBody = (fake: FakeUpstream) => JSON.parse(fake.received.at(-1)!.body)

// ---------------------------------------------------------------------------------------------
// Anthropic wire format

const anthropicMessage = (content: Array<unknown>, stopReason = "end_turn") => ({
  id: "msg_01",
  type: "message",
  role: "assistant",
  model: "claude-3-5-haiku-20241022",
  content,
  stop_reason: stopReason,
  stop_sequence: null,
  usage: { input_tokens: 21, output_tokens: 5, cache_read_input_tokens: 3, cache_creation_input_tokens: 0 }
})

const anthropicStream = (blocks: Array<{ start: unknown; deltas: Array<unknown> }>, stopReason: string) =>
  sseText(
    [
      {
        event: "message_start",
        data: {
          type: "message_start",
          message: {
            ...anthropicMessage([], null as unknown as string),
            usage: { input_tokens: 21, output_tokens: 1 }
          }
        }
      },
      { event: "ping", data: { type: "ping" } },
      ...blocks.flatMap((b, index) => [
        {
          event: "content_block_start",
          data: { type: "content_block_start", index, content_block: b.start }
        },
        ...b.deltas.map((delta) => ({
          event: "content_block_delta",
          data: { type: "content_block_delta", index, delta }
        })),
        { event: "content_block_stop", data: { type: "content_block_stop", index } }
      ]),
      {
        event: "message_delta",
        data: {
          type: "message_delta",
          delta: { stop_reason: stopReason, stop_sequence: null },
          usage: { output_tokens: 7 }
        }
      },
      { event: "message_stop", data: { type: "message_stop" } }
    ],
    { done: false }
  )

describe("OpenAI client → Anthropic upstream", () => {
  it("plain: translated request with Anthropic's headers, spec-valid answer", async () => {
    anthropicFake.script = json(200, anthropicMessage([{ type: "text", text: "Bonjour" }]))
    const answer = await openai.chat.completions.create({
      model: "claude-3-5-haiku-latest",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hello" }
      ],
      max_tokens: 50
    })
    const got = anthropicFake.received.at(-1)!
    expect(got.url).toBe("/v1/messages")
    expect(got.headers["x-api-key"]).toBe("sk-ant")
    expect(got.headers["anthropic-version"]).toBe("2023-06-01")
    expect(got.headers.authorization).toBeUndefined()
    expect(JSON.parse(got.body)).toEqual({
      model: "claude-3-5-haiku-latest",
      system: "Be brief.",
      messages: [{ role: "user", content: [{ type: "text", text: "Hello" }] }],
      max_tokens: 50
    })
    expect(answer.choices[0]!.message.content).toBe("Bonjour")
    expect(answer.choices[0]!.finish_reason).toBe("stop")
    expect(answer.model).toBe("claude-3-5-haiku-latest")
    expect(answer.usage).toMatchObject({ prompt_tokens: 24, completion_tokens: 5 })
    expect(validateOpenAI("CreateChatCompletionResponse", answer)).toEqual([])
  })

  it("streamed: chunks arrive translated, spec-valid, with usage when asked", async () => {
    anthropicFake.script = sse(
      anthropicStream(
        [
          {
            start: { type: "text", text: "" },
            deltas: ["Bon", "jour", " à vous"].map((text) => ({ type: "text_delta", text }))
          }
        ],
        "end_turn"
      ),
      { splitEvery: 11 }
    )
    const before = (await router.events()).length
    const stream = await openai.chat.completions.create({
      model: "anthropic/claude-3-5-haiku-latest",
      messages: [{ role: "user", content: "Hello" }],
      stream: true,
      stream_options: { include_usage: true }
    })
    let text = ""
    let usage: OpenAI.CompletionUsage | undefined
    let finish: string | null | undefined
    for await (const chunk of stream) {
      expect(validateOpenAI("CreateChatCompletionStreamResponse", chunk)).toEqual([])
      text += chunk.choices[0]?.delta.content ?? ""
      finish = chunk.choices[0]?.finish_reason ?? finish
      if (chunk.usage) usage = chunk.usage
    }
    expect(text).toBe("Bonjour à vous")
    expect(finish).toBe("stop")
    expect(usage).toMatchObject({ prompt_tokens: 21, completion_tokens: 7 })
    expect(lastBody(anthropicFake)).toMatchObject({ stream: true, model: "claude-3-5-haiku-latest" })
    const event = (await router.waitForEvents(before + 1)).at(-1)!
    expect(event).toMatchObject({
      provider: "anthropic",
      outcome: "success",
      stream: true,
      usage: { inputTokens: 21, outputTokens: 7, estimated: false }
    })
  })

  it("tool calling, streamed: arguments arrive in pieces", async () => {
    anthropicFake.script = sse(
      anthropicStream(
        [
          {
            start: { type: "tool_use", id: "toolu_01", name: "get_weather", input: {} },
            deltas: ['{"city":', ' "Paris"}'].map((partial_json) => ({
              type: "input_json_delta",
              partial_json
            }))
          }
        ],
        "tool_use"
      ),
      { splitEvery: 13 }
    )
    const stream = await openai.chat.completions.create({
      model: "claude-3-5-haiku-latest",
      messages: [{ role: "user", content: "Weather in Paris?" }],
      tools: [weatherTool],
      stream: true
    })
    let args = ""
    let name: string | undefined
    let finish: string | null | undefined
    for await (const chunk of stream) {
      expect(validateOpenAI("CreateChatCompletionStreamResponse", chunk)).toEqual([])
      const call = chunk.choices[0]?.delta.tool_calls?.[0]
      if (call?.function?.name) name = call.function.name
      args += call?.function?.arguments ?? ""
      finish = chunk.choices[0]?.finish_reason ?? finish
    }
    expect(name).toBe("get_weather")
    expect(JSON.parse(args)).toEqual({ city: "Paris" })
    expect(finish).toBe("tool_calls")
    expect(lastBody(anthropicFake).tools).toEqual([
      {
        name: "get_weather",
        description: "Weather for a city",
        input_schema: weatherTool.function.parameters
      }
    ])
  })

  it("an error event mid-stream reaches the client and is recorded as a provider error", async () => {
    anthropicFake.script = sse(
      sseText(
        [
          {
            event: "message_start",
            data: {
              type: "message_start",
              message: { ...anthropicMessage([]), usage: { input_tokens: 4, output_tokens: 1 } }
            }
          },
          {
            event: "error",
            data: { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }
          }
        ],
        { done: false }
      )
    )
    const before = (await router.events()).length
    const res = await fetch(`${router.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "claude-3-5-haiku-latest",
        stream: true,
        messages: [{ role: "user", content: "x" }]
      })
    })
    expect(res.status).toBe(200)
    expect(await res.text()).toContain("Overloaded")
    const event = (await router.waitForEvents(before + 1)).at(-1)!
    expect(event).toMatchObject({ outcome: "provider_error", status: 502, stream: true })
  })

  it("a 4xx from Anthropic reaches the OpenAI client in OpenAI's format", async () => {
    anthropicFake.script = json(400, {
      type: "error",
      error: { type: "invalid_request_error", message: "max_tokens: too large" }
    })
    const error = await openai.chat.completions
      .create({ model: "claude-3-5-haiku-latest", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).message).toContain("max_tokens: too large")
  })
})

describe("Anthropic client → Anthropic upstream (same format)", () => {
  it("streams the upstream's bytes through untouched and reads usage from them", async () => {
    const text = anthropicStream(
      [
        {
          start: { type: "text", text: "" },
          deltas: ["Sa", "lut"].map((t) => ({ type: "text_delta", text: t }))
        }
      ],
      "end_turn"
    )
    anthropicFake.script = sse(text, { splitEvery: 17 })
    const before = (await router.events()).length
    const res = await fetch(`${router.url}/v1/messages`, {
      method: "POST",
      headers: {
        "x-api-key": TEST_KEY,
        "content-type": "application/json",
        "anthropic-version": "2023-06-01",
        "anthropic-beta": "prompt-caching-2024-07-31"
      },
      body: JSON.stringify({
        model: "claude-3-5-haiku-latest",
        max_tokens: 20,
        stream: true,
        messages: [{ role: "user", content: "hi" }]
      })
    })
    expect(await res.text()).toBe(text)
    const got = anthropicFake.received.at(-1)!
    expect(got.headers["x-api-key"]).toBe("sk-ant")
    expect(got.headers["anthropic-beta"]).toBe("prompt-caching-2024-07-31")
    const event = (await router.waitForEvents(before + 1)).at(-1)!
    expect(event).toMatchObject({
      outcome: "success",
      usage: { inputTokens: 21, outputTokens: 7, estimated: false }
    })
  })

  it("with the SDK: plain answer, and a 4xx passed through as Anthropic sent it", async () => {
    anthropicFake.script = json(200, anthropicMessage([{ type: "text", text: "Yo" }]))
    const message = await anthropic.messages.create({
      model: "claude-3-5-haiku-latest",
      max_tokens: 20,
      messages: [{ role: "user", content: "hi" }]
    })
    expect(message.content).toEqual([{ type: "text", text: "Yo" }])
    const upstreamError = { type: "error", error: { type: "not_found_error", message: "model: claude-x" } }
    anthropicFake.script = json(404, upstreamError)
    const res = await fetch(`${router.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": TEST_KEY, "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-x", max_tokens: 5, messages: [{ role: "user", content: "hi" }] })
    })
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual(upstreamError)
  })
})

// ---------------------------------------------------------------------------------------------
// OpenAI wire format, for the Anthropic client

const openaiChunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
  id: "chatcmpl-9",
  object: "chat.completion.chunk",
  created: 1_700_000_000,
  model: "gpt-4o-mini",
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }]
})

const openaiUsageChunk = {
  id: "chatcmpl-9",
  object: "chat.completion.chunk",
  created: 1_700_000_000,
  model: "gpt-4o-mini",
  choices: [],
  usage: { prompt_tokens: 14, completion_tokens: 6, total_tokens: 20 }
}

describe("Anthropic client → OpenAI upstream", () => {
  it("plain: translated both ways", async () => {
    openaiFake.script = json(200, {
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 1_700_000_000,
      model: "gpt-4o-mini",
      choices: [
        { index: 0, message: { role: "assistant", content: "Hi!" }, finish_reason: "stop", logprobs: null }
      ],
      usage: { prompt_tokens: 14, completion_tokens: 2, total_tokens: 16 }
    })
    const message = await anthropic.messages.create({
      model: "gpt-4o-mini",
      max_tokens: 100,
      system: "Be kind.",
      messages: [{ role: "user", content: "Hello" }]
    })
    const got = openaiFake.received.at(-1)!
    expect(got.url).toBe("/v1/chat/completions")
    expect(got.headers.authorization).toBe("Bearer sk-openai")
    expect(got.headers["x-api-key"]).toBeUndefined()
    expect(JSON.parse(got.body)).toEqual({
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: "Be kind." },
        { role: "user", content: "Hello" }
      ],
      max_completion_tokens: 100
    })
    expect(message.content).toEqual([{ type: "text", text: "Hi!" }])
    expect(message.stop_reason).toBe("end_turn")
    expect(message.model).toBe("gpt-4o-mini")
    expect(message.usage).toMatchObject({ input_tokens: 14, output_tokens: 2 })
  })

  it("streamed, with a tool call", async () => {
    openaiFake.script = sse(
      sseText([
        { data: openaiChunk({ role: "assistant", content: "Let me check." }) },
        {
          data: openaiChunk({
            tool_calls: [
              { index: 0, id: "call_1", type: "function", function: { name: "get_weather", arguments: "" } }
            ]
          })
        },
        { data: openaiChunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }) },
        { data: openaiChunk({ tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] }) },
        { data: openaiChunk({}, "tool_calls") },
        { data: openaiUsageChunk }
      ]),
      { splitEvery: 9 }
    )
    const stream = anthropic.messages.stream({
      model: "gpt-4o-mini",
      max_tokens: 100,
      messages: [{ role: "user", content: "Weather in Oslo?" }],
      tools: [
        { name: "get_weather", input_schema: { type: "object", properties: { city: { type: "string" } } } }
      ]
    })
    const final = await stream.finalMessage()
    expect(final.stop_reason).toBe("tool_use")
    expect(final.content[0]).toEqual({ type: "text", text: "Let me check." })
    expect(final.content[1]).toMatchObject({ type: "tool_use", name: "get_weather", input: { city: "Oslo" } })
    expect(final.usage).toMatchObject({ input_tokens: 14, output_tokens: 6 })
    // Usage is always asked of OpenAI-family upstreams.
    expect(lastBody(openaiFake)).toMatchObject({ stream: true, stream_options: { include_usage: true } })
    expect(lastBody(openaiFake).tools[0].function.name).toBe("get_weather")
  })
})

// ---------------------------------------------------------------------------------------------
// Gemini wire format

const geminiAnswer = (parts: Array<unknown>, finishReason = "STOP") => ({
  candidates: [{ content: { role: "model", parts }, finishReason, index: 0 }],
  usageMetadata: { promptTokenCount: 8, candidatesTokenCount: 4, totalTokenCount: 12 },
  modelVersion: "gemini-2.5-flash"
})

describe("either client → Gemini upstream", () => {
  it("OpenAI client, plain: generateContent with x-goog-api-key", async () => {
    geminiFake.script = json(200, geminiAnswer([{ text: "Hallo" }]))
    const answer = await openai.chat.completions.create({
      model: "gemini-2.5-flash",
      messages: [
        { role: "system", content: "Short." },
        { role: "user", content: "Hi" }
      ]
    })
    const got = geminiFake.received.at(-1)!
    expect(got.url).toBe("/v1beta/models/gemini-2.5-flash:generateContent")
    expect(got.headers["x-goog-api-key"]).toBe("g-key")
    expect(JSON.parse(got.body)).toEqual({
      systemInstruction: { parts: [{ text: "Short." }] },
      contents: [{ role: "user", parts: [{ text: "Hi" }] }]
    })
    expect(answer.choices[0]!.message.content).toBe("Hallo")
    expect(answer.usage).toMatchObject({ prompt_tokens: 8, completion_tokens: 4 })
    expect(validateOpenAI("CreateChatCompletionResponse", answer)).toEqual([])
  })

  it("OpenAI client, streamed: streamGenerateContent?alt=sse", async () => {
    geminiFake.script = sse(
      sseText(
        [
          { data: { candidates: [{ content: { role: "model", parts: [{ text: "Hal" }] }, index: 0 }] } },
          { data: geminiAnswer([{ text: "lo" }]) }
        ],
        { done: false }
      ),
      { splitEvery: 6 }
    )
    const stream = await openai.chat.completions.create({
      model: "google/gemini-2.5-flash",
      messages: [{ role: "user", content: "Hi" }],
      stream: true,
      stream_options: { include_usage: true }
    })
    let text = ""
    let usage: OpenAI.CompletionUsage | undefined
    for await (const chunk of stream) {
      expect(validateOpenAI("CreateChatCompletionStreamResponse", chunk)).toEqual([])
      text += chunk.choices[0]?.delta.content ?? ""
      if (chunk.usage) usage = chunk.usage
    }
    expect(geminiFake.received.at(-1)!.url).toBe(
      "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    )
    expect(text).toBe("Hallo")
    expect(usage).toMatchObject({ prompt_tokens: 8, completion_tokens: 4 })
  })

  it("Anthropic client, tool call", async () => {
    geminiFake.script = json(
      200,
      geminiAnswer([{ functionCall: { name: "get_weather", args: { city: "Rome" } } }])
    )
    const message = await anthropic.messages.create({
      model: "gemini-2.5-flash",
      max_tokens: 64,
      messages: [{ role: "user", content: "Weather in Rome?" }],
      tools: [
        { name: "get_weather", input_schema: { type: "object", properties: { city: { type: "string" } } } }
      ]
    })
    expect(message.stop_reason).toBe("tool_use")
    expect(message.content[0]).toMatchObject({
      type: "tool_use",
      name: "get_weather",
      input: { city: "Rome" }
    })
    expect(lastBody(geminiFake).tools[0].functionDeclarations[0].name).toBe("get_weather")
  })

  it("Anthropic client, streamed text", async () => {
    geminiFake.script = sse(
      sseText(
        [
          { data: { candidates: [{ content: { role: "model", parts: [{ text: "Ciao" }] }, index: 0 }] } },
          { data: geminiAnswer([{ text: " tutti" }]) }
        ],
        { done: false }
      ),
      { splitEvery: 4 }
    )
    const final = await anthropic.messages
      .stream({ model: "gemini-2.5-flash", max_tokens: 64, messages: [{ role: "user", content: "Hi" }] })
      .finalMessage()
    expect(final.content).toEqual([{ type: "text", text: "Ciao tutti" }])
    expect(final.usage).toMatchObject({ input_tokens: 8, output_tokens: 4 })
  })
})

describe("xAI", () => {
  it("speaks OpenAI's format at XAI_BASE_URL with its own key", async () => {
    const xaiFake = await startFake(
      json(200, {
        id: "x1",
        object: "chat.completion",
        created: 1,
        model: "grok-4",
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: "Grok here" },
            finish_reason: "stop",
            logprobs: null
          }
        ],
        usage: { prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 }
      })
    )
    const xaiRouter = await startRouter({
      env: { XAI_BASE_URL: `${xaiFake.url}/v1`, XAI_API_KEY: "xai-platform" }
    })
    try {
      const client = new OpenAI({ apiKey: TEST_KEY, baseURL: `${xaiRouter.url}/v1`, maxRetries: 0 })
      const answer = await client.chat.completions.create({
        model: "grok-4",
        messages: [{ role: "user", content: "hi" }]
      })
      expect(answer.choices[0]!.message.content).toBe("Grok here")
      const got = xaiFake.received.at(-1)!
      expect(got.url).toBe("/v1/chat/completions")
      expect(got.headers.authorization).toBe("Bearer xai-platform")
    } finally {
      await xaiRouter.close()
      await xaiFake.close()
    }
  })
})
