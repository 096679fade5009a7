/**
 * Limits over real HTTP: exact under 200 concurrent requests (memory, and through real Redis with
 * two router instances sharing one limit), 429 in the client's format with OpenAI's headers and a
 * `rate_limited` usage event, per-key limits, and the budget never overspent when the estimate is
 * an upper bound (prompt + max_tokens).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Limiter, RoutingConfig } from "@switchyard/router-core"
import { Clock, Duration, Effect, Layer, Schema } from "effect"
import type { Caller } from "../src/CallerAuth.ts"
import { type FakeUpstream, json, startFake } from "./FakeUpstream.ts"
import { chat, type Running, start } from "./ReliabilityHarness.ts"

const redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379"
const echo = { model: "mock/echo", messages: [{ role: "user", content: "hi" }] }

/**
 * The limiter's clock, frozen: an rpm bucket refills continuously (one request per 1.2 s at rpm
 * 50), so on a slow machine a burst that takes over a second would rightly admit a 51st.
 */
const frozen = (at: number): Clock.Clock => ({
  [Clock.ClockTypeId]: Clock.ClockTypeId,
  unsafeCurrentTimeMillis: () => at,
  unsafeCurrentTimeNanos: () => BigInt(at) * 1_000_000n,
  currentTimeMillis: Effect.succeed(at),
  currentTimeNanos: Effect.succeed(BigInt(at) * 1_000_000n),
  sleep: (duration) =>
    Effect.promise(() => new Promise((resolve) => setTimeout(resolve, Duration.toMillis(duration))))
})
const frozenClock = Layer.setClock(frozen(Date.now()))

const burst = (n: number, send: (i: number) => Promise<Response>) =>
  Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const res = await send(i)
      await res.arrayBuffer()
      return res
    })
  )

describe("limits in memory", () => {
  let router: Running
  beforeAll(async () => {
    router = await start({
      routing: { limits: { user: { rpm: 50 } } },
      limiter: Limiter.layerMemory().pipe(Layer.provide(frozenClock)),
      callers: new Map([
        ["ef_test_key", { userId: "u1", apiKeyId: "k1" }],
        ["ef_tight", { userId: "u2", apiKeyId: "k2", keyLimits: { rpm: 2 } }]
      ])
    })
  })
  afterAll(() => router.close())

  it("200 concurrent requests against rpm 50: exactly 50 pass, the rest 429 with headers", async () => {
    const responses = await burst(200, () => chat(router.url, echo))
    const ok = responses.filter((r) => r.status === 200)
    const refused = responses.filter((r) => r.status === 429)
    expect(ok.length).toBe(50)
    expect(refused.length).toBe(150)
    const one = refused[0]!
    expect(one.headers.get("x-ratelimit-limit-requests")).toBe("50")
    expect(one.headers.get("x-ratelimit-remaining-requests")).toBe("0")
    expect(one.headers.get("x-ratelimit-reset-requests")).toMatch(/\d+(ms|s)$/)
    expect(Number(one.headers.get("retry-after"))).toBeGreaterThanOrEqual(1)
    expect(ok[0]!.headers.get("x-ratelimit-limit-requests")).toBe("50")
    const events = await router.waitForEvents(200)
    expect(events.filter((e) => e.outcome === "rate_limited" && e.status === 429).length).toBe(150)
    expect(events.filter((e) => e.outcome === "success").length).toBe(50)
  })

  it("refuses in Anthropic's format on /v1/messages", async () => {
    const res = await chat(
      router.url,
      { model: "mock/echo", max_tokens: 10, messages: [{ role: "user", content: "hi" }] },
      "ef_test_key",
      "/v1/messages"
    )
    expect(res.status).toBe(429)
    expect(await res.json()).toMatchObject({ type: "error", error: { type: "rate_limit_error" } })
    expect(res.headers.get("retry-after")).not.toBeNull()
  })

  it("a key's own limit applies beside the user's", async () => {
    const statuses = []
    for (let i = 0; i < 3; i++) {
      const res = await chat(router.url, echo, "ef_tight")
      await res.arrayBuffer()
      statuses.push(res.status)
    }
    expect(statuses).toEqual([200, 200, 429])
  })

  it("reports the limiter in /health", async () => {
    const res = await fetch(`${router.url}/health`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      services: { limits: "healthy (memory, fails open)" },
      limits: { backend: "memory", status: "ok" }
    })
  })
})

describe("a key's limits as they change", () => {
  // The router remembers resolved limits per key record; a changed key is a new record.
  const callers = new Map<string, Caller>([["ef_changing", { userId: "u9", apiKeyId: "k9" }]])
  let router: Running
  beforeAll(async () => {
    router = await start({
      routing: { limits: { user: { rpm: 50 } } },
      limiter: Limiter.layerMemory().pipe(Layer.provide(frozenClock)),
      callers
    })
  })
  afterAll(() => router.close())

  const statuses = async (n: number) => {
    const seen = []
    for (let i = 0; i < n; i++) {
      const res = await chat(router.url, echo, "ef_changing")
      await res.arrayBuffer()
      seen.push(res.status)
    }
    return seen
  }

  it("applies a limit given to the key, then lifts it when it is removed", async () => {
    expect(await statuses(2)).toEqual([200, 200])
    callers.set("ef_changing", { userId: "u9", apiKeyId: "k9", keyLimits: { rpm: 1 } })
    expect(await statuses(2)).toEqual([200, 429])
    callers.set("ef_changing", { userId: "u9", apiKeyId: "k9", keyLimits: null })
    expect(await statuses(2)).toEqual([200, 200])
  })
})

describe("limits through Redis, two router instances", () => {
  let a: Running
  let b: Running
  const prefix = `switchyard:test:router-limits:${crypto.randomUUID()}:`
  beforeAll(async () => {
    const limiter = () =>
      Limiter.layerRedis({ url: redisUrl, prefix, failureMode: "closed", timeoutMs: 2000 }).pipe(
        Layer.provide(frozenClock)
      )
    const routing = { limits: { user: { rpm: 50 } } }
    a = await start({ routing, limiter: limiter() })
    b = await start({ routing, limiter: limiter() })
  })
  afterAll(async () => {
    await a.close()
    await b.close()
  })

  it("200 concurrent requests spread over both: 50 pass, plus only what refilled meanwhile", async () => {
    // Redis keeps time itself (`TIME`, so instances with skewed clocks agree), so the frozen clock
    // cannot hold its bucket still: at rpm 50 one request refills every 1.2 s, and a burst that
    // takes longer on a loaded machine rightly admits one more per 1.2 s. Nothing beyond that.
    const started = performance.now()
    const responses = await burst(200, (i) => chat(i % 2 === 0 ? a.url : b.url, echo))
    const refilled = Math.floor(((performance.now() - started) * 50) / 60_000)
    const passed = responses.filter((r) => r.status === 200).length
    expect(passed).toBeGreaterThanOrEqual(50)
    expect(passed).toBeLessThanOrEqual(50 + refilled)
    expect(responses.filter((r) => r.status === 429).length).toBe(200 - passed)
    // Both instances served some of the 50 and refused some of the 150.
    const byA = responses.filter((r, i) => i % 2 === 0 && r.status === 200).length
    expect(byA).toBeGreaterThan(0)
    expect(byA).toBeLessThan(passed)
  })

  it("reports Redis in /health", async () => {
    const res = await fetch(`${a.url}/health`)
    expect(await res.json()).toMatchObject({
      limits: { backend: "redis", status: "ok", failureMode: "closed" }
    })
  })
})

describe("budget", () => {
  let fake: FakeUpstream
  let router: Running
  const budgetMicros = 2000
  beforeAll(async () => {
    // Each answer uses fewer tokens than the request's upper-bound estimate (prompt + max_tokens).
    fake = await startFake(
      json(200, {
        id: "c",
        object: "chat.completion",
        created: 1,
        model: "gpt-4o",
        choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
        usage: { prompt_tokens: 5, completion_tokens: 90, total_tokens: 95 }
      })
    )
    router = await start({
      env: { OPENAI_BASE_URL: `${fake.url}/v1`, OPENAI_API_KEY: "sk-platform" },
      routing: { limits: { user: { budget: { amountMicros: budgetMicros, period: "day" } } } }
    })
  })
  afterAll(async () => {
    await router.close()
    await fake.close()
  })

  it("concurrent requests never spend more than the budget (estimate is an upper bound)", async () => {
    const body = { model: "gpt-4o", max_tokens: 100, messages: [{ role: "user", content: "hello there" }] }
    const answers = await Promise.all(
      Array.from({ length: 60 }, async () => {
        const res = await chat(router.url, body)
        return { status: res.status, body: (await res.json()) as { error?: { code?: string } } }
      })
    )
    const ok = answers.filter((r) => r.status === 200).length
    const refused = answers.filter((r) => r.status === 429)
    expect(ok).toBeGreaterThan(0)
    expect(refused.length).toBeGreaterThan(0)
    expect(refused.every((r) => r.body.error?.code === "insufficient_quota")).toBe(true)
    const events = await router.waitForEvents(60)
    const spent = events.reduce((sum, e) => sum + e.costMicros, 0)
    expect(spent).toBeGreaterThan(0)
    expect(spent).toBeLessThanOrEqual(budgetMicros)
    expect(events.filter((e) => e.outcome === "rate_limited").length).toBe(refused.length)
  })
})

describe("settlement frees the concurrency slot however the request ends", () => {
  let fake: FakeUpstream
  let router: Running
  beforeAll(async () => {
    fake = await startFake(json(500, { error: { message: "boom", type: "server_error" } }))
    router = await start({
      env: { OPENAI_BASE_URL: `${fake.url}/v1`, OPENAI_API_KEY: "sk-platform" },
      routing: Schema.decodeUnknownSync(RoutingConfig.RoutingConfigFile)({
        limits: { user: { concurrency: 1 } },
        retry: { maxRetries: 0 }
      })
    })
  })
  afterAll(async () => {
    await router.close()
    await fake.close()
  })

  const body = { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }

  it("after upstream errors", async () => {
    for (let i = 0; i < 3; i++) {
      const res = await chat(router.url, body)
      await res.arrayBuffer()
      expect(res.status).toBe(502)
    }
  })

  it("while a stream is in flight a second request is refused; after the client aborts it, one is admitted", async () => {
    fake.script = (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" })
      res.write(
        `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content: "x" }, finish_reason: null }] })}\n\n`
      )
      // Never ends on its own.
    }
    const controller = new AbortController()
    const streaming = await fetch(`${router.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer ef_test_key" },
      body: JSON.stringify({ ...body, stream: true }),
      signal: controller.signal
    })
    expect(streaming.status).toBe(200)
    await streaming.body!.getReader().read()
    const second = await chat(router.url, body)
    await second.arrayBuffer()
    expect(second.status).toBe(429)
    controller.abort()
    fake.script = json(500, { error: { message: "boom" } })
    let status = 429
    for (let i = 0; i < 100 && status === 429; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      const res = await chat(router.url, body)
      await res.arrayBuffer()
      status = res.status
    }
    expect(status).toBe(502)
  })
})
