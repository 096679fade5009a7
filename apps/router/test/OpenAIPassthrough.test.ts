/**
 * OpenAI client → OpenAI upstream: the client's bytes reach the upstream untouched (headers
 * rewritten to the provider's key), answers come back as sent, and one usage event is recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import OpenAI from "openai"
import { type FakeUpstream, json, sse, sseText, startFake } from "./FakeUpstream.ts"
import { secret, startRouter, TEST_KEY, type TestRouter } from "./Harness.ts"

const completion = {
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1_700_000_000,
  model: "gpt-4o-mini-2024-07-18",
  choices: [
    {
      index: 0,
      message: { role: "assistant", content: "Hi there", refusal: null },
      logprobs: null,
      finish_reason: "stop"
    }
  ],
  usage: {
    prompt_tokens: 12,
    completion_tokens: 3,
    total_tokens: 15,
    prompt_tokens_details: { cached_tokens: 4 },
    completion_tokens_details: { reasoning_tokens: 0 }
  }
}

const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
  id: "chatcmpl-2",
  object: "chat.completion.chunk",
  created: 1_700_000_000,
  model: "gpt-4o-mini",
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  usage: null
})

let fake: FakeUpstream
let router: TestRouter
let client: OpenAI
const secrets = new Map([["u2/openai", secret("sk-user-two")]])

beforeAll(async () => {
  fake = await startFake(json(200, completion))
  router = await startRouter({
    env: { OPENAI_BASE_URL: `${fake.url}/v1`, OPENAI_API_KEY: "sk-platform" },
    secrets
  })
  client = new OpenAI({ apiKey: TEST_KEY, baseURL: `${router.url}/v1`, maxRetries: 0 })
})

afterAll(async () => {
  await router.close()
  await fake.close()
})

describe("OpenAI passthrough", () => {
  it("forwards the exact bytes with the platform key and returns the answer", async () => {
    fake.script = json(200, completion)
    const body =
      '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}],"temperature":0.2,"x_vendor":1}'
    const res = await fetch(`${router.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_KEY}`, "content-type": "application/json" },
      body
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual(completion)
    expect(res.headers.get("x-switchyard-provider")).toBe("openai")
    const got = fake.received.at(-1)!
    expect(got.method).toBe("POST")
    expect(got.url).toBe("/v1/chat/completions")
    expect(got.body).toBe(body)
    expect(got.headers.authorization).toBe("Bearer sk-platform")
    expect(got.headers["content-type"]).toBe("application/json")
    // The caller's own key never travels upstream.
    expect(JSON.stringify(got.headers)).not.toContain(TEST_KEY)
  })

  it("uses the user's own key (BYOK) over the platform's", async () => {
    fake.script = json(200, completion)
    const other = new OpenAI({ apiKey: "ef_other_key", baseURL: `${router.url}/v1`, maxRetries: 0 })
    await other.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }] })
    expect(fake.received.at(-1)!.headers.authorization).toBe("Bearer sk-user-two")
  })

  it("works for the official client and records one priced usage event", async () => {
    fake.script = json(200, completion)
    const before = (await router.events()).length
    const answer = await client.chat.completions.create({
      model: "openai/gpt-4o-mini",
      messages: [{ role: "user", content: "Hello" }]
    })
    expect(answer.choices[0]!.message.content).toBe("Hi there")
    // `provider/model` is stripped to the upstream's name.
    expect(JSON.parse(fake.received.at(-1)!.body).model).toBe("gpt-4o-mini")
    const events = await router.waitForEvents(before + 1)
    const event = events.at(-1)!
    expect(event).toMatchObject({
      userId: "u1",
      apiKeyId: "k1",
      requestedModel: "openai/gpt-4o-mini",
      provider: "openai",
      upstreamModel: "gpt-4o-mini",
      outcome: "success",
      status: 200,
      stream: false,
      ttftMs: null,
      usage: { inputTokens: 8, cachedInputTokens: 4, outputTokens: 3, estimated: false }
    })
    expect(event.costMicros).toBeGreaterThan(0)
  })

  it("streams SSE split at arbitrary bytes, with CRLF and comments, and reads usage from it", async () => {
    const usageChunk = {
      id: "chatcmpl-2",
      object: "chat.completion.chunk",
      created: 1_700_000_000,
      model: "gpt-4o-mini",
      choices: [],
      usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 }
    }
    const text = sseText([
      { data: chunk({ role: "assistant", content: "" }) },
      { data: chunk({ content: "Hé" }) },
      { data: chunk({ content: " là" }) },
      { data: chunk({}, "stop") },
      { data: usageChunk }
    ])
    fake.script = sse(text, { splitEvery: 5 })
    const before = (await router.events()).length
    const stream = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Hello" }],
      stream: true,
      stream_options: { include_usage: true }
    })
    let content = ""
    let usage: unknown
    for await (const part of stream) {
      content += part.choices[0]?.delta.content ?? ""
      if (part.usage) usage = part.usage
    }
    expect(content).toBe("Hé là")
    expect(usage).toEqual(usageChunk.usage)
    const event = (await router.waitForEvents(before + 1)).at(-1)!
    expect(event).toMatchObject({
      outcome: "success",
      stream: true,
      usage: { inputTokens: 9, outputTokens: 2, estimated: false }
    })
    expect(event.ttftMs).not.toBeNull()
  })

  it("passes the upstream's bytes through unchanged when streaming", async () => {
    const text = sseText([{ data: chunk({ content: "a" }) }, { data: chunk({}, "stop") }])
    fake.script = sse(text, { splitEvery: 3 })
    const res = await fetch(`${router.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: "x" }],
        stream: true,
        stream_options: { include_usage: true }
      })
    })
    expect(res.headers.get("content-type")).toContain("text/event-stream")
    expect(await res.text()).toBe(text)
  })
})
