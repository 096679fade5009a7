/**
 * One contract suite over both backends: the in-memory store (one instance) and Redis through two
 * separate client connections, standing in for two router instances sharing one limit.
 */

import { connect, createServer, type Socket } from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { LimitExceeded, LimitsUnavailable } from "@switchyard/domain"
import { Config, type Context, Duration, Effect, Either, Random, type Scope, TestClock } from "effect"
import { Redis } from "ioredis"
import type { EffectiveLimits } from "../../src/limits/EffectiveLimits.ts"
import * as Limiter from "../../src/limits/Limiter.ts"
import * as MemoryStore from "../../src/limits/MemoryStore.ts"
import * as RateLimitHeaders from "../../src/limits/RateLimitHeaders.ts"

type Service = Context.Tag.Service<Limiter.Limiter>

const redisUrl = Config.string("TEST_REDIS_URL").pipe(Config.withDefault("redis://127.0.0.1:6379"))

/** Deletes a test's keys when its scope closes (they would expire anyway). */
const cleanUp = (url: string, prefix: string) =>
  Effect.addFinalizer(() =>
    Effect.promise(async () => {
      const client = new Redis(url, { lazyConnect: true })
      await client.connect()
      const keys = await client.keys(`${prefix}*`)
      if (keys.length > 0) await client.del(...keys)
      await client.quit()
    }).pipe(Effect.ignore)
  )

/** A fresh in-memory limiter (with the clock of the test running it). */
const memory = Effect.suspend(() =>
  Limiter.make(MemoryStore.make({ leaseTtlMs: 60_000 }), { failureMode: "open" })
)

/** Two limiters sharing one limit: the same memory instance twice, or two Redis connections. */
const backends: Record<string, Effect.Effect<readonly [Service, Service], never, Scope.Scope>> = {
  memory: Effect.map(memory, (limiter) => [limiter, limiter] as const),
  redis: Effect.gen(function* () {
    const url = yield* Effect.orDie(redisUrl)
    const prefix = `test:limits:${crypto.randomUUID()}:`
    yield* cleanUp(url, prefix)
    const a = yield* Limiter.makeRedis({ url, prefix, failureMode: "closed", timeoutMs: 2000 })
    const b = yield* Limiter.makeRedis({ url, prefix, failureMode: "closed", timeoutMs: 2000 })
    return [a, b] as const
  })
}

/** The limiter's one face (the hot path's) as an effect: a refusal is the failure. */
const admit = (
  limiter: Service,
  subject: Limiter.Subject,
  limits: EffectiveLimits,
  estimate: Limiter.Usage
) => Limiter.asEffect(limiter.admit(subject, limits, estimate))

/** Settles an admission and waits until the store has it (Redis answers later). */
const settle = (admission: Limiter.Admission, actual: Limiter.Usage) =>
  Effect.promise(async () => admission.settle(actual))

/** The refusal of an admission that must be refused by a limit. */
const refusedBy = <A>(admit: Effect.Effect<A, LimitExceeded | LimitsUnavailable>) =>
  Effect.flatMap(Effect.flip(admit), (error) =>
    error._tag === "LimitExceeded"
      ? Effect.succeed(error)
      : Effect.dieMessage(`expected a refusal, got ${error._tag}`)
  )

const user = (limits: EffectiveLimits["user"]): EffectiveLimits => ({ key: {}, user: limits })

/**
 * Runs a burst and says how many more requests the bucket may rightly have admitted meanwhile: the
 * buckets refill continuously on the live clock (Redis keeps its own), `perMinute` whole requests
 * a minute. A burst that stays under one refill interval (the usual case) leaves no slack at all.
 */
const timed = <A, E, R>(burst: Effect.Effect<A, E, R>, perMinute: number) =>
  Effect.map(Effect.timed(burst), ([elapsed, result]) => {
    const refilled = Math.floor((Duration.toMillis(elapsed) * perMinute) / 60_000)
    return [result, refilled] as const
  })
const none = { tokens: 0, costMicros: 0 }

/** Runs `n` admissions at once, alternating between the two instances. */
const admitMany = (
  [a, b]: readonly [Service, Service],
  n: number,
  limits: EffectiveLimits,
  estimate = none,
  subject = { userId: "u1", keyId: "k1" }
) =>
  Effect.all(
    Array.from({ length: n }, (_, i) => Effect.either(admit(i % 2 === 0 ? a : b, subject, limits, estimate))),
    { concurrency: "unbounded" }
  )

const passed = <A, E>(results: ReadonlyArray<Either.Either<A, E>>) =>
  results.filter(Either.isRight).map((r) => r.right)
const refused = <A, E>(results: ReadonlyArray<Either.Either<A, E>>) =>
  results.filter(Either.isLeft).map((r) => r.left)

for (const [backend, make] of Object.entries(backends)) {
  describe(`Limiter (${backend})`, () => {
    it.scopedLive("200 concurrent requests against 50 requests per minute: exactly 50 pass", () =>
      Effect.gen(function* () {
        const limiters = yield* make
        const [results, refilled] = yield* timed(admitMany(limiters, 200, user({ rpm: 50 })), 50)
        expect(passed(results).length).toBeGreaterThanOrEqual(50)
        expect(passed(results).length).toBeLessThanOrEqual(50 + refilled)
        const refusals = refused(results)
        expect(refusals).toHaveLength(200 - passed(results).length)
        for (const error of refusals) {
          expect(error).toBeInstanceOf(LimitExceeded)
          expect(error).toMatchObject({ kind: "requests", scope: "user", limit: 50, remaining: 0 })
          expect((error as LimitExceeded).resetSeconds).toBeGreaterThan(0)
        }
        // Another user is not affected.
        const other = yield* admitMany(limiters, 10, user({ rpm: 50 }), none, { userId: "u2", keyId: "k2" })
        expect(passed(other)).toHaveLength(10)
      })
    )

    it.scopedLive(
      "200 concurrent requests against 50 concurrent slots: exactly 50 pass; a settlement frees one",
      () =>
        Effect.gen(function* () {
          const limiters = yield* make
          const limits = user({ concurrency: 50 })
          const admitted = passed(yield* admitMany(limiters, 200, limits))
          expect(admitted).toHaveLength(50)
          const refusal = refused(yield* admitMany(limiters, 1, limits))[0]
          expect(refusal).toMatchObject({ kind: "concurrency", limit: 50, remaining: 0 })
          yield* settle(admitted[0]!, none)
          yield* settle(admitted[0]!, none) // idempotent: frees one slot, not two
          expect(passed(yield* admitMany(limiters, 2, limits))).toHaveLength(1)
          yield* settle(admitted[1]!, none)
          expect(passed(yield* admitMany(limiters, 2, limits))).toHaveLength(1)
        })
    )

    it.scopedLive(
      "tokens per minute: estimates are reserved, settlement refunds or charges the difference",
      () =>
        Effect.gen(function* () {
          const limiters = yield* make
          const [a, b] = limiters
          const subject = { userId: "u1", keyId: "k1" }
          const limits: EffectiveLimits = { key: { tpm: 1000 }, user: {} }
          const first = yield* admit(a, subject, limits, { tokens: 400, costMicros: 0 })
          expect(first.rateLimit.tokens).toMatchObject({ limit: 1000, remaining: 600 })
          yield* admit(b, subject, limits, { tokens: 400, costMicros: 0 })
          const refusal = yield* refusedBy(admit(a, subject, limits, { tokens: 400, costMicros: 0 }))
          // 200 left, plus what the bucket refilled meanwhile on the live clock (1 token per 60 ms):
          // a loaded machine can take a few hundred milliseconds between the two admissions.
          expect(refusal).toMatchObject({ kind: "tokens", scope: "key", limit: 1000 })
          expect(refusal.remaining).toBeGreaterThanOrEqual(200)
          expect(refusal.remaining).toBeLessThan(215)
          expect(refusal.tokens?.limit).toBe(1000)
          expect(refusal.tokens?.remaining).toBe(refusal.remaining)
          // The first request used 100 tokens, not 400: 300 come back.
          yield* settle(first, { tokens: 100, costMicros: 0 })
          const third = yield* admit(b, subject, limits, { tokens: 400, costMicros: 0 })
          expect(third.rateLimit.tokens?.remaining).toBeGreaterThanOrEqual(100)
          expect(third.rateLimit.tokens?.remaining).toBeLessThan(110)
          // Used more than reserved: the bucket goes into debt and refuses even an empty estimate.
          yield* settle(third, { tokens: 1500, costMicros: 0 })
          const inDebt = yield* refusedBy(admit(a, subject, limits, none))
          expect(inDebt).toMatchObject({ kind: "tokens", remaining: 0 })
          expect(inDebt.resetSeconds).toBeGreaterThan(30)
        })
    )

    it.scopedLive("200 concurrent requests against a token limit of 50 × 100: exactly 50 pass", () =>
      Effect.gen(function* () {
        const limiters = yield* make
        const [results, refilled] = yield* timed(
          admitMany(limiters, 200, user({ tpm: 5000 }), { tokens: 100, costMicros: 0 }),
          50
        )
        expect(passed(results).length).toBeGreaterThanOrEqual(50)
        expect(passed(results).length).toBeLessThanOrEqual(50 + refilled)
      })
    )

    it.scopedLive(
      "a budget reserves the estimate, settles the real cost, and refuses what would cross it",
      () =>
        Effect.gen(function* () {
          const [a, b] = yield* make
          const subject = { userId: "u1", keyId: "k1" }
          const limits = user({ budget: { amountMicros: 1000, period: "day" } })
          const estimate = { tokens: 0, costMicros: 300 }
          const first = yield* admit(a, subject, limits, estimate)
          yield* admit(b, subject, limits, estimate)
          yield* admit(a, subject, limits, estimate)
          const refusal = yield* refusedBy(admit(b, subject, limits, estimate))
          expect(refusal).toMatchObject({ kind: "budget", scope: "user", limit: 1000, remaining: 100 })
          expect(refusal.resetSeconds).toBeGreaterThan(0)
          expect(refusal.resetSeconds).toBeLessThanOrEqual(86_400)
          yield* settle(first, { tokens: 0, costMicros: 100 }) // 200 refunded: 700 charged
          yield* admit(b, subject, limits, estimate) // 1000 charged
          const full = yield* refusedBy(admit(a, subject, limits, none))
          expect(full).toMatchObject({ kind: "budget", remaining: 0 })
          // Settling twice charges once.
          yield* settle(first, { tokens: 0, costMicros: 900 })
          const probe = yield* refusedBy(
            admit(a, subject, user({ budget: { amountMicros: 10_000, period: "day" } }), {
              tokens: 0,
              costMicros: 100_000
            })
          )
          expect(probe.remaining).toBe(9000)
        })
    )

    it.scopedLive("budget overspend is bounded by what requests in flight cost beyond their estimates", () =>
      Effect.gen(function* () {
        const limiters = yield* make
        const limits = user({ budget: { amountMicros: 1000, period: "month" } })
        const results = yield* admitMany(limiters, 20, limits, { tokens: 0, costMicros: 100 })
        const admitted = passed(results)
        expect(admitted).toHaveLength(10)
        // Every one of the ten in flight costs 180 instead of 100: 800 over, exactly the bound.
        yield* Effect.forEach(admitted, (admission) => settle(admission, { tokens: 0, costMicros: 180 }), {
          concurrency: "unbounded"
        })
        const [a] = limiters
        const subject = { userId: "u1", keyId: "k1" }
        expect(yield* refusedBy(admit(a, subject, limits, none))).toMatchObject({
          kind: "budget",
          remaining: 0
        })
        const wide = user({ budget: { amountMicros: 1_000_000, period: "month" } })
        const probe = yield* refusedBy(admit(a, subject, wide, { tokens: 0, costMicros: 10_000_000 }))
        expect(1_000_000 - probe.remaining).toBe(1000 + 10 * 80)
      })
    )

    it.scopedLive("a route rate counts per user and family, beside the user's own limits, exactly", () =>
      Effect.gen(function* () {
        const limiters = yield* make
        const chat = (rpm: number): EffectiveLimits => ({ key: {}, user: {}, route: { family: "chat", rpm } })
        const [results, refilled] = yield* timed(admitMany(limiters, 100, chat(20)), 20)
        expect(passed(results).length).toBeGreaterThanOrEqual(20)
        expect(passed(results).length).toBeLessThanOrEqual(20 + refilled)
        for (const error of refused(results))
          expect(error).toMatchObject({ kind: "requests", scope: "route", limit: 20, remaining: 0 })
        // Another family of the same user, and the same family of another user, count apart.
        const api: EffectiveLimits = { key: {}, user: {}, route: { family: "api", rpm: 20 } }
        expect(passed(yield* admitMany(limiters, 5, api))).toHaveLength(5)
        expect(
          passed(yield* admitMany(limiters, 5, chat(20), none, { userId: "u2", keyId: "k2" }))
        ).toHaveLength(5)
        // With the user's own limit too, the tighter one refuses and the other is not charged.
        const both: EffectiveLimits = { key: {}, user: { rpm: 3 }, route: { family: "both", rpm: 10 } }
        const mixed = yield* admitMany(limiters, 6, both, none, { userId: "u3", keyId: "k3" })
        expect(passed(mixed)).toHaveLength(3)
        expect(refused(mixed)[0]).toMatchObject({ scope: "user", limit: 3 })
        expect(passed(mixed)[0]!.rateLimit.requests).toMatchObject({ limit: 3 })
        const routeOnly: EffectiveLimits = { key: {}, user: {}, route: { family: "both", rpm: 10 } }
        expect(
          passed(yield* admitMany(limiters, 20, routeOnly, none, { userId: "u3", keyId: "k3" }))
        ).toHaveLength(7)
      })
    )

    it.scopedLive("key and user limits both apply, and a refusal charges nothing", () =>
      Effect.gen(function* () {
        const [a, b] = yield* make
        const limits: EffectiveLimits = { key: { rpm: 5 }, user: { rpm: 8 } }
        const k1 = { userId: "u1", keyId: "k1" }
        const k2 = { userId: "u1", keyId: "k2" }
        for (let i = 0; i < 5; i++) yield* admit(a, k1, limits, none)
        expect(yield* refusedBy(admit(b, k1, limits, none))).toMatchObject({
          kind: "requests",
          scope: "key"
        })
        for (let i = 0; i < 3; i++) yield* admit(b, k2, limits, none)
        expect(yield* refusedBy(admit(a, k2, limits, none))).toMatchObject({
          kind: "requests",
          scope: "user"
        })
        // k2's own bucket was not charged by the refused request: 5 − 3 = 2 left.
        const later = yield* admit(a, k2, { key: { rpm: 5 }, user: {} }, none)
        expect(later.rateLimit.requests).toMatchObject({ limit: 5, remaining: 1 })
      })
    )

    it.scopedLive("the snapshot feeds OpenAI's headers", () =>
      Effect.gen(function* () {
        const [a] = yield* make
        const admission = yield* admit(a, { userId: "u1" }, user({ rpm: 60, tpm: 10_000 }), {
          tokens: 2500,
          costMicros: 0
        })
        const headers = RateLimitHeaders.fromSnapshot(admission.rateLimit)
        expect(headers).toMatchObject({
          "x-ratelimit-limit-requests": "60",
          "x-ratelimit-remaining-requests": "59",
          "x-ratelimit-limit-tokens": "10000",
          "x-ratelimit-remaining-tokens": "7500"
        })
        expect(headers["x-ratelimit-reset-requests"]).toMatch(/^(1s|\d+ms)$/)
        expect(headers["x-ratelimit-reset-tokens"]).toMatch(/^1[45](\.\d+)?s$/)
      })
    )

    it.scopedLive("requests without limits are admitted without touching the store", () =>
      Effect.gen(function* () {
        const [a] = yield* make
        const admission = yield* admit(a, { userId: "u1", keyId: "k1" }, { key: {}, user: {} }, none)
        expect(admission).toMatchObject({ degraded: false, rateLimit: {} })
        // Key limits without a key (a user's bearer token) do not apply.
        yield* admit(a, { userId: "u1" }, { key: { rpm: 1 }, user: {} }, none)
        yield* admit(a, { userId: "u1" }, { key: { rpm: 1 }, user: {} }, none)
      })
    )
  })
}

describe("Limiter (memory, controlled clock)", () => {
  it.effect("the request window refills continuously: one more every 60/rpm seconds", () =>
    Effect.gen(function* () {
      const limiter = yield* memory
      const limits = user({ rpm: 50 })
      const subject = { userId: "u1" }
      for (let i = 0; i < 50; i++) yield* admit(limiter, subject, limits, none)
      const refusal = yield* refusedBy(admit(limiter, subject, limits, none))
      expect(refusal.resetSeconds).toBeCloseTo(1.2, 5)
      expect(RateLimitHeaders.fromLimitExceeded(refusal as LimitExceeded)).toMatchObject({
        "retry-after": "2",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "1m0s"
      })
      yield* TestClock.adjust("1199 millis")
      yield* refusedBy(admit(limiter, subject, limits, none))
      yield* TestClock.adjust("1 millis")
      yield* admit(limiter, subject, limits, none)
      yield* refusedBy(admit(limiter, subject, limits, none))
      yield* TestClock.adjust("1 minute")
      const results = yield* Effect.all(
        Array.from({ length: 60 }, () => Effect.either(admit(limiter, subject, limits, none)))
      )
      expect(passed(results)).toHaveLength(50)
    })
  )

  it.effect("a budget resets with its UTC period; a late settlement goes to the period it reserved in", () =>
    Effect.gen(function* () {
      const limiter = yield* memory
      const limits = user({ budget: { amountMicros: 500, period: "day" } })
      const subject = { userId: "u1" }
      yield* TestClock.setTime(Date.UTC(2025, 0, 31, 23, 0))
      const admission = yield* admit(limiter, subject, limits, { tokens: 0, costMicros: 500 })
      const refusal = yield* refusedBy(admit(limiter, subject, limits, none))
      expect(refusal.resetSeconds).toBe(3600)
      yield* TestClock.adjust("1 hour")
      yield* settle(admission, { tokens: 0, costMicros: 0 }) // refunds the 31st, not the 1st
      yield* admit(limiter, subject, limits, { tokens: 0, costMicros: 500 })
      expect(yield* refusedBy(admit(limiter, subject, limits, none))).toMatchObject({ kind: "budget" })
    })
  )

  it.effect("randomised interleavings never overspend beyond the in-flight bound", () =>
    Effect.gen(function* () {
      const limiter = yield* memory
      const budget = 10_000
      const limits = user({ budget: { amountMicros: budget, period: "month" } })
      const subject = { userId: "u1" }
      const inFlight: Array<{ admission: Limiter.Admission; estimate: number; actual: number }> = []
      let boundAtLastAdmission = 0
      let charged = 0
      for (let step = 0; step < 2000; step++) {
        const roll = yield* Random.nextIntBetween(0, 3)
        if (roll < 2 || inFlight.length === 0) {
          const estimate = yield* Random.nextIntBetween(0, 400)
          const actual = yield* Random.nextIntBetween(0, 800)
          const result = yield* Effect.either(
            admit(limiter, subject, limits, { tokens: 0, costMicros: estimate })
          )
          if (Either.isRight(result)) {
            inFlight.push({ admission: result.right, estimate, actual })
            boundAtLastAdmission = inFlight.reduce((sum, r) => sum + Math.max(0, r.actual - r.estimate), 0)
          }
        } else {
          const index = yield* Random.nextIntBetween(0, inFlight.length)
          const [request] = inFlight.splice(index, 1)
          yield* settle(request!.admission, { tokens: 0, costMicros: request!.actual })
          charged += request!.actual
        }
      }
      for (const request of inFlight) {
        yield* settle(request.admission, { tokens: 0, costMicros: request.actual })
        charged += request.actual
      }
      expect(charged).toBeGreaterThan(budget) // the scenario does overspend...
      expect(charged).toBeLessThanOrEqual(budget + boundAtLastAdmission) // ...within the bound
    }).pipe(Effect.withRandom(Random.make("overspend")))
  )
})

describe("Limiter (Redis unreachable)", () => {
  /** A port nothing listens on. */
  const closedPort = Effect.promise(
    () =>
      new Promise<number>((resolve) => {
        const server = createServer()
        server.listen(0, "127.0.0.1", () => {
          const address = server.address()
          const port = typeof address === "object" && address !== null ? address.port : 0
          server.close(() => resolve(port))
        })
      })
  )

  it.scopedLive("fail open: requests pass unchecked and health reports it", () =>
    Effect.gen(function* () {
      const port = yield* closedPort
      const limiter = yield* Limiter.makeRedis({ url: `redis://127.0.0.1:${port}`, failureMode: "open" })
      const admission = yield* admit(limiter, { userId: "u1" }, user({ rpm: 1 }), none)
      expect(admission.degraded).toBe(true)
      expect((yield* admit(limiter, { userId: "u1" }, user({ rpm: 1 }), none)).degraded).toBe(true)
      yield* settle(admission, { tokens: 10, costMicros: 10 })
      const health = yield* limiter.health
      expect(health).toMatchObject({ backend: "redis", status: "unreachable", failureMode: "open" })
      expect(health.message).toBeTruthy()
    })
  )

  it.scopedLive("fail closed: requests are refused with LimitsUnavailable (503)", () =>
    Effect.gen(function* () {
      const port = yield* closedPort
      const limiter = yield* Limiter.makeRedis({ url: `redis://127.0.0.1:${port}`, failureMode: "closed" })
      const error = yield* Effect.flip(admit(limiter, { userId: "u1" }, user({ rpm: 1 }), none))
      expect(error).toBeInstanceOf(LimitsUnavailable)
      expect(yield* limiter.health).toMatchObject({ status: "unreachable", failureMode: "closed" })
      // No limits configured: nothing to check, so nothing to refuse.
      expect((yield* admit(limiter, { userId: "u1" }, user({}), none)).degraded).toBe(false)
    })
  )

  it.scopedLive("Redis going away mid-run, then coming back: refused while down, enforced again after", () =>
    Effect.gen(function* () {
      const target = new URL(yield* Effect.orDie(redisUrl))
      // A TCP proxy in front of Redis that the test can cut and restore.
      const sockets = new Set<Socket>()
      const proxy = createServer((client) => {
        const upstream = connect(Number(target.port || 6379), target.hostname)
        sockets.add(client).add(upstream)
        client.pipe(upstream).pipe(client)
        const close = () => {
          client.destroy()
          upstream.destroy()
        }
        client.on("error", close).on("close", close)
        upstream.on("error", close).on("close", close)
      })
      const port = yield* closedPort
      const listen = Effect.promise(
        () => new Promise<void>((resolve) => proxy.listen(port, "127.0.0.1", resolve))
      )
      const cut = Effect.promise(
        () =>
          new Promise<void>((resolve) => {
            for (const socket of sockets) socket.destroy()
            sockets.clear()
            proxy.close(() => resolve())
          })
      )
      yield* listen
      yield* Effect.addFinalizer(() => cut)
      const prefix = `test:limits:${crypto.randomUUID()}:`
      yield* cleanUp(target.toString(), prefix)
      const limiter = yield* Limiter.makeRedis({
        url: `redis://127.0.0.1:${port}`,
        prefix,
        failureMode: "closed"
      })
      const limits = user({ rpm: 3 })
      yield* admit(limiter, { userId: "u1" }, limits, none)

      yield* cut
      expect(yield* Effect.flip(admit(limiter, { userId: "u1" }, limits, none))).toBeInstanceOf(
        LimitsUnavailable
      )
      expect((yield* limiter.health).status).toBe("unreachable")

      yield* listen
      // ioredis reconnects in the background (backoff up to 2 s); wait until it has.
      let health = yield* limiter.health
      for (let i = 0; i < 100 && health.status !== "ok"; i++) {
        yield* Effect.sleep("100 millis")
        health = yield* limiter.health
      }
      expect(health.status).toBe("ok")
      // The count survived the outage: 1 before, 2 more allowed, then refused.
      yield* admit(limiter, { userId: "u1" }, limits, none)
      yield* admit(limiter, { userId: "u1" }, limits, none)
      expect(yield* refusedBy(admit(limiter, { userId: "u1" }, limits, none))).toMatchObject({
        kind: "requests"
      })
    })
  )

  it.scopedLive("a reachable Redis reports ok", () =>
    Effect.gen(function* () {
      const url = yield* Effect.orDie(redisUrl)
      const limiter = yield* Limiter.makeRedis({
        url,
        failureMode: "closed",
        prefix: `test:limits:${crypto.randomUUID()}:`
      })
      expect(yield* limiter.health).toEqual({ backend: "redis", status: "ok", failureMode: "closed" })
    })
  )
})
