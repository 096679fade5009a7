/**
 * The routes beside chat completions: the mock provider, seed 003's `/api/chat`, embeddings,
 * `/v1/models`, seed 000's `/v1/user/ai-keys` and failed-request sync, `/health`, `/metrics`, and
 * OpenAI-compatible upstreams reached through the user's stored base URL.
 */
import Anthropic from "@anthropic-ai/sdk"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import OpenAI from "openai"
import { validateOpenAI } from "../../../packages/router-core/test/translate/openaiSpec.ts"
import { type FakeUpstream, json, sse, sseText, startFake } from "./FakeUpstream.ts"
import { secret, startRouter, TEST_KEY, type TestRouter } from "./Harness.ts"

let fake: FakeUpstream
let compatible: FakeUpstream
let router: TestRouter
let openai: OpenAI

beforeAll(async () => {
  fake = await startFake(json(200, {}))
  compatible = await startFake(json(200, {}))
  router = await startRouter({
    env: {
      OPENAI_BASE_URL: `${fake.url}/v1`,
      OPENAI_API_KEY: "sk-platform",
      GOOGLE_AI_BASE_URL: `${fake.url}/v1beta`
    },
    secrets: new Map([
      ["u1/google", secret("g-user")],
      ["u1/openai-compatible", secret("vllm-token", `${compatible.url}/v1/`)],
      ["u1/xai", { ...secret("xai-off"), enabled: false }]
    ]),
    routing: { aliases: { fast: "openai/gpt-4o-mini", demo: "mock/echo" }, defaultModel: "demo" }
  })
  openai = new OpenAI({ apiKey: TEST_KEY, baseURL: `${router.url}/v1`, maxRetries: 0 })
})

afterAll(async () => {
  await router.close()
  await fake.close()
  await compatible.close()
})

const post = (path: string, body: unknown, key = TEST_KEY) =>
  fetch(`${router.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body)
  })

describe("mock provider", () => {
  it("echoes the last user message, with usage, spec-valid", async () => {
    const answer = await openai.chat.completions.create({
      model: "mock/echo",
      messages: [
        { role: "user", content: "first" },
        { role: "assistant", content: "reply" },
        { role: "user", content: "say this back" }
      ]
    })
    expect(answer.choices[0]!.message.content).toBe("say this back")
    expect(answer.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 3 })
    expect(validateOpenAI("CreateChatCompletionResponse", answer)).toEqual([])
  })

  it("streams word by word with usage", async () => {
    const stream = await openai.chat.completions.create({
      model: "mock/echo",
      messages: [{ role: "user", content: "one two three" }],
      stream: true,
      stream_options: { include_usage: true }
    })
    const pieces: Array<string> = []
    let usage: OpenAI.CompletionUsage | undefined
    for await (const chunk of stream) {
      expect(validateOpenAI("CreateChatCompletionStreamResponse", chunk)).toEqual([])
      const content = chunk.choices[0]?.delta.content
      if (content) pieces.push(content)
      if (chunk.usage) usage = chunk.usage
    }
    expect(pieces).toEqual(["one", " two", " three"])
    expect(usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 })
  })

  it("answers Anthropic clients too (translated)", async () => {
    const anthropic = new Anthropic({ apiKey: TEST_KEY, baseURL: router.url, maxRetries: 0 })
    const final = await anthropic.messages
      .stream({ model: "demo", max_tokens: 10, messages: [{ role: "user", content: "hello mock" }] })
      .finalMessage()
    expect(final.content).toEqual([{ type: "text", text: "hello mock" }])
  })

  it("mock/error behaves like a failing upstream: 502", async () => {
    const res = await post("/v1/chat/completions", {
      model: "mock/error",
      messages: [{ role: "user", content: "x" }]
    })
    expect(res.status).toBe(502)
  })
})

describe("POST /api/chat (seed 003)", () => {
  it("answers {content, model} with the default model", async () => {
    const res = await post("/api/chat", { messages: [{ role: "user", content: "Hello! How are you?" }] })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ content: "Hello! How are you?", model: "demo" })
  })

  it("streams data: {content} lines ending with [DONE]", async () => {
    const res = await post("/api/chat", {
      messages: [{ role: "user", content: "Once upon a" }],
      model: "mock/echo",
      temperature: 0.7,
      stream: true
    })
    expect(res.headers.get("content-type")).toContain("text/event-stream")
    expect(await res.text()).toBe(
      'data: {"content":"Once"}\n\ndata: {"content":" upon"}\n\ndata: {"content":" a"}\n\ndata: [DONE]\n\n'
    )
  })

  it("400 naming the field", async () => {
    const res = await post("/api/chat", { messages: [{ role: "user", content: "x" }], temperature: 3 })
    expect(res.status).toBe(400)
    expect((await res.json()).error.param).toBe("temperature")
    const noMessages = await post("/api/chat", { model: "mock/echo" })
    expect((await noMessages.json()).error.param).toBe("messages")
  })
})

describe("POST /v1/embeddings", () => {
  it("passes OpenAI embeddings through", async () => {
    const answer = {
      object: "list",
      data: [{ object: "embedding", index: 0, embedding: [0.1, 0.2] }],
      model: "text-embedding-3-small",
      usage: { prompt_tokens: 2, total_tokens: 2 }
    }
    fake.script = json(200, answer)
    const before = (await router.events()).length
    const result = await openai.embeddings.create({
      model: "text-embedding-3-small",
      input: "hello world",
      encoding_format: "float"
    })
    expect(result.data[0]!.embedding).toEqual([0.1, 0.2])
    const got = fake.received.at(-1)!
    expect(got.url).toBe("/v1/embeddings")
    expect(got.headers.authorization).toBe("Bearer sk-platform")
    const event = (await router.waitForEvents(before + 1)).at(-1)!
    expect(event).toMatchObject({ provider: "openai", outcome: "success", usage: { inputTokens: 2 } })
  })

  it("translates to Gemini batchEmbedContents and back", async () => {
    fake.script = json(200, { embeddings: [{ values: [1, 2, 3] }, { values: [4, 5, 6] }] })
    const result = await openai.embeddings.create({
      model: "google/text-embedding-004",
      input: ["a", "b"],
      encoding_format: "float"
    })
    const got = fake.received.at(-1)!
    expect(got.url).toBe("/v1beta/models/text-embedding-004:batchEmbedContents")
    expect(got.headers["x-goog-api-key"]).toBe("g-user")
    expect(JSON.parse(got.body)).toEqual({
      requests: [
        { model: "models/text-embedding-004", content: { parts: [{ text: "a" }] } },
        { model: "models/text-embedding-004", content: { parts: [{ text: "b" }] } }
      ]
    })
    expect(result.data.map((d) => d.embedding)).toEqual([
      [1, 2, 3],
      [4, 5, 6]
    ])
    expect(result.model).toBe("google/text-embedding-004")
    expect(validateOpenAI("CreateEmbeddingResponse", result)).toEqual([])
  })

  it("refuses providers without embeddings, and bad input", async () => {
    const anthropic = await post("/v1/embeddings", { model: "claude-3-5-haiku-latest", input: "x" })
    expect(anthropic.status).toBe(401) // no key for anthropic at all comes first
    const noInput = await post("/v1/embeddings", { model: "text-embedding-3-small" })
    expect(noInput.status).toBe(400)
    expect((await noInput.json()).error.param).toBe("input")
  })
})

describe("OpenAI-compatible upstream", () => {
  it("sends to the base URL stored with the user's secret, with that secret", async () => {
    compatible.script = sse(
      sseText([
        {
          data: {
            id: "c",
            object: "chat.completion.chunk",
            created: 1,
            model: "llama",
            choices: [{ index: 0, delta: { content: "hi" }, finish_reason: "stop" }]
          }
        },
        {
          data: {
            id: "c",
            object: "chat.completion.chunk",
            created: 1,
            model: "llama",
            choices: [],
            usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }
          }
        }
      ])
    )
    const stream = await openai.chat.completions.create({
      model: "openai-compatible/meta-llama/Llama-3-8B",
      messages: [{ role: "user", content: "x" }],
      stream: true
    })
    let text = ""
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ""
      // The usage chunk the router asked for is not shown to a client that did not ask.
      expect(chunk.usage ?? null).toBeNull()
    }
    expect(text).toBe("hi")
    const got = compatible.received.at(-1)!
    expect(got.url).toBe("/v1/chat/completions")
    expect(got.headers.authorization).toBe("Bearer vllm-token")
    expect(JSON.parse(got.body)).toMatchObject({
      model: "meta-llama/Llama-3-8B",
      stream_options: { include_usage: true }
    })
  })
})

describe("OpenAI-compatible SSRF guard", () => {
  it("refuses a stored base URL that points at a private address unless the operator allows it", async () => {
    const guarded = await startRouter({
      allowPrivateUpstreams: false,
      secrets: new Map([["u1/openai-compatible", secret("tok", `${compatible.url}/v1`)]])
    })
    try {
      const before = compatible.received.length
      const res = await fetch(`${guarded.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${TEST_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "openai-compatible/llama", messages: [{ role: "user", content: "x" }] })
      })
      const body = await res.json()
      expect([res.status, body.error.message]).toEqual([
        403,
        expect.stringContaining("ALLOW_PRIVATE_UPSTREAMS")
      ])
      expect(compatible.received.length).toBe(before)
    } finally {
      await guarded.close()
    }
  })
})

describe("GET /v1/models", () => {
  it("lists what this caller can reach", async () => {
    const page = await openai.models.list()
    const ids = page.data.map((m) => m.id)
    expect(ids).toContain("gpt-4o-mini") // platform key
    expect(ids).toContain("gemini-2.5-flash") // own key
    expect(ids).toContain("fast")
    expect(ids).toContain("mock/echo")
    expect(ids.some((id) => id.startsWith("claude-"))).toBe(false) // no key at all
    expect(ids.some((id) => id.startsWith("grok-"))).toBe(false) // own key disabled
    for (const model of page.data) expect(validateOpenAI("Model", model)).toEqual([])
  })

  it("needs a key", async () => {
    expect((await fetch(`${router.url}/v1/models`)).status).toBe(401)
  })
})

describe("GET /v1/user/ai-keys", () => {
  it("is refused unless the operator exposes it", async () => {
    const res = await fetch(`${router.url}/v1/user/ai-keys`, {
      headers: { authorization: `Bearer ${TEST_KEY}` }
    })
    expect(res.status).toBe(403)
    expect(res.headers.get("cache-control")).toBe("no-store")
    expect((await res.json()).error.message).toContain("EXPOSE_USER_KEYS=true")
  })

  it("returns only the caller's own enabled keys with an expiration 30 days ahead", async () => {
    const exposed = await startRouter({
      env: { OPENAI_API_KEY: "sk-platform-never-shown" },
      settings: { exposeUserKeys: true },
      secrets: new Map([
        ["u1/anthropic", secret("sk-ant-mine")],
        ["u1/xai", { ...secret("xai-off"), enabled: false }],
        ["u2/openai", secret("sk-someone-else")]
      ])
    })
    try {
      const res = await fetch(`${exposed.url}/v1/user/ai-keys`, {
        headers: { authorization: `Bearer ${TEST_KEY}` }
      })
      expect(res.status).toBe(200)
      expect(res.headers.get("cache-control")).toBe("no-store")
      const body = await res.json()
      expect(Object.keys(body).sort()).toEqual(["anthropic", "expiration"])
      expect(body.anthropic).toBe("sk-ant-mine")
      const days = (Date.parse(body.expiration) - Date.now()) / 86_400_000
      expect(days).toBeGreaterThan(29.9)
      expect(days).toBeLessThanOrEqual(30)
    } finally {
      await exposed.close()
    }
  })
})

describe("POST /v1/sync/failed-request (seed 000)", () => {
  const report = {
    request_id: "req-123",
    original_timestamp: "2026-01-01T00:00:00Z",
    request_data: { model: "gpt-4o", messages: [] },
    error: "offline"
  }

  it("stores once and answers the same synced_at again", async () => {
    const first = await post("/v1/sync/failed-request", report)
    expect(first.status).toBe(200)
    const body = await first.json()
    expect(body).toMatchObject({ message: "Request synced successfully", request_id: "req-123" })
    const again = await post("/v1/sync/failed-request", report)
    expect(again.status).toBe(200)
    expect((await again.json()).synced_at).toBe(body.synced_at)
  })

  it("400 naming the field", async () => {
    const res = await post("/v1/sync/failed-request", { ...report, error: undefined })
    expect(res.status).toBe(400)
    expect((await res.json()).error.param).toBe("error")
  })
})

describe("/health and /metrics", () => {
  it("health answers", async () => {
    const res = await fetch(`${router.url}/health`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ status: "healthy", version: "0.1.0" })
  })

  it("metrics count requests in Prometheus text", async () => {
    const res = await fetch(`${router.url}/metrics`)
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toContain("text/plain")
    const text = await res.text()
    expect(text).toMatch(/# TYPE \w+ counter/)
    expect(text).toContain('provider="mock"')
  })
})
