/**
 * Seed 000's routes under `/api/v1/*`: the seed's statuses and bodies there (422 naming the field,
 * 500 `server_error`, its `max_tokens` and `temperature` bounds), while `/v1/*` keeps OpenAI's.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type FakeUpstream, json, sse, sseText, startFake } from "./FakeUpstream.ts"
import { secret, startRouter, TEST_KEY, type TestRouter } from "./Harness.ts"

let fake: FakeUpstream
let router: TestRouter

const completion = (content: string) => ({
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model: "gpt-4o-mini",
  choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 }
})

beforeAll(async () => {
  fake = await startFake(json(200, completion("hi")))
  router = await startRouter({
    env: { OPENAI_BASE_URL: `${fake.url}/v1`, OPENAI_API_KEY: "sk-platform" },
    secrets: new Map([["u1/anthropic", secret("sk-ant-user")]]),
    settings: { exposeUserKeys: true }
  })
})
afterAll(async () => {
  await router.close()
  await fake.close()
})

const post = (path: string, body: unknown, key: string | null = TEST_KEY) =>
  fetch(`${router.url}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json",
      ...(key === null ? {} : { authorization: `Bearer ${key}` })
    },
    body: JSON.stringify(body)
  })

const chat = (body: unknown) => post("/api/v1/chat/completions", body)
const hello = [{ role: "user", content: "hello" }]

describe("seed 000 under /api/v1", () => {
  it("serves chat completions like /v1, streamed and not", async () => {
    fake.script = json(200, completion("plain answer"))
    const plain = await chat({ model: "gpt-4o-mini", messages: hello, max_tokens: 4000, temperature: 2 })
    expect(plain.status).toBe(200)
    expect((await plain.json()).choices[0].message.content).toBe("plain answer")
    const sent = JSON.parse(fake.received.at(-1)!.body)
    expect(sent).toMatchObject({ model: "gpt-4o-mini", max_tokens: 4000, temperature: 2 })

    fake.script = sse(
      sseText([
        {
          data: {
            id: "c",
            object: "chat.completion.chunk",
            created: 1,
            model: "gpt-4o-mini",
            choices: [{ index: 0, delta: { content: "str" }, finish_reason: null }]
          }
        },
        {
          data: {
            id: "c",
            object: "chat.completion.chunk",
            created: 1,
            model: "gpt-4o-mini",
            choices: [{ index: 0, delta: { content: "eamed" }, finish_reason: "stop" }]
          }
        }
      ])
    )
    // Laravel's boolean rule: 1 is true.
    const streamed = await chat({ model: "gpt-4o-mini", messages: hello, stream: 1 })
    expect(streamed.status).toBe(200)
    expect(streamed.headers.get("content-type")).toContain("text/event-stream")
    const text = await streamed.text()
    const contents = text
      .split("\n")
      .filter((line) => line.startsWith("data: {"))
      .map((line) => JSON.parse(line.slice(6)).choices[0]?.delta?.content ?? "")
    expect(contents.join("")).toBe("streamed")
    expect(text).toContain("data: [DONE]")
  })

  it("refuses invalid fields with Laravel's 422 naming each, in the seed's words", async () => {
    const cases: ReadonlyArray<readonly [unknown, string]> = [
      [{ messages: hello }, "model"],
      [{ model: "gpt-4o-mini" }, "messages"],
      [{ model: "gpt-4o-mini", messages: [] }, "messages"],
      [{ model: "gpt-4o-mini", messages: [{ role: "tool", content: "x" }] }, "messages.0.role"],
      [{ model: "gpt-4o-mini", messages: [{ role: "user" }] }, "messages.0.content"],
      [
        { model: "gpt-4o-mini", messages: [{ role: "user", content: [{ type: "text", text: "x" }] }] },
        "messages.0.content"
      ],
      [{ model: "gpt-4o-mini", messages: hello, max_tokens: 4001 }, "max_tokens"],
      [{ model: "gpt-4o-mini", messages: hello, max_tokens: 0 }, "max_tokens"],
      [{ model: "gpt-4o-mini", messages: hello, max_tokens: 1.5 }, "max_tokens"],
      [{ model: "gpt-4o-mini", messages: hello, temperature: 2.01 }, "temperature"],
      [{ model: "gpt-4o-mini", messages: hello, temperature: -0.1 }, "temperature"],
      [{ model: "gpt-4o-mini", messages: hello, stream: "yes" }, "stream"]
    ]
    const before = fake.received.length
    for (const [body, field] of cases) {
      const response = await chat(body)
      expect(response.status, JSON.stringify(body)).toBe(422)
      const answer = await response.json()
      expect(Object.keys(answer.errors)).toEqual([field])
      expect(answer.errors[field][0]).toBe(answer.message)
      expect(answer.error).toMatchObject({ type: "invalid_request_error", param: field })
    }
    expect(fake.received.length).toBe(before)
  })

  it("keeps OpenAI's conventions on /v1: max_tokens over 4000 passes, a missing field is 400", async () => {
    fake.script = json(200, completion("long"))
    const big = await post("/v1/chat/completions", {
      model: "gpt-4o-mini",
      messages: hello,
      max_tokens: 8000
    })
    expect(big.status).toBe(200)
    const bad = await post("/v1/chat/completions", { messages: hello })
    expect(bad.status).toBe(400)
    expect((await bad.json()).errors).toBeUndefined()
  })

  it("answers upstream failures with 500 server_error (502 api_error on /v1)", async () => {
    fake.script = json(500, { error: { message: "upstream broke", type: "server_error" } })
    const seed = await chat({ model: "gpt-4o-mini", messages: hello })
    expect(seed.status).toBe(500)
    const body = await seed.json()
    expect(body.error.type).toBe("server_error")
    expect(typeof body.message).toBe("string")
    const openai = await post("/v1/chat/completions", { model: "gpt-4o-mini", messages: hello })
    expect(openai.status).toBe(502)

    // A provider that cannot be reached at all: the same 500.
    const down = await startRouter({
      env: { OPENAI_BASE_URL: "http://127.0.0.1:9/v1", OPENAI_API_KEY: "sk" }
    })
    try {
      const refused = await fetch(`${down.url}/api/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${TEST_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-4o-mini", messages: hello })
      })
      expect(refused.status).toBe(500)
      expect((await refused.json()).error.type).toBe("server_error")
    } finally {
      await down.close()
    }
  })

  it("401 without a key, and the seed's 401 for a provider with no key", async () => {
    const anonymous = await post("/api/v1/chat/completions", { model: "gpt-4o-mini", messages: hello }, null)
    expect(anonymous.status).toBe(401)
    expect((await anonymous.json()).message).toContain("API key")
    const noKey = await chat({ model: "grok-4", messages: hello })
    expect(noKey.status).toBe(401)
    expect((await noKey.json()).error).toMatchObject({
      type: "authentication_error",
      message: "No API key configured for provider: xai"
    })
  })

  it("serves health (public), the user's keys and failed-request sync", async () => {
    const health = await fetch(`${router.url}/api/v1/health`)
    expect(health.status).toBe(200)
    expect(await health.json()).toMatchObject({ status: "healthy", version: expect.any(String) })

    const keys = await fetch(`${router.url}/api/v1/user/ai-keys`, {
      headers: { authorization: `Bearer ${TEST_KEY}` }
    })
    expect(keys.status).toBe(200)
    expect(await keys.json()).toMatchObject({ anthropic: "sk-ant-user", expiration: expect.any(String) })

    const synced = await post("/api/v1/sync/failed-request", {
      request_id: "seed-prefix-1",
      original_timestamp: "2026-01-01T00:00:00Z",
      request_data: { model: "gpt-4o-mini" },
      error: "offline"
    })
    expect(synced.status).toBe(200)
    expect(await synced.json()).toMatchObject({
      message: "Request synced successfully",
      request_id: "seed-prefix-1"
    })

    const missing = await post("/api/v1/sync/failed-request", { request_id: "seed-prefix-2" })
    expect(missing.status).toBe(422)
    const refusal = await missing.json()
    expect(Object.keys(refusal.errors)).toHaveLength(1)
  })
})
