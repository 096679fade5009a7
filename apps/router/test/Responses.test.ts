/**
 * `POST /v1/responses` with the official openai Node client, against fake OpenAI (its Responses
 * endpoint), Anthropic and Gemini upstreams speaking their exact wire formats; conversations kept
 * in PostgreSQL. Every Response and every stream event is validated against OpenAI's spec.
 */

import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { ResponseStore, responsesMigrations } from "@switchyard/db"
import { TestDatabase } from "@switchyard/db/testing"
import { Routing } from "@switchyard/router-core"
import { ConfigProvider, Layer } from "effect"
import OpenAI from "openai"
import { type FakeUpstream, json, type Script, sse, sseText, startFake } from "./FakeUpstream.ts"
import { secret, startRouter, TEST_KEY, type TestRouter } from "./Harness.ts"
import {
  anthropicMessage,
  anthropicStream,
  geminiAnswer,
  geminiUsage,
  openaiResponse,
  openaiResponseStream,
  openaiUsage,
  outputCall,
  outputMessage,
  parseSse,
  type SseEvent,
  validateResponse,
  validateStream
} from "./ResponsesWire.ts"

let openaiFake: FakeUpstream
let anthropicFake: FakeUpstream
let geminiFake: FakeUpstream
/** Chat completions upstreams: xAI, and a user's OpenAI-compatible server. */
let chatFake: FakeUpstream
let router: TestRouter
let client: OpenAI
let other: OpenAI

beforeAll(async () => {
  openaiFake = await startFake(json(200, {}))
  anthropicFake = await startFake(json(200, {}))
  geminiFake = await startFake(json(200, {}))
  chatFake = await startFake(json(200, {}))
  router = await startRouter({
    secrets: new Map([["u1/openai-compatible", secret("vllm-token", `${chatFake.url}/v1`)]]),
    env: {
      XAI_BASE_URL: `${chatFake.url}/v1`,
      XAI_API_KEY: "xai-key",
      OPENAI_BASE_URL: `${openaiFake.url}/v1`,
      OPENAI_API_KEY: "sk-openai",
      ANTHROPIC_BASE_URL: anthropicFake.url,
      ANTHROPIC_API_KEY: "sk-ant",
      GOOGLE_AI_BASE_URL: `${geminiFake.url}/v1beta`,
      GOOGLE_AI_KEY: "g-key"
    },
    // Unknown models are refused here, not sent to OpenAI (seed 000's default rule).
    unknownModels: Routing.refuseUnknown,
    // The suite's own PostgreSQL database, from the real environment (TEST_DATABASE_URL).
    responseStore: ResponseStore.layerPg.pipe(
      Layer.provide(TestDatabase.layer("router_responses", [responsesMigrations])),
      Layer.provide(Layer.setConfigProvider(ConfigProvider.fromEnv())),
      Layer.orDie
    )
  })
  client = new OpenAI({ apiKey: TEST_KEY, baseURL: `${router.url}/v1`, maxRetries: 0 })
  other = new OpenAI({ apiKey: "ef_other_key", baseURL: `${router.url}/v1`, maxRetries: 0 })
})

afterAll(async () => {
  await router.close()
  await Promise.all([openaiFake.close(), anthropicFake.close(), geminiFake.close(), chatFake.close()])
})

const lastBody = (fake: FakeUpstream) => JSON.parse(fake.received.at(-1)!.body) as Record<string, unknown>

const weather = {
  type: "function" as const,
  name: "get_weather",
  description: "Weather for a city",
  parameters: {
    type: "object",
    properties: { city: { type: "string" } },
    required: ["city"],
    additionalProperties: false
  },
  strict: true
}

/** A raw call, for reading the exact SSE the router writes. */
const post = (body: unknown, key = TEST_KEY) =>
  fetch(`${router.url}/v1/responses`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body)
  })

const streamed = async (body: unknown): Promise<Array<SseEvent>> => {
  const res = await post(body)
  expect(res.status).toBe(200)
  expect(res.headers.get("content-type")).toContain("text/event-stream")
  const events = parseSse(await res.text())
  expect(validateStream(events)).toEqual([])
  return events
}

/** Gemini's stream: `data:` events, no `[DONE]`. */
const sseTextOf = (chunks: ReadonlyArray<unknown>) =>
  sseText(
    chunks.map((data) => ({ data })),
    { done: false }
  )

const types = (events: ReadonlyArray<SseEvent>) => events.map((e) => (e.data as { type: string }).type)

// ---------------------------------------------------------------------------------------------

describe("Responses → Anthropic", () => {
  it("plain: instructions, input parts and settings translated; a spec-valid Response echoing them", async () => {
    anthropicFake.script = json(
      200,
      anthropicMessage([{ type: "text", text: "Bonjour !" }], "end_turn", {
        input_tokens: 20,
        output_tokens: 4,
        cache_read_input_tokens: 6,
        cache_creation_input_tokens: 0
      })
    )
    const before = (await router.events()).length
    const response = await client.responses.create({
      model: "claude-sonnet-4-5",
      instructions: "Answer in French.",
      input: [
        {
          role: "user",
          content: [
            { type: "input_text", text: "Say hello" },
            { type: "input_image", image_url: "data:image/png;base64,iVBORw0KGgo=", detail: "auto" }
          ]
        }
      ],
      max_output_tokens: 100,
      temperature: 0.3,
      metadata: { ticket: "T-1" },
      store: false
    })
    expect(validateResponse(response)).toEqual([])
    expect(response.output_text).toBe("Bonjour !")
    expect(response).toMatchObject({
      object: "response",
      status: "completed",
      model: "claude-sonnet-4-5",
      instructions: "Answer in French.",
      max_output_tokens: 100,
      temperature: 0.3,
      metadata: { ticket: "T-1" },
      store: false,
      previous_response_id: null,
      usage: {
        input_tokens: 26,
        input_tokens_details: { cached_tokens: 6 },
        output_tokens: 4,
        total_tokens: 30
      }
    })
    expect(lastBody(anthropicFake)).toEqual({
      model: "claude-sonnet-4-5",
      system: "Answer in French.",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Say hello" },
            { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } }
          ]
        }
      ],
      max_tokens: 100,
      temperature: 0.3
    })
    const event = (await router.waitForEvents(before + 1)).at(-1)!
    expect(event).toMatchObject({
      requestedModel: "claude-sonnet-4-5",
      provider: "anthropic",
      outcome: "success",
      status: 200,
      stream: false,
      usage: { inputTokens: 20, cachedInputTokens: 6, outputTokens: 4, estimated: false }
    })
    expect(event.costMicros).toBeGreaterThan(0)
  })
})

describe("Responses → Anthropic, streamed", () => {
  it("reasoning, text and a function call as the Responses event sequence, every event spec-valid", async () => {
    anthropicFake.script = sse(
      anthropicStream(
        [
          {
            start: { type: "thinking", thinking: "" },
            deltas: [
              { type: "thinking_delta", thinking: "The user wants " },
              { type: "thinking_delta", thinking: "the weather." },
              { type: "signature_delta", signature: "EqQBCgIYAhIM" }
            ]
          },
          {
            start: { type: "text", text: "" },
            deltas: [
              { type: "text_delta", text: "Let me " },
              { type: "text_delta", text: "check." }
            ]
          },
          {
            start: { type: "tool_use", id: "toolu_01A", name: "get_weather", input: {} },
            deltas: [
              { type: "input_json_delta", partial_json: '{"city":' },
              { type: "input_json_delta", partial_json: '"Paris"}' }
            ]
          }
        ],
        "tool_use",
        { input: 30, output: 25, cacheRead: 10 }
      ),
      { splitEvery: 13 }
    )
    const before = (await router.events()).length
    const events = await streamed({
      model: "claude-sonnet-4-5",
      input: "Weather in Paris?",
      tools: [weather],
      reasoning: { effort: "low" },
      stream: true
    })
    expect(types(events)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.reasoning_summary_part.added",
      "response.reasoning_summary_text.delta",
      "response.reasoning_summary_text.delta",
      "response.reasoning_summary_text.done",
      "response.reasoning_summary_part.done",
      "response.output_item.done",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed"
    ])
    const completed = (events.at(-1)!.data as { response: OpenAI.Responses.Response }).response
    expect(completed.output).toMatchObject([
      {
        type: "reasoning",
        summary: [{ type: "summary_text", text: "The user wants the weather." }],
        encrypted_content: "EqQBCgIYAhIM"
      },
      { type: "message", status: "completed", content: [{ type: "output_text", text: "Let me check." }] },
      {
        type: "function_call",
        status: "completed",
        call_id: "toolu_01A",
        name: "get_weather",
        arguments: '{"city":"Paris"}'
      }
    ])
    expect(completed.usage).toMatchObject({ input_tokens: 40, output_tokens: 25 })
    expect(completed.tools).toEqual([weather])
    // Asked of Anthropic: thinking for the effort, the tool.
    const sent = lastBody(anthropicFake)
    expect(sent).toMatchObject({ stream: true, thinking: { type: "enabled" } })
    expect((sent.tools as Array<{ name: string }>)[0]!.name).toBe("get_weather")
    const event = (await router.waitForEvents(before + 1)).at(-1)!
    expect(event).toMatchObject({
      provider: "anthropic",
      outcome: "success",
      stream: true,
      usage: { inputTokens: 30, cachedInputTokens: 10, outputTokens: 25, estimated: false }
    })
    expect(event.ttftMs).not.toBeNull()
  })

  it("with the SDK's stream helper: deltas and the final Response", async () => {
    anthropicFake.script = sse(
      anthropicStream(
        [
          {
            start: { type: "text", text: "" },
            deltas: ["Sa", "lut"].map((text) => ({ type: "text_delta", text }))
          }
        ],
        "end_turn",
        { input: 5, output: 2 }
      )
    )
    const stream = client.responses.stream({ model: "claude-sonnet-4-5", input: "Hi" })
    let text = ""
    stream.on("response.output_text.delta", (e) => {
      text += e.delta
    })
    const final = await stream.finalResponse()
    expect(text).toBe("Salut")
    expect(final.output_text).toBe("Salut")
    expect(validateResponse(final)).toEqual([])
    // Stored: the same Response comes back by id (the helper adds `parsed` to its own copy).
    const again = await client.responses.retrieve(final.id)
    expect(validateResponse(again)).toEqual([])
    expect(again.output).toMatchObject([{ id: final.output[0]!.id, content: [{ text: "Salut" }] }])
  })

  it("an upstream error mid-stream ends with `error` and `response.failed`, still spec-valid", async () => {
    anthropicFake.script = sse(
      anthropicStream(
        [{ start: { type: "text", text: "" }, deltas: [{ type: "text_delta", text: "Hel" }] }],
        "end_turn",
        { input: 5, output: 2 }
      ).replace(
        /event: message_delta[\s\S]*$/,
        'event: error\r\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\r\n\r\n'
      )
    )
    const before = (await router.events()).length
    const events = await streamed({ model: "claude-sonnet-4-5", input: "Hi", stream: true })
    expect(types(events).slice(-3)).toEqual(["response.output_item.done", "error", "response.failed"])
    expect(events.at(-2)!.data).toMatchObject({ code: "overloaded_error", message: "Overloaded" })
    expect(events.at(-1)!.data).toMatchObject({
      response: { status: "failed", error: { code: "server_error", message: "Overloaded" } }
    })
    const event = (await router.waitForEvents(before + 1)).at(-1)!
    expect(event).toMatchObject({ outcome: "provider_error", status: 502, stream: true })
  })
})

describe("function tools and function_call_output, across turns (previous_response_id)", () => {
  it("Anthropic: the call, then its output continuing the stored conversation", async () => {
    anthropicFake.script = json(
      200,
      anthropicMessage(
        [
          { type: "thinking", thinking: "Need weather.", signature: "sig-1" },
          { type: "tool_use", id: "toolu_01B", name: "get_weather", input: { city: "Oslo" } }
        ],
        "tool_use",
        { input_tokens: 40, output_tokens: 12 }
      )
    )
    const first = await client.responses.create({
      model: "claude-sonnet-4-5",
      instructions: "Be brief.",
      input: "Weather in Oslo?",
      tools: [weather]
    })
    expect(validateResponse(first)).toEqual([])
    const call = first.output.find((o) => o.type === "function_call")!
    expect(call).toMatchObject({ call_id: "toolu_01B", name: "get_weather", arguments: '{"city":"Oslo"}' })

    anthropicFake.script = json(
      200,
      anthropicMessage([{ type: "text", text: "It is 3°C in Oslo." }], "end_turn", {
        input_tokens: 70,
        output_tokens: 9
      })
    )
    const second = await client.responses.create({
      model: "claude-sonnet-4-5",
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: "toolu_01B", output: '{"celsius":3}' }],
      tools: [weather]
    })
    expect(validateResponse(second)).toEqual([])
    expect(second.output_text).toBe("It is 3°C in Oslo.")
    expect(second.previous_response_id).toBe(first.id)
    // Anthropic got the whole conversation, its own signed thinking included; the first turn's
    // instructions are not carried over (as OpenAI does).
    const sent = lastBody(anthropicFake)
    expect(sent.system).toBeUndefined()
    expect(sent.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Weather in Oslo?" }] },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "Need weather.", signature: "sig-1" },
          { type: "tool_use", id: "toolu_01B", name: "get_weather", input: { city: "Oslo" } }
        ]
      },
      {
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "toolu_01B", content: '{"celsius":3}' }]
      }
    ])
  })

  it("Gemini: streamed call, then its output by previous_response_id", async () => {
    geminiFake.script = sse(
      sseTextOf([
        geminiAnswer(
          [{ functionCall: { name: "get_weather", args: { city: "Rome" } } }],
          "STOP",
          geminiUsage(12, 6)
        )
      ])
    )
    const events = await streamed({
      model: "gemini-2.5-flash",
      input: "Weather in Rome?",
      tools: [weather],
      stream: true
    })
    const first = (events.at(-1)!.data as { response: OpenAI.Responses.Response }).response
    const call = first.output.find(
      (o) => o.type === "function_call"
    ) as OpenAI.Responses.ResponseFunctionToolCall
    expect(call).toMatchObject({ name: "get_weather", arguments: '{"city":"Rome"}' })
    expect(geminiFake.received.at(-1)!.url).toBe(
      "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    )

    geminiFake.script = json(200, geminiAnswer([{ text: "Sunny, 24°C." }], "STOP", geminiUsage(30, 5)))
    const second = await client.responses.create({
      model: "gemini-2.5-flash",
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: call.call_id, output: "sunny 24" }],
      tools: [weather]
    })
    expect(validateResponse(second)).toEqual([])
    expect(second.output_text).toBe("Sunny, 24°C.")
    const contents = lastBody(geminiFake).contents as Array<{
      role: string
      parts: Array<Record<string, unknown>>
    }>
    expect(contents.map((c) => c.role)).toEqual(["user", "model", "user"])
    expect(contents[1]!.parts[0]).toMatchObject({
      functionCall: { name: "get_weather", args: { city: "Rome" } }
    })
    expect(contents[2]!.parts[0]).toMatchObject({ functionResponse: { name: "get_weather" } })
  })
})

// ---------------------------------------------------------------------------------------------
// OpenAI's own Responses endpoint

/** OpenAI's Responses fake: each request answered by `answer`, JSON or streamed as asked. */
const openaiResponses =
  (answer: (body: Record<string, unknown>) => Record<string, unknown>): Script =>
  (req, res) => {
    const body = JSON.parse(req.body) as Record<string, unknown>
    const final = answer(body)
    if (body.stream === true) return sse(openaiResponseStream(final, 3), { splitEvery: 19 })(req, res)
    return json(200, final)(req, res)
  }

describe("Responses → OpenAI (its Responses endpoint, untranslated)", () => {
  it("forwards the client's request as sent, asking OpenAI to store nothing; answers OpenAI's Response", async () => {
    const final = openaiResponse(
      "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b",
      [outputMessage("msg_67ccd2bf17f0819081ff3bb2cf6508e6", "Hi there!")],
      openaiUsage(36, 12, 5)
    )
    openaiFake.script = openaiResponses(() => final)
    const before = (await router.events()).length
    const response = await client.responses.create({
      model: "gpt-4o-mini",
      input: "Hello",
      text: { verbosity: "low" },
      metadata: { trace: "t1" }
    })
    const got = openaiFake.received.at(-1)!
    expect(got.url).toBe("/v1/responses")
    expect(got.headers.authorization).toBe("Bearer sk-openai")
    expect(JSON.parse(got.body)).toEqual({
      model: "gpt-4o-mini",
      input: [{ type: "message", role: "user", content: "Hello" }],
      text: { verbosity: "low" },
      metadata: { trace: "t1" },
      store: false
    })
    // OpenAI's Response, with the conversation state the client asked for (stored).
    const { output_text: _, ...answered } = response
    expect(answered).toEqual({ ...final, store: true })
    expect(validateResponse(response)).toEqual([])
    const event = (await router.waitForEvents(before + 1)).at(-1)!
    expect(event).toMatchObject({
      provider: "openai",
      upstreamModel: "gpt-4o-mini",
      outcome: "success",
      stream: false,
      usage: { inputTokens: 24, cachedInputTokens: 12, outputTokens: 5, estimated: false }
    })
    expect((await client.responses.retrieve(response.id)).id).toBe(final.id)
  })

  it("streams OpenAI's events through (state fields set as the client asked), usage accounted", async () => {
    const final = openaiResponse(
      "resp_stream_1",
      [outputMessage("msg_s1", "Streaming works fine.")],
      openaiUsage(10, 0, 6, 2)
    )
    openaiFake.script = openaiResponses(() => final)
    const before = (await router.events()).length
    const events = await streamed({ model: "gpt-4o-mini", input: "Hi", stream: true, store: false })
    expect(events).toHaveLength(parseSse(openaiResponseStream(final, 3)).length)
    const upstream = parseSse(openaiResponseStream(final, 3))
    // Every event as OpenAI sent it, the Response-carrying ones with the client's `store` (and
    // without the `usage: null` OpenAI puts in them before the end, which its spec does not allow).
    expect(events.map((e) => e.data)).toEqual(
      upstream.map((e) => {
        const data = e.data as { response?: Record<string, unknown> }
        if (data.response === undefined) return data
        const { usage, ...response } = data.response
        return { ...data, response: { ...response, ...(usage === null ? {} : { usage }), store: false } }
      })
    )
    const event = (await router.waitForEvents(before + 1)).at(-1)!
    expect(event).toMatchObject({
      provider: "openai",
      stream: true,
      outcome: "success",
      usage: { inputTokens: 10, outputTokens: 6, reasoningTokens: 2, estimated: false }
    })
    // `store: false`: nothing kept.
    await expect(client.responses.retrieve("resp_stream_1")).rejects.toMatchObject({ status: 404 })
  })

  it("a function call and its output: OpenAI gets the whole conversation, never an id of ours", async () => {
    openaiFake.script = openaiResponses(() =>
      openaiResponse(
        `resp_call_${crypto.randomUUID().slice(0, 8)}`,
        [outputCall("fc_1", "call_abc", "get_weather", '{"city":"Lima"}')],
        openaiUsage(50, 0, 15),
        { tools: [weather] }
      )
    )
    const first = await client.responses.create({
      model: "gpt-4o-mini",
      input: "Weather in Lima?",
      tools: [weather]
    })
    expect(first.output[0]).toMatchObject({ type: "function_call", call_id: "call_abc" })

    openaiFake.script = openaiResponses(() =>
      openaiResponse(
        `resp_final_${crypto.randomUUID().slice(0, 8)}`,
        [outputMessage("msg_2", "Cloudy.")],
        openaiUsage(80, 0, 3)
      )
    )
    const second = await client.responses.create({
      model: "gpt-4o-mini",
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: "call_abc", output: "cloudy" }],
      tools: [weather]
    })
    expect(second.output_text).toBe("Cloudy.")
    expect(second.previous_response_id).toBe(first.id)
    const sent = lastBody(openaiFake)
    expect(sent.previous_response_id).toBeUndefined()
    expect(sent.store).toBe(false)
    expect(sent.input).toEqual([
      { type: "message", role: "user", content: "Weather in Lima?" },
      outputCall("fc_1", "call_abc", "get_weather", '{"city":"Lima"}'),
      { type: "function_call_output", call_id: "call_abc", output: "cloudy" }
    ])
  })

  it("OpenAI's own 4xx reaches the client as OpenAI sent it", async () => {
    const error = {
      error: {
        message: "Invalid schema for function 'f'",
        type: "invalid_request_error",
        param: "tools[0].parameters",
        code: "invalid_function_parameters"
      }
    }
    openaiFake.script = json(400, error)
    const res = await post({ model: "gpt-4o-mini", input: "x" })
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual(error)
  })
})

// ---------------------------------------------------------------------------------------------
// Conversation state

const hello = (text: string) =>
  anthropicMessage([{ type: "text", text }], "end_turn", { input_tokens: 3, output_tokens: 1 })

describe("stored responses: retrieve, delete, owners", () => {
  it("retrieve returns the Response as created; another user gets 404; delete removes it", async () => {
    anthropicFake.script = json(200, hello("Kept."))
    const created = await client.responses.create({ model: "claude-sonnet-4-5", input: "Keep this" })
    const retrieved = await client.responses.retrieve(created.id)
    expect(retrieved).toEqual(created)
    expect(validateResponse(retrieved)).toEqual([])

    // Another user: not found, whether reading, continuing or deleting.
    await expect(other.responses.retrieve(created.id)).rejects.toMatchObject({ status: 404 })
    await expect(other.responses.delete(created.id)).rejects.toMatchObject({ status: 404 })
    const res = await post(
      { model: "claude-sonnet-4-5", previous_response_id: created.id, input: "x" },
      "ef_other_key"
    )
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({
      error: {
        message: `Previous response with id '${created.id}' not found.`,
        type: "invalid_request_error",
        param: "previous_response_id",
        code: "previous_response_not_found"
      }
    })

    await client.responses.delete(created.id)
    const gone = await fetch(`${router.url}/v1/responses/${created.id}`, {
      headers: { authorization: `Bearer ${TEST_KEY}` }
    })
    expect(gone.status).toBe(404)
    expect(await gone.json()).toEqual({
      error: {
        message: `Response with id '${created.id}' not found.`,
        type: "invalid_request_error",
        param: "response_id",
        code: null
      }
    })
    await expect(client.responses.delete(created.id)).rejects.toMatchObject({ status: 404 })
  })

  it("store: false keeps nothing to continue from", async () => {
    anthropicFake.script = json(200, hello("Not kept."))
    const created = await client.responses.create({ model: "claude-sonnet-4-5", input: "x", store: false })
    // `store` is in the spec's Response but not in the client's type.
    expect((created as unknown as { store: boolean }).store).toBe(false)
    await expect(client.responses.retrieve(created.id)).rejects.toMatchObject({ status: 404 })
    await expect(
      client.responses.create({ model: "claude-sonnet-4-5", previous_response_id: created.id, input: "y" })
    ).rejects.toMatchObject({ status: 404, param: "previous_response_id" })
  })

  it("a conversation moves between providers; item_reference brings back a stored item", async () => {
    anthropicFake.script = json(200, hello("I am Claude."))
    const first = await client.responses.create({ model: "claude-sonnet-4-5", input: "Who are you?" })
    geminiFake.script = json(200, geminiAnswer([{ text: "And I am Gemini." }], "STOP", geminiUsage(9, 4)))
    const second = await client.responses.create({
      model: "gemini-2.5-flash",
      previous_response_id: first.id,
      input: "And now?"
    })
    expect(second.output_text).toBe("And I am Gemini.")
    expect(lastBody(geminiFake).contents).toEqual([
      { role: "user", parts: [{ text: "Who are you?" }] },
      { role: "model", parts: [{ text: "I am Claude." }] },
      { role: "user", parts: [{ text: "And now?" }] }
    ])

    // Without previous_response_id, naming the stored items themselves.
    anthropicFake.script = json(200, hello("Yes."))
    await client.responses.create({
      model: "claude-sonnet-4-5",
      input: [
        { role: "user", content: "Who are you?" },
        { type: "item_reference", id: first.output[0]!.id! },
        { role: "user", content: "Sure?" }
      ]
    })
    expect(lastBody(anthropicFake).messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Who are you?" }] },
      { role: "assistant", content: [{ type: "text", text: "I am Claude." }] },
      { role: "user", content: [{ type: "text", text: "Sure?" }] }
    ])
    // Another user's item is unknown to them.
    const res = await post(
      { model: "claude-sonnet-4-5", input: [{ type: "item_reference", id: first.output[0]!.id }] },
      "ef_other_key"
    )
    expect(res.status).toBe(404)
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe("input[0].id")
  })
})

// ---------------------------------------------------------------------------------------------
// Structured output: the neutral field chat's response_format fills

describe("text.format", () => {
  const schema = {
    type: "object",
    properties: { name: { type: "string" }, age: { type: "integer" } },
    required: ["name", "age"],
    additionalProperties: false
  }

  it("reaches every provider exactly as chat's response_format does", async () => {
    for (const [model, fake] of [
      ["claude-sonnet-4-5", () => anthropicFake],
      ["gemini-2.5-flash", () => geminiFake]
    ] as const) {
      anthropicFake.script = json(200, hello('{"name":"Ada","age":36}'))
      geminiFake.script = json(
        200,
        geminiAnswer([{ text: '{"name":"Ada","age":36}' }], "STOP", geminiUsage(9, 4))
      )
      const chat = await fetch(`${router.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${TEST_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({
          model,
          messages: [{ role: "user", content: "Ada, 36" }],
          response_format: { type: "json_schema", json_schema: { name: "person", schema, strict: true } }
        })
      })
      expect(chat.status).toBe(200)
      const viaChat = lastBody(fake())
      const responses = await post({
        model,
        input: "Ada, 36",
        text: { format: { type: "json_schema", name: "person", schema, strict: true } }
      })
      expect(responses.status).toBe(200)
      expect(lastBody(fake())).toEqual(viaChat)
      expect(responses.headers.get("x-switchyard-dropped")).toBe(chat.headers.get("x-switchyard-dropped"))
      const answer = (await responses.json()) as OpenAI.Responses.Response
      expect(validateResponse(answer)).toEqual([])
      expect(answer.text?.format).toEqual({ type: "json_schema", name: "person", schema, strict: true })
    }
    // Gemini already takes the schema natively.
    expect(lastBody(geminiFake).generationConfig).toMatchObject({
      responseMimeType: "application/json",
      responseJsonSchema: schema
    })
  })
})

// ---------------------------------------------------------------------------------------------
// Errors

describe("errors in OpenAI's format, the field named", () => {
  it.each([
    [{ input: "x" }, "model"],
    [{ model: "claude-sonnet-4-5" }, "input"],
    [{ model: "claude-sonnet-4-5", input: 3 }, "input"],
    [{ model: "claude-sonnet-4-5", input: [{ role: "robot", content: "x" }] }, "input[0].role"],
    [
      { model: "claude-sonnet-4-5", input: [{ role: "user", content: [{ type: "input_video" }] }] },
      "input[0].content[0].type"
    ],
    [
      { model: "claude-sonnet-4-5", input: [{ type: "function_call_output", output: "x" }] },
      "input[0].call_id"
    ],
    [
      { model: "claude-sonnet-4-5", input: "x", text: { format: { type: "json_schema", name: "p" } } },
      "text.format.schema"
    ],
    [{ model: "claude-sonnet-4-5", input: "x", max_output_tokens: 0 }, "max_output_tokens"],
    [{ model: "claude-sonnet-4-5", input: "x", reasoning: { effort: "extreme" } }, "reasoning.effort"],
    [{ model: "claude-sonnet-4-5", input: "x", metadata: { k: 1 } }, "metadata.k"],
    [{ model: "claude-sonnet-4-5", input: "x", tools: [{ type: "function" }] }, "tools[0].name"],
    [{ model: "claude-sonnet-4-5", input: "x", previous_response_id: "../etc" }, "previous_response_id"],
    [{ model: "claude-sonnet-4-5", input: "x", background: true }, "background"]
  ])("400 for %j naming %s", async (body, param) => {
    const res = await post(body)
    expect(res.status).toBe(400)
    const answer = (await res.json()) as { error: { type: string; param: string; message: string } }
    expect(answer.error).toMatchObject({ type: "invalid_request_error", param })
    expect(answer.error.message).toContain(param.split(/[.[]/)[0])
  })

  it("401 without a key, 404 for an unknown model, in OpenAI's format", async () => {
    const res = await fetch(`${router.url}/v1/responses`, { method: "POST", body: "{}" })
    expect(res.status).toBe(401)
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe("authentication_error")
    await expect(client.responses.create({ model: "nope-9", input: "x" })).rejects.toMatchObject({
      status: 404,
      param: "model",
      code: "model_not_found"
    })
  })
})

// ---------------------------------------------------------------------------------------------
// Chat completions upstreams (xAI, OpenAI-compatible servers) and the mock

const chatChunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
  id: "chatcmpl-x",
  object: "chat.completion.chunk",
  created: 1_700_000_000,
  model: "grok-4",
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }]
})

describe("Responses → chat completions upstreams and the mock", () => {
  it("xAI, streamed: a tool call from chat chunks becomes the Responses events", async () => {
    chatFake.script = sse(
      sseText([
        { data: chatChunk({ role: "assistant", content: "" }) },
        {
          data: chatChunk({
            tool_calls: [
              { index: 0, id: "call_x1", type: "function", function: { name: "get_weather", arguments: "" } }
            ]
          })
        },
        { data: chatChunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":"Kyiv"}' } }] }) },
        { data: chatChunk({}, "tool_calls") },
        {
          data: {
            ...chatChunk({}),
            choices: [],
            usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 }
          }
        }
      ])
    )
    const events = await streamed({
      model: "grok-4",
      input: "Weather in Kyiv?",
      tools: [weather],
      stream: true
    })
    const got = chatFake.received.at(-1)!
    expect(got.url).toBe("/v1/chat/completions")
    expect(got.headers.authorization).toBe("Bearer xai-key")
    expect(JSON.parse(got.body)).toMatchObject({
      model: "grok-4",
      messages: [{ role: "user", content: "Weather in Kyiv?" }],
      stream: true,
      stream_options: { include_usage: true },
      tools: [{ type: "function", function: { name: "get_weather", strict: true } }]
    })
    const completed = (events.at(-1)!.data as { response: OpenAI.Responses.Response }).response
    expect(completed.output).toMatchObject([
      { type: "function_call", call_id: "call_x1", arguments: '{"city":"Kyiv"}' }
    ])
    expect(completed.usage).toMatchObject({ input_tokens: 11, output_tokens: 7 })
  })

  it("an OpenAI-compatible server (the user's own), not streamed", async () => {
    chatFake.script = json(200, {
      id: "chatcmpl-c",
      object: "chat.completion",
      created: 1_700_000_000,
      model: "llama3",
      choices: [
        { index: 0, message: { role: "assistant", content: "Local hello." }, finish_reason: "length" }
      ],
      usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 }
    })
    const response = await client.responses.create({
      model: "openai-compatible/llama3",
      input: [
        { role: "developer", content: "Be local." },
        { role: "user", content: "Hi" }
      ],
      max_output_tokens: 2
    })
    expect(validateResponse(response)).toEqual([])
    expect(chatFake.received.at(-1)!.headers.authorization).toBe("Bearer vllm-token")
    expect(JSON.parse(chatFake.received.at(-1)!.body)).toEqual({
      model: "llama3",
      messages: [
        { role: "system", content: "Be local." },
        { role: "user", content: "Hi" }
      ],
      max_completion_tokens: 2
    })
    // Cut short by the limit: incomplete, as OpenAI says it.
    expect(response).toMatchObject({
      status: "incomplete",
      incomplete_details: { reason: "max_output_tokens" },
      output_text: "Local hello."
    })
  })

  it("the mock, streamed and not", async () => {
    const answer = await client.responses.create({ model: "mock/echo", input: "echo these words" })
    expect(validateResponse(answer)).toEqual([])
    expect(answer.output_text).toBe("echo these words")
    const events = await streamed({ model: "mock/echo", input: "and these", stream: true })
    const deltas = events.filter((e) => (e.data as { type: string }).type === "response.output_text.delta")
    expect(deltas.map((e) => (e.data as { delta: string }).delta).join("")).toBe("and these")
  })
})

describe("a Responses stream whose upstream goes silent", () => {
  let silent: FakeUpstream
  let impatient: TestRouter
  beforeAll(async () => {
    const whole = anthropicStream(
      [{ start: { type: "text", text: "" }, deltas: [{ type: "text_delta", text: "Hello" }] }],
      "end_turn",
      { input: 5, output: 2 }
    )
    const cut = whole.indexOf("event: content_block_stop")
    silent = await startFake(async (req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" })
      res.write(whole.slice(0, cut))
      // Silent until the router gives up and leaves.
      await req.aborted
    })
    impatient = await startRouter({
      env: { ANTHROPIC_BASE_URL: silent.url, ANTHROPIC_API_KEY: "sk-ant" },
      settings: { upstreamIdleTimeoutMs: 300 }
    })
  })
  afterAll(async () => {
    await impatient.close()
    await silent.close()
  })

  it("ends with an `error` event numbered after the others, and the ledger says why", async () => {
    const res = await fetch(`${impatient.url}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-sonnet-4-5", input: "hi", stream: true })
    })
    expect(res.status).toBe(200)
    const events = parseSse(await res.text())
    expect(validateStream(events)).toEqual([])
    expect(types(events).at(-1)).toBe("error")
    expect(events.at(-1)!.data).toMatchObject({ code: "upstream_idle_timeout" })
    const event = (await impatient.waitForEvents(1)).at(-1)!
    expect(event).toMatchObject({ outcome: "timeout", status: 504, errorType: "upstream_idle_timeout" })
  })
})
