/**
 * The seeds' default request rates over real HTTP: every keyed route (models, embeddings, the key
 * listing, failed-request sync, both chat formats, seed 000's `/api/v1/*`) counts against one
 * per-user rate and answers with OpenAI's `x-ratelimit-*` headers; seed 003's `/api/chat` has a
 * rate of its own; both stay exact under concurrency; a user rate in the routing file replaces them.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Limiter } from "@switchyard/router-core"
import { Clock, Duration, Effect, Layer } from "effect"
import { type Running, start } from "./ReliabilityHarness.ts"

/** The limiter's clock, frozen: the buckets do not refill while a burst runs. */
const frozen = (at: number): Clock.Clock => ({
  [Clock.ClockTypeId]: Clock.ClockTypeId,
  unsafeCurrentTimeMillis: () => at,
  unsafeCurrentTimeNanos: () => BigInt(at) * 1_000_000n,
  currentTimeMillis: Effect.succeed(at),
  currentTimeNanos: Effect.succeed(BigInt(at) * 1_000_000n),
  sleep: (duration) =>
    Effect.promise(() => new Promise((resolve) => setTimeout(resolve, Duration.toMillis(duration))))
})
const frozenLimiter = () => Limiter.layerMemory().pipe(Layer.provide(Layer.setClock(frozen(Date.now()))))

const callers = new Map(
  Array.from(
    { length: 6 },
    (_, i) => [`ef_user_${i}`, { userId: `user-${i}`, apiKeyId: `key-${i}` }] as const
  )
)

const call = (url: string, key: string, method: string, path: string, body?: unknown) =>
  fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      "anthropic-version": "2023-06-01"
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })

const echo = { model: "mock/echo", messages: [{ role: "user", content: "hi" }] }

/** Every keyed route but `/api/chat`, with a body each accepts. */
const API_ROUTES: ReadonlyArray<readonly [string, string, unknown]> = [
  ["GET", "/v1/models", undefined],
  ["POST", "/v1/embeddings", { model: "mock/echo", input: "some words to embed" }],
  ["GET", "/v1/user/ai-keys", undefined],
  [
    "POST",
    "/v1/sync/failed-request",
    { request_id: "r-1", original_timestamp: "2026-01-01T00:00:00Z", request_data: {}, error: "x" }
  ],
  ["POST", "/v1/chat/completions", echo],
  ["POST", "/v1/messages", { ...echo, max_tokens: 10 }],
  ["POST", "/v1/messages/count_tokens", echo],
  ["GET", "/v1/models/mock/echo", undefined],
  ["POST", "/v1/responses", { model: "mock/echo", input: "hi" }],
  ["GET", "/v1/responses/resp_missing", undefined],
  ["DELETE", "/v1/responses/resp_missing", undefined],
  ["GET", "/api/v1/user/ai-keys", undefined],
  ["POST", "/api/v1/chat/completions", echo],
  [
    "POST",
    "/api/v1/sync/failed-request",
    { request_id: "r-2", original_timestamp: "2026-01-01T00:00:00Z", request_data: {}, error: "x" }
  ]
]

describe("default rates per family of routes", () => {
  let router: Running
  beforeAll(async () => {
    router = await start({
      settings: { routeRates: { api: 20, chat: 3 } },
      limiter: frozenLimiter(),
      callers
    })
  })
  afterAll(() => router.close())

  it("every keyed route counts against one rate and says so in x-ratelimit-* headers", async () => {
    let expected = 20
    for (const [method, path, body] of API_ROUTES) {
      const res = await call(router.url, "ef_user_0", method, path, body)
      await res.arrayBuffer()
      expected -= 1
      expect(res.headers.get("x-ratelimit-limit-requests"), `${method} ${path} (${res.status})`).toBe("20")
      expect(res.headers.get("x-ratelimit-remaining-requests"), `${method} ${path}`).toBe(String(expected))
      expect(res.headers.get("x-ratelimit-reset-requests"), `${method} ${path}`).toMatch(/^\d+(\.\d+)?m?s$/)
    }
    // Spend what is left: then each route refuses in its own format with retry-after.
    for (let i = 0; i < expected; i++)
      await (await call(router.url, "ef_user_0", "GET", "/v1/models")).arrayBuffer()
    const models = await call(router.url, "ef_user_0", "GET", "/v1/models")
    expect(models.status).toBe(429)
    expect(models.headers.get("retry-after")).toMatch(/^\d+$/)
    expect((await models.json()).error).toMatchObject({ type: "rate_limit_error" })
    const messages = await call(router.url, "ef_user_0", "POST", "/v1/messages", { ...echo, max_tokens: 10 })
    expect(messages.status).toBe(429)
    expect((await messages.json()).type).toBe("error")
    const seed = await call(router.url, "ef_user_0", "POST", "/api/v1/chat/completions", echo)
    expect(seed.status).toBe(429)
    // Laravel's throttle headers too, on seed 000's paths.
    expect(seed.headers.get("x-ratelimit-limit")).toBe("20")
    expect(seed.headers.get("x-ratelimit-remaining")).toBe("0")
    expect(await seed.json()).toMatchObject({
      message: expect.any(String),
      error: { type: "rate_limit_error" }
    })
    // Seed 003's chat has its own counter.
    const apiChat = await call(router.url, "ef_user_0", "POST", "/api/chat", { messages: echo.messages })
    expect(apiChat.status).toBe(200)
    expect(apiChat.headers.get("x-ratelimit-limit-requests")).toBe("3")
    expect(apiChat.headers.get("x-ratelimit-remaining-requests")).toBe("2")
    expect(await apiChat.json()).toMatchObject({ content: "hi" })
  })

  it("stays exact under concurrency on each family", async () => {
    const burst = (n: number, send: () => Promise<Response>) =>
      Promise.all(
        Array.from({ length: n }, async () => {
          const res = await send()
          await res.arrayBuffer()
          return res.status
        })
      )
    const models = await burst(60, () => call(router.url, "ef_user_1", "GET", "/v1/models"))
    expect(models.filter((s) => s === 200)).toHaveLength(20)
    expect(models.filter((s) => s === 429)).toHaveLength(40)
    const chats = await burst(30, () =>
      call(router.url, "ef_user_2", "POST", "/api/chat", { messages: echo.messages, stream: true })
    )
    expect(chats.filter((s) => s === 200)).toHaveLength(3)
    expect(chats.filter((s) => s === 429)).toHaveLength(27)
  })
})

describe("a user rate in the routing file", () => {
  let router: Running
  beforeAll(async () => {
    router = await start({
      settings: { routeRates: { api: 2, chat: 2 } },
      routing: { limits: { user: { rpm: 5 } } },
      limiter: frozenLimiter(),
      callers
    })
  })
  afterAll(() => router.close())

  it("replaces the per-family rates with one user-wide rate", async () => {
    const statuses: Array<number> = []
    for (let i = 0; i < 3; i++) {
      const res = await call(router.url, "ef_user_3", "GET", "/v1/models")
      expect(res.headers.get("x-ratelimit-limit-requests")).toBe("5")
      statuses.push(res.status)
      await res.arrayBuffer()
    }
    for (let i = 0; i < 3; i++) {
      const res = await call(router.url, "ef_user_3", "POST", "/api/chat", { messages: echo.messages })
      statuses.push(res.status)
      await res.arrayBuffer()
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429])
  })
})
