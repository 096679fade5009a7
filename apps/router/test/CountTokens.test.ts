/**
 * `POST /v1/messages/count_tokens` with the Anthropic SDK's `messages.countTokens`: passed through
 * to Anthropic, asked of Gemini's `:countTokens`, and counted locally with a tiktoken port for
 * OpenAI-family models, the answer saying which (`x-switchyard-token-count`).
 */
import Anthropic from "@anthropic-ai/sdk"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Routing } from "@switchyard/router-core"
import { type FakeUpstream, json, startFake } from "./FakeUpstream.ts"
import { startRouter, TEST_KEY, type TestRouter } from "./Harness.ts"

let anthropicFake: FakeUpstream
let geminiFake: FakeUpstream
let router: TestRouter
let anthropic: Anthropic

beforeAll(async () => {
  anthropicFake = await startFake(json(200, { input_tokens: 42 }))
  geminiFake = await startFake(json(200, { totalTokens: 17, promptTokensDetails: [] }))
  router = await startRouter({
    // Unknown models are refused here, not sent to OpenAI (seed 000's default rule).
    unknownModels: Routing.refuseUnknown,
    env: {
      ANTHROPIC_BASE_URL: anthropicFake.url,
      ANTHROPIC_API_KEY: "sk-ant",
      GOOGLE_AI_BASE_URL: `${geminiFake.url}/v1beta`,
      GOOGLE_AI_KEY: "g-key",
      OPENAI_API_KEY: "sk-openai"
    }
  })
  anthropic = new Anthropic({ apiKey: TEST_KEY, baseURL: router.url, maxRetries: 0 })
})

afterAll(async () => {
  await router.close()
  await Promise.all([anthropicFake.close(), geminiFake.close()])
})

const params = {
  system: "Be brief.",
  messages: [{ role: "user" as const, content: "Hello, world" }]
}
const weather = {
  name: "get_weather",
  description: "Weather for a city",
  input_schema: { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"] }
}

describe("messages.countTokens", () => {
  it("Claude: Anthropic's own count, the body passed as sent", async () => {
    const { data, response } = await anthropic.messages
      .countTokens({ model: "claude-sonnet-4-5", ...params, tools: [weather] })
      .withResponse()
    expect(data.input_tokens).toBe(42)
    expect(response.headers.get("x-switchyard-token-count")).toBe("exact")
    expect(response.headers.get("request-id")).toBe(response.headers.get("x-request-id"))
    const got = anthropicFake.received.at(-1)!
    expect(got.url).toBe("/v1/messages/count_tokens")
    expect(got.headers["x-api-key"]).toBe("sk-ant")
    expect(JSON.parse(got.body)).toEqual({ model: "claude-sonnet-4-5", ...params, tools: [weather] })
  })

  it("Gemini: the translated request counted by :countTokens", async () => {
    const { data, response } = await anthropic.messages
      .countTokens({ model: "gemini-2.5-flash", ...params })
      .withResponse()
    expect(data.input_tokens).toBe(17)
    expect(response.headers.get("x-switchyard-token-count")).toBe("exact")
    const got = geminiFake.received.at(-1)!
    expect(got.url).toBe("/v1beta/models/gemini-2.5-flash:countTokens")
    expect(got.headers["x-goog-api-key"]).toBe("g-key")
    expect(JSON.parse(got.body)).toEqual({
      generateContentRequest: {
        model: "models/gemini-2.5-flash",
        systemInstruction: { parts: [{ text: "Be brief." }] },
        contents: [{ role: "user", parts: [{ text: "Hello, world" }] }]
      }
    })
  })

  it("OpenAI models: counted with the model's tokenizer, tools included, marked as an estimate", async () => {
    const plain = await anthropic.messages.countTokens({ model: "gpt-4o-mini", ...params }).withResponse()
    // o200k_base: 3 tokens per message, the texts, 3 to prime the answer.
    expect(plain.data.input_tokens).toBe(17)
    expect(plain.response.headers.get("x-switchyard-token-count")).toBe("estimate")
    expect(plain.response.headers.get("x-switchyard-tokenizer")).toBe("o200k_base")
    const withTools = await anthropic.messages.countTokens({
      model: "gpt-4o-mini",
      ...params,
      tools: [weather]
    })
    expect(withTools.input_tokens).toBe(49)
    const gpt4 = await anthropic.messages.countTokens({ model: "gpt-4", ...params }).withResponse()
    expect(gpt4.response.headers.get("x-switchyard-tokenizer")).toBe("cl100k_base")
  })

  it("other providers (the mock) are estimated with o200k_base", async () => {
    const { data, response } = await anthropic.messages
      .countTokens({ model: "mock/echo", messages: [{ role: "user", content: "one two three" }] })
      .withResponse()
    expect(data.input_tokens).toBeGreaterThan(3)
    expect(response.headers.get("x-switchyard-token-count")).toBe("estimate")
  })

  it("errors come in Anthropic's format: bad body, unknown model, bad key, upstream 4xx", async () => {
    const post = (body: unknown, key = TEST_KEY) =>
      fetch(`${router.url}/v1/messages/count_tokens`, {
        method: "POST",
        headers: { "x-api-key": key, "content-type": "application/json" },
        body: JSON.stringify(body)
      })
    const noMessages = await post({ model: "gpt-4o-mini" })
    expect(noMessages.status).toBe(400)
    expect(await noMessages.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } })
    const unknown = await post({ model: "nope-1", messages: params.messages })
    expect(unknown.status).toBe(404)
    expect((await unknown.json()).type).toBe("error")
    const badKey = await post({ model: "gpt-4o-mini", messages: params.messages }, "ef_wrong")
    expect(badKey.status).toBe(401)
    expect((await badKey.json()).error.type).toBe("authentication_error")
    anthropicFake.script = json(400, {
      type: "error",
      error: { type: "invalid_request_error", message: "bad tool" }
    })
    const error = await anthropic.messages
      .countTokens({ model: "claude-sonnet-4-5", ...params })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Anthropic.BadRequestError)
    expect((error as Error).message).toContain("bad tool")
    anthropicFake.script = json(200, { input_tokens: 42 })
  })
})
