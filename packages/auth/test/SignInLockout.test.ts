import { describe, expect, it, layer } from "@effect/vitest"
import { Database } from "@switchyard/db"
import { TestDatabase } from "@switchyard/db/testing"
import { Config, Context, Effect, Layer, Redacted } from "effect"
import { authMigrations } from "../src/AuthMigrations.ts"
import { decide, type LockoutPolicy, SignInLockout } from "../src/SignInLockout.ts"

const policy: LockoutPolicy = { maxAttempts: 3, baseLockSeconds: 60, maxLockSeconds: 900, windowSeconds: 900 }
const redisUrl = Config.string("TEST_REDIS_URL").pipe(Config.withDefault("redis://127.0.0.1:6379"))

/** One instance of the lockout, as one control-plane process would build it. */
const instance = <E, R>(layer: Layer.Layer<SignInLockout, E, R>) =>
  Effect.map(Layer.build(Layer.fresh(layer)), (context) => Context.get(context, SignInLockout))

/** The contract: counts per account across instances, locks with Retry-After, resets on success. */
const contract = <E, R>(layer: Layer.Layer<SignInLockout, E, R>) =>
  Effect.gen(function* () {
    const a = yield* instance(layer)
    const b = yield* instance(layer)
    const victim = `victim-${crypto.randomUUID()}@example.com`
    // Three attempts, spread over both instances (two addresses, two processes: one count).
    expect(yield* a.attempt(victim)).toEqual({ _tag: "Allowed" })
    expect(yield* b.attempt(victim.toUpperCase())).toEqual({ _tag: "Allowed" })
    expect(yield* a.attempt(` ${victim} `)).toEqual({ _tag: "Allowed" })
    for (const next of [b, a]) {
      const locked = yield* next.attempt(victim)
      expect(locked._tag).toBe("Locked")
      if (locked._tag === "Locked") {
        expect(locked.retryAfterSeconds).toBeGreaterThanOrEqual(1)
        expect(locked.retryAfterSeconds).toBeLessThanOrEqual(60)
      }
    }
    // Another account is not affected.
    expect(yield* b.attempt(`other-${crypto.randomUUID()}@example.com`)).toEqual({ _tag: "Allowed" })

    // A success resets the count.
    const user = `user-${crypto.randomUUID()}@example.com`
    yield* a.attempt(user)
    yield* a.attempt(user)
    yield* b.succeeded(user)
    for (let i = 0; i < 2; i++) expect(yield* b.attempt(user)).toEqual({ _tag: "Allowed" })
    // ... and parallel guesses are counted as they start: at most `maxAttempts` get through.
    const burst = `burst-${crypto.randomUUID()}@example.com`
    const admissions = yield* Effect.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).attempt(burst)),
      { concurrency: "unbounded" }
    )
    expect(admissions.filter((x) => x._tag === "Allowed")).toHaveLength(3)
  })

describe("SignInLockout", () => {
  it("decide: locks at maxAttempts, doubles the lock per further attempt up to the cap, forgets after a quiet window", () => {
    const at = (attempts: number, lockedForSeconds = 0, idleSeconds = 0) =>
      decide({ attempts, lockedForSeconds, idleSeconds }, policy)
    expect(at(0)).toEqual({ admission: { _tag: "Allowed" }, attempts: 1, lockSeconds: 0 })
    expect(at(2).lockSeconds).toBe(60)
    expect(at(3).lockSeconds).toBe(120)
    expect(at(4).lockSeconds).toBe(240)
    expect(at(20).lockSeconds).toBe(900)
    expect(at(5, 12.2).admission).toEqual({ _tag: "Locked", retryAfterSeconds: 13 })
    expect(at(5, 0, 901)).toEqual({ admission: { _tag: "Allowed" }, attempts: 1, lockSeconds: 0 })
  })

  layer(TestDatabase.layer("signin_lockout", [authMigrations]), { excludeTestServices: true })((it) => {
    it.scoped("PostgreSQL: one count per account across instances", () =>
      Effect.gen(function* () {
        const url = yield* TestDatabase.TestDatabaseUrl
        yield* contract(
          SignInLockout.layerPg(policy).pipe(Layer.provide(Database.layerFromUrl(url, { maxConnections: 4 })))
        )
      })
    )
  })

  it.scoped("Redis: one count per account across instances", () =>
    Effect.gen(function* () {
      const url = Redacted.make(yield* redisUrl)
      yield* contract(SignInLockout.layerRedis(url, policy, `test:signin:${crypto.randomUUID()}:`))
    })
  )
})
