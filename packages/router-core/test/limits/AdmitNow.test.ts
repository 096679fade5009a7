/**
 * The limiter's one face, the hot path's: `admit` and `settle` answered at once by the memory
 * store and through one promise by Redis.
 */
import { describe, expect, it } from "@effect/vitest"
import { LimitExceeded, LimitsUnavailable } from "@switchyard/domain"
import { Config, Effect } from "effect"
import type { EffectiveLimits } from "../../src/limits/EffectiveLimits.ts"
import * as Limiter from "../../src/limits/Limiter.ts"
import * as MemoryStore from "../../src/limits/MemoryStore.ts"

const redisUrl = Config.string("TEST_REDIS_URL").pipe(Config.withDefault("redis://127.0.0.1:6379"))
const subject = { userId: "u1", keyId: "k1" }
const tpm: EffectiveLimits = { key: {}, user: { tpm: 1000 } }

const admission = (result: Limiter.AdmitResult): Limiter.Admission => {
  if (result instanceof LimitExceeded || result instanceof LimitsUnavailable) {
    throw new Error(`expected an admission, got ${result._tag}`)
  }
  return result
}

/** Waits until `check` holds (a Redis settlement lands after `settle` returned). */
const eventually = async (check: () => Promise<boolean>) => {
  for (let i = 0; i < 100; i++) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return false
}

describe("Limiter.admit (the hot path)", () => {
  it.effect("memory: answers synchronously; settle refunds at once, and only once", () =>
    Effect.gen(function* () {
      const limiter = yield* Limiter.make(MemoryStore.make({ leaseTtlMs: 60_000 }), { failureMode: "open" })
      const first = limiter.admit(subject, tpm, { tokens: 800, costMicros: 0 })
      expect(first).not.toBeInstanceOf(Promise)
      expect(admission(first as Limiter.AdmitResult).rateLimit.tokens).toMatchObject({ remaining: 200 })
      const refused = limiter.admit(subject, tpm, { tokens: 800, costMicros: 0 })
      expect(refused).toBeInstanceOf(LimitExceeded)
      // Used 100 of the 800 reserved: 700 come back, now; a second settle changes nothing.
      admission(first as Limiter.AdmitResult).settle({ tokens: 100, costMicros: 0 })
      admission(first as Limiter.AdmitResult).settle({ tokens: 0, costMicros: 0 })
      const after = admission(
        limiter.admit(subject, tpm, { tokens: 800, costMicros: 0 }) as Limiter.AdmitResult
      )
      expect(after.rateLimit.tokens?.remaining).toBe(100)
    })
  )

  it.scopedLive("redis: one promise per admission; settle's refund lands without being awaited", () =>
    Effect.gen(function* () {
      const url = yield* Effect.orDie(redisUrl)
      const limiter = yield* Limiter.makeRedis({
        url,
        prefix: `test:admit-now:${crypto.randomUUID()}:`,
        failureMode: "closed",
        timeoutMs: 2000
      })
      const pending = limiter.admit(subject, tpm, { tokens: 800, costMicros: 0 })
      expect(pending).toBeInstanceOf(Promise)
      const first = admission(yield* Effect.promise(async () => pending))
      expect(first.rateLimit.tokens).toMatchObject({ remaining: 200 })
      expect(
        yield* Effect.promise(async () => limiter.admit(subject, tpm, { tokens: 800, costMicros: 0 }))
      ).toBeInstanceOf(LimitExceeded)
      first.settle({ tokens: 100, costMicros: 0 })
      const refunded = yield* Effect.promise(() =>
        eventually(async () => {
          const probe = await limiter.admit(subject, tpm, { tokens: 0, costMicros: 0 })
          return (
            !(probe instanceof LimitExceeded) && (admission(probe).rateLimit.tokens?.remaining ?? 0) >= 900
          )
        })
      )
      expect(refunded).toBe(true)
    })
  )

  it.scopedLive("redis unreachable: a value, never a rejection, in either failure mode", () =>
    Effect.gen(function* () {
      const closed = yield* Limiter.makeRedis({
        url: "redis://127.0.0.1:9",
        failureMode: "closed",
        timeoutMs: 200
      })
      const open = yield* Limiter.makeRedis({
        url: "redis://127.0.0.1:9",
        failureMode: "open",
        timeoutMs: 200
      })
      const refused = yield* Effect.promise(async () =>
        closed.admit(subject, tpm, { tokens: 1, costMicros: 0 })
      )
      expect(refused).toBeInstanceOf(LimitsUnavailable)
      const letThrough = admission(
        yield* Effect.promise(async () => open.admit(subject, tpm, { tokens: 1, costMicros: 0 }))
      )
      expect(letThrough.degraded).toBe(true)
    })
  )
})
