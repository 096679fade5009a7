/**
 * Seed 000's client (a Dyad distribution build), written from the seed's guide alone: its paths
 * under `/api/v1`, `Authorization: Bearer {token}`, its bodies and its settings
 * (`ENCRYPTION_KEY`, the provider keys' opt-in, the rate limit left at its default), against a
 * started router and control plane over real PostgreSQL. Fake OpenAI, Anthropic, Gemini and xAI
 * servers on loopback speak each provider's own wire format. The user's provider keys are stored
 * the Switchyard way (control plane, `/v1/secret`), which is what the seed's `user_api_keys` is.
 */
import type { ServerResponse } from "node:http"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type FakeUpstream, type Received, startFake } from "./FakeUpstream.ts"
import { type SeedStack, startSeedStack } from "./SeedStack.ts"

const sse = (
  response: ServerResponse,
  events: ReadonlyArray<{ event?: string; data: unknown }>,
  done: boolean
) => {
  response.writeHead(200, { "content-type": "text/event-stream" })
  for (const e of events)
    response.write(`${e.event === undefined ? "" : `event: ${e.event}\n`}data: ${JSON.stringify(e.data)}\n\n`)
  response.end(done ? "data: [DONE]\n\n" : "")
}

/** OpenAI's (and xAI's) chat completions; the answer names the provider and the model asked. */
const openAIShaped = (name: string) => (request: Received, response: ServerResponse) => {
  const body = JSON.parse(request.body || "{}") as { model: string; stream?: boolean }
  const text = `${name} says hi to ${body.model}`
  if (body.stream) {
    const chunk = (content: string, finish: string | null) => ({
      id: "c",
      object: "chat.completion.chunk",
      created: 1,
      model: body.model,
      choices: [{ index: 0, delta: { content }, finish_reason: finish }]
    })
    sse(
      response,
      [{ data: chunk(`${name} says hi`, null) }, { data: chunk(` to ${body.model}`, "stop") }],
      true
    )
    return
  }
  response.writeHead(200, { "content-type": "application/json" })
  response.end(
    JSON.stringify({
      id: "c",
      object: "chat.completion",
      created: 1,
      model: body.model,
      choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
      usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 }
    })
  )
}

/** Anthropic's messages API, named events when streamed. */
const anthropicScript = (request: Received, response: ServerResponse) => {
  const body = JSON.parse(request.body || "{}") as { model: string; stream?: boolean }
  const message = (content: Array<unknown>) => ({
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: body.model,
    content,
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: 5, output_tokens: 4 }
  })
  if (body.stream) {
    sse(
      response,
      [
        {
          event: "message_start",
          data: { type: "message_start", message: { ...message([]), stop_reason: null } }
        },
        {
          event: "content_block_start",
          data: { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }
        },
        {
          event: "content_block_delta",
          data: {
            type: "content_block_delta",
            index: 0,
            delta: { type: "text_delta", text: "anthropic says hi" }
          }
        },
        {
          event: "content_block_delta",
          data: {
            type: "content_block_delta",
            index: 0,
            delta: { type: "text_delta", text: ` to ${body.model}` }
          }
        },
        { event: "content_block_stop", data: { type: "content_block_stop", index: 0 } },
        {
          event: "message_delta",
          data: {
            type: "message_delta",
            delta: { stop_reason: "end_turn", stop_sequence: null },
            usage: { output_tokens: 4 }
          }
        },
        { event: "message_stop", data: { type: "message_stop" } }
      ],
      false
    )
    return
  }
  response.writeHead(200, { "content-type": "application/json" })
  response.end(JSON.stringify(message([{ type: "text", text: `anthropic says hi to ${body.model}` }])))
}

/** Gemini's generateContent / streamGenerateContent?alt=sse; the model is in the path. */
const geminiScript = (request: Received, response: ServerResponse) => {
  const model = /models\/([^:]+):/.exec(request.url)?.[1] ?? "?"
  const answer = (text: string) => ({
    candidates: [{ content: { role: "model", parts: [{ text }] }, finishReason: "STOP", index: 0 }],
    usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 4, totalTokenCount: 9 }
  })
  if (request.url.includes(":streamGenerateContent")) {
    sse(
      response,
      [
        {
          data: {
            candidates: [{ content: { role: "model", parts: [{ text: "google says hi" }] }, index: 0 }]
          }
        },
        { data: answer(` to ${model}`) }
      ],
      false
    )
    return
  }
  response.writeHead(200, { "content-type": "application/json" })
  response.end(JSON.stringify(answer(`google says hi to ${model}`)))
}

let openai: FakeUpstream
let anthropic: FakeUpstream
let google: FakeUpstream
let xai: FakeUpstream
let stack: SeedStack
let token: string
let api: string

/** The user's own provider keys, as the seed's `user_api_keys` table holds them. */
const USER_KEYS = {
  openai: "sk-user-openai",
  anthropic: "sk-ant-user",
  google: "AIzaSy-user",
  xai: "xai-user"
} as const

beforeAll(async () => {
  openai = await startFake(openAIShaped("openai"))
  anthropic = await startFake(anthropicScript)
  google = await startFake(geminiScript)
  xai = await startFake(openAIShaped("xai"))
  stack = await startSeedStack({
    shared: {
      // Seed 000's name for the key that encrypts provider keys, in Laravel's own format.
      ENCRYPTION_KEY: `base64:${Buffer.alloc(32, 5).toString("base64")}`
    },
    router: {
      // The operator's opt-in to handing out the user's own keys (`GET /user/ai-keys`).
      EXPOSE_USER_KEYS: "true",
      OPENAI_BASE_URL: `${openai.url}/v1`,
      ANTHROPIC_BASE_URL: anthropic.url,
      GOOGLE_AI_BASE_URL: `${google.url}/v1beta`,
      XAI_BASE_URL: `${xai.url}/v1`
    }
  })
  // The account, its token and its provider keys: made on the control plane.
  const cp = (path: string, body: unknown, bearer?: string) =>
    fetch(`${stack.controlPlaneUrl}${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` })
      },
      body: JSON.stringify(body)
    })
  const registered = await cp("/auth/register", { email: "dyad@example.com", password: "dyad-password-1" })
  if (!registered.ok)
    throw new Error(`register: ${registered.status} ${await registered.text()}\n${stack.logs()}`)
  const session = ((await registered.json()) as { access_token: string }).access_token
  const created = await cp("/v1/apikey", {}, session)
  if (!created.ok) throw new Error(`apikey: ${created.status} ${await created.text()}`)
  token = ((await created.json()) as { key: string }).key
  for (const [provider, apiKey] of Object.entries(USER_KEYS)) {
    const stored = await cp("/v1/secret", { provider, apiKey }, session)
    if (!stored.ok) throw new Error(`secret ${provider}: ${stored.status} ${await stored.text()}`)
  }
  api = `${stack.routerUrl}/api/v1`
}, 300_000)

afterAll(async () => {
  await stack?.stop()
  await Promise.all([openai, anthropic, google, xai].map((fake) => fake?.close()))
})

/** The Dyad client: Laravel's API under `/api/v1`, a bearer token, JSON. */
const call = (method: string, path: string, body?: unknown) =>
  fetch(`${api}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      Accept: "application/json",
      "Content-Type": "application/json"
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })

const contentOfStream = (text: string) => {
  const data = text
    .split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => line.slice(6))
  expect(data.at(-1)).toBe("[DONE]")
  return data
    .slice(0, -1)
    .map(
      (d) =>
        (JSON.parse(d) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? ""
    )
    .join("")
}

describe("seed 000's client (Dyad builds) against /api/v1", () => {
  it("checks health: the seed's shape, with an entry per provider", async () => {
    const response = await fetch(`${api}/health`)
    expect(response.status).toBe(200)
    const health = await response.json()
    expect(health).toMatchObject({
      status: "healthy",
      version: expect.any(String),
      timestamp: expect.any(String)
    })
    expect(health.services.database).toBe("healthy")
    for (const provider of ["openai", "anthropic", "google"])
      expect(typeof health.services[provider]).toBe("string")
  })

  it("fetches its own provider keys for offline use, with the opt-in set", async () => {
    const response = await call("GET", "/user/ai-keys")
    expect(response.status, stack.logs()).toBe(200)
    const keys = await response.json()
    expect(keys).toMatchObject(USER_KEYS)
    const days = (Date.parse(keys.expiration) - Date.now()) / 86_400_000
    expect(days).toBeGreaterThan(29)
    expect(days).toBeLessThanOrEqual(30)
  })

  const cases: ReadonlyArray<
    readonly [string, () => FakeUpstream, string, (r: Received) => string | undefined]
  > = [
    ["gpt-4o-mini", () => openai, "openai", (r) => r.headers.authorization],
    ["o1-mini", () => openai, "openai", (r) => r.headers.authorization],
    ["claude-3-5-haiku-latest", () => anthropic, "anthropic", (r) => r.headers["x-api-key"] as string],
    ["gemini-2.5-flash", () => google, "google", (r) => r.headers["x-goog-api-key"] as string],
    ["grok-3", () => xai, "xai", (r) => r.headers.authorization],
    // A name no prefix matches goes to OpenAI, as in the seed.
    ["my-fine-tune", () => openai, "openai", (r) => r.headers.authorization]
  ]

  for (const [model, fake, provider, keyOf] of cases) {
    it(`chats with ${model} on ${provider}, not streamed and streamed, with the user's own key`, async () => {
      const messages = [
        { role: "system", content: "You are helpful." },
        { role: "user", content: "Hello" }
      ]
      const before = fake().received.length
      const plain = await call("POST", "/chat/completions", {
        model,
        messages,
        max_tokens: 100,
        temperature: 0.5
      })
      expect(plain.status, stack.logs()).toBe(200)
      const answer = await plain.json()
      expect(answer.choices[0].message.content).toBe(`${provider} says hi to ${model}`)

      const streamed = await call("POST", "/chat/completions", {
        model,
        messages,
        stream: true,
        metadata: { app: "dyad" }
      })
      expect(streamed.status).toBe(200)
      expect(streamed.headers.get("content-type")).toContain("text/event-stream")
      expect(contentOfStream(await streamed.text())).toBe(`${provider} says hi to ${model}`)

      const received = fake().received.slice(before)
      expect(received).toHaveLength(2)
      for (const request of received)
        expect(keyOf(request)).toContain(USER_KEYS[provider as keyof typeof USER_KEYS])
    })
  }

  it("refuses what the seed's validation refuses with Laravel's 422, naming the field", async () => {
    const tooLong = await call("POST", "/chat/completions", {
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Hi" }],
      max_tokens: 4001
    })
    expect(tooLong.status).toBe(422)
    expect(await tooLong.json()).toMatchObject({ errors: { max_tokens: [expect.any(String)] } })
    const noModel = await call("POST", "/chat/completions", { messages: [{ role: "user", content: "Hi" }] })
    expect(noModel.status).toBe(422)
    expect(await noModel.json()).toMatchObject({
      message: "The model field is required.",
      errors: { model: ["The model field is required."] }
    })
  })

  it("syncs a request that failed offline, once per request_id", async () => {
    const failed = {
      request_id: "dyad-offline-0001",
      original_timestamp: "2026-11-30T10:00:00.000Z",
      request_data: { model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }] },
      error: "Network unreachable"
    }
    const first = await call("POST", "/sync/failed-request", failed)
    expect(first.status).toBe(200)
    const synced = await first.json()
    expect(synced).toMatchObject({ message: "Request synced successfully", request_id: "dyad-offline-0001" })
    expect(Number.isNaN(Date.parse(synced.synced_at))).toBe(false)
    const again = await call("POST", "/sync/failed-request", failed)
    expect(again.status).toBe(200)
    expect((await again.json()).synced_at).toBe(synced.synced_at)
  })

  it("is limited at the seed's default, 1000 requests a minute per user", async () => {
    const probe = await call("GET", "/user/ai-keys")
    await probe.arrayBuffer()
    expect(probe.headers.get("x-ratelimit-limit-requests")).toBe("1000")
    // Laravel's own throttle header, as the seed's app sent it.
    expect(probe.headers.get("x-ratelimit-limit")).toBe("1000")
    const remaining = Number(probe.headers.get("x-ratelimit-remaining-requests"))
    expect(remaining).toBeGreaterThan(900)
    const startedAt = Date.now()
    let passed = 0
    let refused: Response | undefined
    while (refused === undefined && passed < 2000) {
      const batch = await Promise.all(Array.from({ length: 50 }, () => call("GET", "/user/ai-keys")))
      for (const response of batch) {
        if (response.status === 200) passed++
        else if (refused === undefined) refused = response
        else await response.arrayBuffer()
        if (response !== refused) await response.arrayBuffer().catch(() => undefined)
      }
    }
    // The bucket refills at 1000 a minute while the burst runs: at most that many more pass.
    const refilled = Math.ceil(((Date.now() - startedAt) / 60_000) * 1000) + 1
    expect(passed).toBeGreaterThanOrEqual(remaining)
    expect(passed).toBeLessThanOrEqual(remaining + refilled)
    expect(refused?.status).toBe(429)
    expect(Number(refused?.headers.get("retry-after"))).toBeGreaterThanOrEqual(1)
    expect(await refused?.json()).toMatchObject({
      message: expect.any(String),
      error: { type: "rate_limit_error" }
    })
  }, 180_000)
})
