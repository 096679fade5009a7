/**
 * What the Anthropic SDK reads beyond the message: `_request_id` (from `request-id`) on answers,
 * streams and errors; and reasoning (`thinking`) sent only to models that take it, dropped and
 * reported for the others, refused in strict mode.
 */
import Anthropic from "@anthropic-ai/sdk"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type FakeUpstream, startFake } from "./FakeUpstream.ts"
import { startRouter, TEST_KEY, type TestRouter } from "./Harness.ts"
import { anthropicModel, openaiModel } from "./ModelFakes.ts"

let openaiFake: FakeUpstream
let anthropicFake: FakeUpstream
let router: TestRouter
let strict: TestRouter
let anthropic: Anthropic

beforeAll(async () => {
  openaiFake = await startFake(openaiModel("fine"))
  anthropicFake = await startFake(anthropicModel("fine"))
  const env = {
    OPENAI_BASE_URL: `${openaiFake.url}/v1`,
    OPENAI_API_KEY: "sk-openai",
    ANTHROPIC_BASE_URL: anthropicFake.url,
    ANTHROPIC_API_KEY: "sk-ant"
  }
  router = await startRouter({ env })
  strict = await startRouter({ env, settings: { strict: true } })
  anthropic = new Anthropic({ apiKey: TEST_KEY, baseURL: router.url, maxRetries: 0 })
})

afterAll(async () => {
  await Promise.all([router.close(), strict.close()])
  await Promise.all([openaiFake.close(), anthropicFake.close()])
})

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const hi = [{ role: "user" as const, content: "hi" }]

describe("request-id", () => {
  it("is the request's id on answers, translated or passed through, and on streams", async () => {
    for (const model of ["claude-sonnet-4-5", "gpt-4o-mini"]) {
      const message = await anthropic.messages.create({ model, max_tokens: 20, messages: hi })
      expect(message._request_id).toMatch(V7)
      const stream = anthropic.messages.stream({ model, max_tokens: 20, messages: hi })
      await stream.finalMessage()
      expect(stream.request_id).toMatch(V7)
    }
    const events = await router.waitForEvents(4)
    const { response } = await anthropic.messages
      .create({ model: "gpt-4o-mini", max_tokens: 20, messages: hi })
      .withResponse()
    expect(response.headers.get("request-id")).toBe(response.headers.get("x-request-id"))
    const recorded = (await router.waitForEvents(events.length + 1)).map((e) => e.requestId)
    expect(recorded).toContain(response.headers.get("request-id"))
  })

  it("is on errors too, where the SDK reports it", async () => {
    const error = await anthropic.messages
      .create({ model: "gpt-4o-mini", max_tokens: 0, messages: hi })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Anthropic.BadRequestError)
    expect((error as InstanceType<typeof Anthropic.APIError>).requestID).toMatch(V7)
  })
})

describe("thinking, sent only to models that reason", () => {
  const thinking = { type: "enabled" as const, budget_tokens: 1024 }

  it("to a model without reasoning: not sent, listed in x-switchyard-dropped", async () => {
    const { response } = await anthropic.messages
      .create({ model: "gpt-4o-mini", max_tokens: 2000, messages: hi, thinking })
      .withResponse()
    expect(JSON.parse(openaiFake.received.at(-1)!.body).reasoning_effort).toBeUndefined()
    expect(response.headers.get("x-switchyard-dropped")).toBe("thinking")
  })

  it("to a reasoning model: carried as reasoning_effort", async () => {
    const { response } = await anthropic.messages
      .create({ model: "o4-mini", max_tokens: 2000, messages: hi, thinking })
      .withResponse()
    expect(JSON.parse(openaiFake.received.at(-1)!.body).reasoning_effort).toBe("low")
    expect(response.headers.get("x-switchyard-dropped")).toBeNull()
  })

  it("strict mode refuses it, naming the field", async () => {
    const client = new Anthropic({ apiKey: TEST_KEY, baseURL: strict.url, maxRetries: 0 })
    const before = openaiFake.received.length
    const error = await client.messages
      .create({ model: "gpt-4o-mini", max_tokens: 2000, messages: hi, thinking })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Anthropic.BadRequestError)
    expect((error as Error).message).toContain("thinking")
    expect(openaiFake.received.length).toBe(before)
  })

  it("an OpenAI client's reasoning_effort to Claude 3.5 is dropped the same way", async () => {
    const res = await fetch(`${router.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-3-5-haiku-latest", messages: hi, reasoning_effort: "high" })
    })
    expect(res.status).toBe(200)
    expect(res.headers.get("x-switchyard-dropped")).toBe("reasoning_effort")
    expect(res.headers.get("request-id")).toBeNull()
    expect(JSON.parse(anthropicFake.received.at(-1)!.body).thinking).toBeUndefined()
  })
})
