/**
 * Client input is validated before anything is forwarded, charged or recorded: model names
 * (characters, length), empty Anthropic `messages`, unknown field names that would reach a header.
 * Bad input is a 400 naming the field in the client's own error format. Token counts an upstream
 * reports are recorded as non-negative integers whatever it sent.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type FakeUpstream, json, startFake } from "./FakeUpstream.ts"
import { startRouter, TEST_KEY, type TestRouter } from "./Harness.ts"

let fake: FakeUpstream
let router: TestRouter

const completion = (usage: Record<string, unknown>) => ({
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model: "gpt-4o-mini",
  choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
  usage
})

beforeAll(async () => {
  fake = await startFake(json(200, completion({ prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 })))
  router = await startRouter({
    env: { OPENAI_BASE_URL: `${fake.url}/v1`, OPENAI_API_KEY: "sk-platform" }
  })
})
afterAll(async () => {
  await router.close()
  await fake.close()
})

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${router.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_KEY}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(body)
  })

const userMessage = [{ role: "user", content: "hello" }]

describe("model names", () => {
  const bad = [
    ["a control character", "gpt-4o-mini\u0001"],
    ["a NUL", "gpt-4o\u0000mini"],
    ["CRLF", "gpt-4o-mini\r\nx-evil: 1"],
    ["8 000 characters", "g".repeat(8000)],
    ["a space", "gpt 4o"]
  ] as const

  it.each(bad)("with %s: 400 naming `model` in OpenAI's format, nothing forwarded", async (_, model) => {
    const before = fake.received.length
    const res = await post("/v1/chat/completions", { model, messages: userMessage })
    expect(res.status).toBe(400)
    const body = await res.json()
    expect(body.error).toMatchObject({ type: "invalid_request_error", param: "model" })
    expect(body.error.message).toContain("'model'")
    expect(fake.received.length).toBe(before)
  })

  it.each(bad)("with %s: 400 naming `model` in Anthropic's format, nothing forwarded", async (_, model) => {
    const before = fake.received.length
    const res = await post("/v1/messages", { model, max_tokens: 5, messages: userMessage })
    expect(res.status).toBe(400)
    const body = await res.json()
    expect(body).toMatchObject({ type: "error", error: { type: "invalid_request_error" } })
    expect(body.error.message).toContain("'model'")
    expect(fake.received.length).toBe(before)
  })

  it("a refused model name is not what the usage event records", async () => {
    const res = await post("/v1/chat/completions", { model: "evil\u0000model", messages: userMessage })
    expect(res.status).toBe(400)
    const events = await router.events()
    const last = events[events.length - 1]!
    expect(last.status).toBe(400)
    expect(last.requestedModel).toBe("")
  })

  it("embeddings refuse a bad model too", async () => {
    const res = await post("/v1/embeddings", { model: "x\ny", input: "hi" })
    expect(res.status).toBe(400)
    expect((await res.json()).error.param).toBe("model")
  })
})

describe("Anthropic messages", () => {
  it("`messages: []` is a 400 naming `messages`, not forwarded", async () => {
    const before = fake.received.length
    const res = await post("/v1/messages", { model: "gpt-4o-mini", max_tokens: 5, messages: [] })
    expect(res.status).toBe(400)
    const body = await res.json()
    expect(body).toMatchObject({ type: "error", error: { type: "invalid_request_error" } })
    expect(body.error.message).toContain("'messages'")
    expect(fake.received.length).toBe(before)
  })
})

describe("response headers", () => {
  it("unknown field names never reach x-switchyard-dropped as sent", async () => {
    const res = await post("/v1/messages", {
      model: "gpt-4o-mini",
      max_tokens: 5,
      messages: userMessage,
      "evil\r\nheader": 1,
      "bad\u0000name": true
    })
    expect(res.status).toBe(200)
    expect(res.headers.get("x-switchyard-model")).toBe("gpt-4o-mini")
    expect(res.headers.get("x-switchyard-dropped")).toBe("(unnamed)")
  })
})

describe("token counts an upstream reports", () => {
  it("fractional, negative and huge counts are recorded as bounded non-negative integers", async () => {
    fake.script = json(
      200,
      completion({
        prompt_tokens: 1.5,
        completion_tokens: -40,
        total_tokens: 1e300,
        completion_tokens_details: { reasoning_tokens: 1e12 }
      })
    )
    try {
      const res = await post("/v1/chat/completions", { model: "gpt-4o-mini", messages: userMessage })
      expect(res.status).toBe(200)
      const events = await router.waitForEvents(1)
      const usage = events[events.length - 1]!.usage
      for (const value of [
        usage.inputTokens,
        usage.outputTokens,
        usage.cachedInputTokens,
        usage.cacheCreationTokens,
        usage.reasoningTokens
      ]) {
        expect(Number.isInteger(value)).toBe(true)
        expect(value).toBeGreaterThanOrEqual(0)
        expect(value).toBeLessThanOrEqual(100_000_000)
      }
      expect(usage.inputTokens).toBe(2)
      expect(usage.outputTokens).toBe(0)
    } finally {
      fake.script = json(200, completion({ prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 }))
    }
  })
})
