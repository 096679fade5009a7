/**
 * The AI SDK's default OpenAI provider (`createOpenAI(...)("model")`, which speaks the Responses
 * API) against the router, with fake OpenAI, Anthropic and Gemini upstreams: generateText,
 * streamText, tools over several steps (the SDK sends earlier output back as `item_reference`
 * items, resolved from the stored responses) and generateObject. Every answer the router gave the
 * SDK, JSON or stream, is checked against OpenAI's spec.
 */
import { createOpenAI } from "@ai-sdk/openai"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { ResponseStore, responsesMigrations } from "@switchyard/db"
import { TestDatabase } from "@switchyard/db/testing"
import { generateObject, generateText, stepCountIs, streamText, tool } from "ai"
import { ConfigProvider, Layer } from "effect"
import { z } from "zod"
import { type FakeUpstream, json, type Script, sse, sseText, startFake } from "./FakeUpstream.ts"
import { startRouter, TEST_KEY, type TestRouter } from "./Harness.ts"
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
  validateResponse,
  validateStream
} from "./ResponsesWire.ts"

type Json = Record<string, unknown>

let openaiFake: FakeUpstream
let anthropicFake: FakeUpstream
let geminiFake: FakeUpstream
let router: TestRouter
/** The router's answers to the SDK: each body, streamed or not. */
const answers: Array<{ readonly stream: boolean; readonly text: string }> = []
/** The SDK's requests to the router, as sent. */
const requests: Array<string> = []
let provider: ReturnType<typeof createOpenAI>

// ---------------------------------------------------------------------------------------------
// Fakes that answer like their provider: a tool call first when tools are offered and no result
// came back yet, the final text once it did; JSON for a structured request; streamed when asked.

const PERSON = '{"name":"Ada Lovelace","born":1815}'

const hasToolResult = (body: Json): boolean => JSON.stringify(body).includes('"function_call_output"')

const openaiScript: Script = (req, res) => {
  const body = JSON.parse(req.body) as Json
  const id = `resp_${crypto.randomUUID().replaceAll("-", "")}`
  const output =
    (body.text as { format?: { type: string } } | undefined)?.format?.type === "json_schema"
      ? [outputMessage(`msg_${id}`, PERSON)]
      : Array.isArray(body.tools) && body.tools.length > 0 && !hasToolResult(body)
        ? [
            outputMessage(`msg_${id}`, "Let me check."),
            outputCall(`fc_${id}`, "call_w1", "weather", '{"city":"Paris"}')
          ]
        : [outputMessage(`msg_${id}`, "It is sunny in Paris.")]
  const final = openaiResponse(id, output, openaiUsage(25, 5, 8))
  return body.stream === true
    ? sse(openaiResponseStream(final), { splitEvery: 61 })(req, res)
    : json(200, final)(req, res)
}

const anthropicScript: Script = (req, res) => {
  const body = JSON.parse(req.body) as Json
  const messages = body.messages as Array<{ content: Array<{ type: string }> | string }>
  const answered = messages.some(
    (m) => Array.isArray(m.content) && m.content.some((b) => b.type === "tool_result")
  )
  const forced = (body.tool_choice as { type?: string } | undefined)?.type === "tool"
  const usage = {
    input_tokens: 30,
    output_tokens: 9,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0
  }
  // JSON when asked for it, in the prompt or by a schema in any form: a forced tool's input, else
  // JSON text.
  const blocks: Array<Json> = forced
    ? [
        {
          type: "tool_use",
          id: "toolu_s1",
          name: (body.tool_choice as { name: string }).name,
          input: JSON.parse(PERSON)
        }
      ]
    : JSON.stringify(body).includes("born")
      ? [{ type: "text", text: PERSON }]
      : Array.isArray(body.tools) && !answered
        ? [
            { type: "text", text: "Let me check." },
            { type: "tool_use", id: "toolu_w1", name: "weather", input: { city: "Paris" } }
          ]
        : [{ type: "text", text: "It is sunny in Paris." }]
  const stop = blocks.some((b) => b.type === "tool_use") && !forced ? "tool_use" : "end_turn"
  if (body.stream !== true) return json(200, anthropicMessage(blocks, stop, usage))(req, res)
  return sse(
    anthropicStream(
      blocks.map((b) =>
        b.type === "text"
          ? {
              start: { type: "text", text: "" },
              deltas: [
                { type: "text_delta", text: (b.text as string).slice(0, 5) },
                { type: "text_delta", text: (b.text as string).slice(5) }
              ]
            }
          : {
              start: { ...b, input: {} },
              deltas: [{ type: "input_json_delta", partial_json: JSON.stringify(b.input) }]
            }
      ),
      stop,
      { input: 30, output: 9 }
    ),
    { splitEvery: 23 }
  )(req, res)
}

const geminiScript: Script = (req, res) => {
  const body = JSON.parse(req.body) as Json
  const answered = JSON.stringify(body.contents).includes('"functionResponse"')
  const structured = (body.generationConfig as Json | undefined)?.responseJsonSchema !== undefined
  const parts: Array<Json> = structured
    ? [{ text: PERSON }]
    : Array.isArray(body.tools) && !answered
      ? [{ text: "Let me check." }, { functionCall: { name: "weather", args: { city: "Paris" } } }]
      : [{ text: "It is sunny in Paris." }]
  if (!req.url.includes("streamGenerateContent"))
    return json(200, geminiAnswer(parts, "STOP", geminiUsage(20, 7)))(req, res)
  const chunks = [
    geminiAnswer(parts.slice(0, 1), undefined),
    geminiAnswer(parts.slice(1), "STOP", geminiUsage(20, 7))
  ]
  return sse(
    sseText(
      chunks.map((data) => ({ data })),
      { done: false }
    )
  )(req, res)
}

beforeAll(async () => {
  openaiFake = await startFake(openaiScript)
  anthropicFake = await startFake(anthropicScript)
  geminiFake = await startFake(geminiScript)
  router = await startRouter({
    env: {
      OPENAI_BASE_URL: `${openaiFake.url}/v1`,
      OPENAI_API_KEY: "sk-openai",
      ANTHROPIC_BASE_URL: anthropicFake.url,
      ANTHROPIC_API_KEY: "sk-ant",
      GOOGLE_AI_BASE_URL: `${geminiFake.url}/v1beta`,
      GOOGLE_AI_KEY: "g-key"
    },
    responseStore: ResponseStore.layerPg.pipe(
      Layer.provide(TestDatabase.layer("router_responses_ai_sdk", [responsesMigrations])),
      Layer.provide(Layer.setConfigProvider(ConfigProvider.fromEnv())),
      Layer.orDie
    )
  })
  provider = createOpenAI({
    baseURL: `${router.url}/v1`,
    apiKey: TEST_KEY,
    // Keeps a copy of every answer, to check it against the spec.
    fetch: (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      requests.push(typeof init?.body === "string" ? init.body : "")
      const res = await fetch(input, init)
      const copy = res.clone()
      const stream = (res.headers.get("content-type") ?? "").includes("text/event-stream")
      answers.push({ stream, text: await copy.text() })
      return res
    }) as typeof fetch
  })
})

afterAll(async () => {
  await router.close()
  await Promise.all([openaiFake.close(), anthropicFake.close(), geminiFake.close()])
})

/** Every answer since `from` is a spec-valid Response or stream. */
const expectSpecValid = (from: number) => {
  expect(answers.length).toBeGreaterThan(from)
  for (const answer of answers.slice(from)) {
    if (answer.stream) expect(validateStream(parseSse(answer.text))).toEqual([])
    else expect(validateResponse(JSON.parse(answer.text))).toEqual([])
  }
}

const weatherTool = tool({
  description: "Weather for a city",
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, sky: "sunny" })
})

const person = z.object({ name: z.string(), born: z.number() })

const upstreams = [
  ["OpenAI", "gpt-4o-mini", () => openaiFake],
  ["Anthropic", "claude-sonnet-4-5", () => anthropicFake],
  ["Gemini", "gemini-2.5-flash", () => geminiFake]
] as const

for (const [name, model, fake] of upstreams) {
  describe(`AI SDK default provider → ${name}`, () => {
    it("generateText", async () => {
      const from = answers.length
      const result = await generateText({ model: provider(model), system: "Be brief.", prompt: "Weather?" })
      expect(result.text).toBe("It is sunny in Paris.")
      expect(result.finishReason).toBe("stop")
      expect(result.usage.inputTokens).toBeGreaterThan(0)
      expect(result.usage.outputTokens).toBeGreaterThan(0)
      expect(fake().received.at(-1)!.url).not.toContain("chat/completions")
      expectSpecValid(from)
    })

    it("streamText", async () => {
      const from = answers.length
      const result = streamText({ model: provider(model), prompt: "Weather?" })
      let text = ""
      for await (const delta of result.textStream) text += delta
      expect(text).toBe("It is sunny in Paris.")
      expect(await result.finishReason).toBe("stop")
      expect((await result.usage).outputTokens).toBeGreaterThan(0)
      expectSpecValid(from)
    })

    it("tools over two steps, the first step's output sent back by reference", async () => {
      const from = answers.length
      const seen = fake().received.length
      const asked = requests.length
      const result = await generateText({
        model: provider(model),
        prompt: "What is the weather in Paris?",
        tools: { weather: weatherTool },
        stopWhen: stepCountIs(3)
      })
      expect(result.steps).toHaveLength(2)
      expect(result.steps[0]!.toolCalls).toMatchObject([{ toolName: "weather", input: { city: "Paris" } }])
      expect(result.steps[0]!.toolResults).toMatchObject([{ output: { city: "Paris", sky: "sunny" } }])
      expect(result.text).toBe("It is sunny in Paris.")
      // The SDK named the first step's message by reference; the second request the upstream saw
      // carried that message's text, resolved from the stored response, and the tool's result.
      expect(requests[asked + 1]).toContain('"type":"item_reference"')
      const second = fake().received.slice(seen)[1]!.body
      expect(second).toContain("Let me check.")
      expect(second).toContain("sunny")
      expect(second).not.toContain("item_reference")
      expectSpecValid(from)
    })

    it("streamText with tools", async () => {
      const from = answers.length
      const result = streamText({
        model: provider(model),
        prompt: "What is the weather in Paris?",
        tools: { weather: weatherTool },
        stopWhen: stepCountIs(3)
      })
      let text = ""
      for await (const delta of result.textStream) text += delta
      expect(text).toBe("Let me check.It is sunny in Paris.")
      expect((await result.steps)[0]!.toolCalls).toMatchObject([
        { toolName: "weather", input: { city: "Paris" } }
      ])
      expectSpecValid(from)
    })

    it("generateObject", async () => {
      const from = answers.length
      const result = await generateObject({
        model: provider(model),
        schema: person,
        prompt: "Who wrote the first program? Answer in JSON: her name, and the year she was born."
      })
      expect(result.object).toEqual({ name: "Ada Lovelace", born: 1815 })
      const sent = JSON.parse(fake().received.at(-1)!.body) as Json
      // The schema reached the upstream: OpenAI as `text.format`, Gemini as its own JSON schema.
      if (name === "OpenAI")
        expect(sent.text).toMatchObject({ format: { type: "json_schema", strict: true } })
      if (name === "Gemini")
        expect(sent.generationConfig).toMatchObject({ responseMimeType: "application/json" })
      expectSpecValid(from)
    })
  })
}
