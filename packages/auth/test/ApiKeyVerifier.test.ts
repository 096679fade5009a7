import { SqlClient } from "@effect/sql"
import { describe, expect, layer } from "@effect/vitest"
import { Database } from "@switchyard/db"
import { TestDatabase } from "@switchyard/db/testing"
import { ServiceUnavailable } from "@switchyard/domain"
import {
  Context,
  Deferred,
  Effect,
  Exit,
  Fiber,
  Layer,
  Option,
  Redacted,
  Ref,
  Schedule,
  TestClock
} from "effect"
import * as ApiKeyFormat from "../src/ApiKeyFormat.ts"
import { ApiKeyRepo } from "../src/ApiKeyRepo.ts"
import { ApiKeys } from "../src/ApiKeys.ts"
import { ApiKeyVerifier } from "../src/ApiKeyVerifier.ts"
import { authMigrations } from "../src/AuthMigrations.ts"
import { ChangeFeed } from "../src/ChangeFeed.ts"

/** Counts the verifier's database reads (its only way to the database is `findByHash`). */
class Reads extends Context.Tag("test/Reads")<Reads, Ref.Ref<number>>() {}

/** Wraps the repo below it so every `findByHash` is counted (and can be held back by a gate). */
class Gate extends Context.Tag("test/Gate")<
  Gate,
  Ref.Ref<
    Option.Option<{ readonly entered: Deferred.Deferred<void>; readonly open: Deferred.Deferred<void> }>
  >
>() {}

const countingRepo = Layer.effectContext(
  Effect.gen(function* () {
    const repo = yield* ApiKeyRepo
    const reads = yield* Ref.make(0)
    const gate = yield* Ref.make<
      Option.Option<{ entered: Deferred.Deferred<void>; open: Deferred.Deferred<void> }>
    >(Option.none())
    const findByHash = (keyHash: string) =>
      Effect.gen(function* () {
        yield* Ref.update(reads, (n) => n + 1)
        const found = yield* repo.findByHash(keyHash)
        // Held after reading: the answer is from before whatever the test changes meanwhile.
        const held = yield* Ref.get(gate)
        if (Option.isSome(held)) {
          yield* Deferred.succeed(held.value.entered, undefined)
          yield* Deferred.await(held.value.open)
        }
        return found
      })
    return Context.make(ApiKeyRepo, { ...repo, findByHash }).pipe(
      Context.add(Reads, reads),
      Context.add(Gate, gate)
    )
  })
)

const reads = Effect.flatMap(Reads, Ref.get)

/** Lets the verifier's feed consumer (another fiber) run: scheduling only, no clock involved. */
const settle = Effect.repeatN(Effect.yieldNow(), 20)

/** ApiKeys on the plain repo, the verifier on the counting one, both on the given feed. */
const stack = <E, R>(repo: Layer.Layer<ApiKeyRepo, E, R>, feed: Layer.Layer<ChangeFeed, never, R>) =>
  Layer.mergeAll(
    ApiKeys.layerWithRepo,
    ApiKeyVerifier.layerWithRepo().pipe(Layer.provide(countingRepo))
  ).pipe(Layer.provideMerge(countingRepo), Layer.provideMerge(Layer.mergeAll(repo, feed)))

describe("ApiKeyVerifier (memory)", () => {
  layer(stack(ApiKeyRepo.layerMemory, ChangeFeed.layerMemory))((it) => {
    it.effect("answers from the cache without reading again, for valid and invalid keys", () =>
      Effect.gen(function* () {
        const verifier = yield* ApiKeyVerifier
        const { key, record } = yield* (yield* ApiKeys).create("user-1")
        yield* settle
        const before = yield* reads
        for (let i = 0; i < 50; i++) {
          expect(yield* verifier.verify(Redacted.value(key))).toEqual(
            Option.some({ keyId: record.id, userId: "user-1", limits: null })
          )
        }
        expect((yield* reads) - before).toBe(1)

        const unknown = Redacted.value(ApiKeyFormat.generate())
        for (let i = 0; i < 5; i++) expect(yield* verifier.verify(unknown)).toEqual(Option.none())
        expect((yield* reads) - before).toBe(2)
        // Negative answers expire after a few seconds; positive ones are still served.
        yield* TestClock.adjust("6 seconds")
        expect(yield* verifier.verify(unknown)).toEqual(Option.none())
        expect(Option.isSome(yield* verifier.verify(Redacted.value(key)))).toBe(true)
        expect((yield* reads) - before).toBe(3)

        // Malformed keys never reach the database.
        expect(yield* verifier.verify("ef_short")).toEqual(Option.none())
        expect(yield* verifier.verify("Bearer something")).toEqual(Option.none())
        expect((yield* reads) - before).toBe(3)
      })
    )

    it.effect("verifyCached answers only from the cache, and stops when the key changes", () =>
      Effect.gen(function* () {
        const verifier = yield* ApiKeyVerifier
        const keys = yield* ApiKeys
        const { key, record } = yield* keys.create("user-5")
        const raw = Redacted.value(key)
        yield* settle
        // Never verified: unknown to the cache, so the caller must run `verify`.
        expect(verifier.verifyCached(raw)).toBeUndefined()
        const before = yield* reads
        yield* verifier.verify(raw)
        expect(verifier.verifyCached(raw)).toEqual(
          Option.some({ keyId: record.id, userId: "user-5", limits: null })
        )
        expect((yield* reads) - before).toBe(1)
        // Malformed keys are refused at once, never looked up.
        expect(verifier.verifyCached("ef_short")).toEqual(Option.none())
        yield* keys.setEnabled("user-5", false)
        yield* settle
        expect(verifier.verifyCached(raw)).toBeUndefined()
        expect(yield* verifier.verify(raw)).toEqual(Option.none())
        expect(verifier.verifyCached(raw)).toEqual(Option.none())
        // Past its time to live an entry is not served.
        yield* TestClock.adjust("6 seconds")
        expect(verifier.verifyCached(raw)).toBeUndefined()
      })
    )

    it.effect("a key in use is read again before it expires, while the cache keeps answering", () =>
      Effect.gen(function* () {
        const verifier = yield* ApiKeyVerifier
        const { key } = yield* (yield* ApiKeys).create("user-6")
        const raw = Redacted.value(key)
        yield* settle
        yield* verifier.verify(raw)
        const before = yield* reads
        // Nine of its ten minutes gone: the hot path still answers at once, and reads it again behind.
        yield* TestClock.adjust("9 minutes")
        expect(Option.isSome(verifier.verifyCached(raw) ?? Option.none())).toBe(true)
        yield* settle
        expect((yield* reads) - before).toBe(1)
        // The first answer's expiry passes without a miss: the refreshed one is served.
        yield* TestClock.adjust("2 minutes")
        expect(Option.isSome(verifier.verifyCached(raw) ?? Option.none())).toBe(true)
        expect((yield* reads) - before).toBe(1)
      })
    )

    it.effect(
      "a read that hangs is ServiceUnavailable after its timeout, and the next call reads again",
      () =>
        Effect.gen(function* () {
          const verifier = yield* ApiKeyVerifier
          const gate = yield* Gate
          const { key } = yield* (yield* ApiKeys).create("user-7")
          const raw = Redacted.value(key)
          yield* settle
          const before = yield* reads
          const entered = yield* Deferred.make<void>()
          yield* Ref.set(gate, Option.some({ entered, open: yield* Deferred.make<void>() }))
          const waiting = yield* Effect.fork(Effect.exit(verifier.verify(raw)))
          yield* Deferred.await(entered)
          yield* Ref.set(gate, Option.none())
          yield* TestClock.adjust("10 seconds")
          expect(yield* Fiber.join(waiting)).toEqual(Exit.fail(ServiceUnavailable.database()))
          // The hung read no longer holds the key's lookup: the next call reads, and is answered.
          expect(Option.isSome(yield* verifier.verify(raw))).toBe(true)
          expect((yield* reads) - before).toBe(2)
        })
    )

    it.effect("drops a key when it changes and everything on Resync", () =>
      Effect.gen(function* () {
        const verifier = yield* ApiKeyVerifier
        const keys = yield* ApiKeys
        const feed = yield* ChangeFeed
        const { key } = yield* keys.create("user-2")
        const raw = Redacted.value(key)
        expect(Option.isSome(yield* verifier.verify(raw))).toBe(true)
        yield* keys.setEnabled("user-2", false)
        yield* settle
        expect(yield* verifier.verify(raw)).toEqual(Option.none())
        yield* keys.setEnabled("user-2", true)
        yield* settle
        expect(Option.isSome(yield* verifier.verify(raw))).toBe(true)
        const regenerated = yield* keys.regenerate("user-2")
        yield* settle
        expect(yield* verifier.verify(raw)).toEqual(Option.none())
        expect(Option.isSome(yield* verifier.verify(Redacted.value(regenerated.key)))).toBe(true)

        const before = yield* reads
        yield* feed.publish({ _tag: "Resync" })
        yield* settle
        expect(Option.isSome(yield* verifier.verify(Redacted.value(regenerated.key)))).toBe(true)
        expect((yield* reads) - before).toBe(1)
      })
    )

    it.effect("serves limits from the cache and picks up a change to them at once", () =>
      Effect.gen(function* () {
        const verifier = yield* ApiKeyVerifier
        const keys = yield* ApiKeys
        const { key } = yield* keys.create("user-4")
        const raw = Redacted.value(key)
        const limitsNow = Effect.map(
          verifier.verify(raw),
          Option.map((v) => v.limits)
        )
        yield* settle
        expect(yield* limitsNow).toEqual(Option.some(null))
        const before = yield* reads
        const limits = { rpm: 5, budget: { amountMicros: 2_500_000, period: "day" as const } }
        yield* keys.update("user-4", { limits })
        yield* settle
        // One read after the change, then the cache serves the decoded limits.
        for (let i = 0; i < 10; i++) expect(yield* limitsNow).toEqual(Option.some(limits))
        expect((yield* reads) - before).toBe(1)
        const regenerated = yield* keys.regenerate("user-4")
        yield* settle
        const verified = yield* verifier.verify(Redacted.value(regenerated.key))
        expect(Option.map(verified, (v) => v.limits)).toEqual(Option.some(limits))
      })
    )

    it.effect("concurrent misses share one read; a read overtaken by a change is not cached", () =>
      Effect.gen(function* () {
        const verifier = yield* ApiKeyVerifier
        const keys = yield* ApiKeys
        const gate = yield* Gate
        const { key } = yield* keys.create("user-3")
        yield* settle
        const raw = Redacted.value(key)
        const before = yield* reads

        const entered = yield* Deferred.make<void>()
        const open = yield* Deferred.make<void>()
        yield* Ref.set(gate, Option.some({ entered, open }))
        const waiting = yield* Effect.fork(
          Effect.all(
            Array.from({ length: 20 }, () => verifier.verify(raw)),
            { concurrency: "unbounded" }
          )
        )
        yield* Deferred.await(entered)
        yield* Ref.set(gate, Option.none())
        // The key is disabled while the read is in flight: its answer must not be cached.
        yield* keys.setEnabled("user-3", false)
        yield* settle
        yield* Deferred.succeed(open, undefined)
        // Callers that asked before the change get the answer of their time, all from one read...
        const answers = yield* Fiber.join(waiting)
        expect(answers.every(Option.isSome)).toBe(true)
        expect(answers).toHaveLength(20)
        expect((yield* reads) - before).toBe(1)
        // ...but it was not cached: the next call reads again and sees the key disabled.
        expect(yield* verifier.verify(raw)).toEqual(Option.none())
        expect((yield* reads) - before).toBe(2)
      })
    )
  })
})

const insertUser = (id: string) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) =>
      sql`INSERT INTO "user" ("id", "name", "email", "emailVerified") VALUES (${id}, ${id}, ${`${id}@example.com`}, false)`
  )

describe("ApiKeyVerifier (PostgreSQL + NOTIFY)", () => {
  const database = TestDatabase.layer("verifier", [authMigrations])
  // The verifier lives in its own "router" instance: its own pool and its own feed connection.
  const router = Layer.unwrapEffect(
    Effect.map(TestDatabase.TestDatabaseUrl, (url) =>
      ApiKeyVerifier.layerWithRepo()
        .pipe(Layer.provideMerge(countingRepo))
        .pipe(
          Layer.provideMerge(Layer.mergeAll(ApiKeyRepo.layerPg, ChangeFeed.layerPg)),
          Layer.provide(Database.layerFromUrl(url))
        )
    )
  )
  const controlPlane = ApiKeys.layerPg.pipe(Layer.provideMerge(ChangeFeed.layerPg))
  layer(Layer.mergeAll(router, controlPlane).pipe(Layer.provideMerge(database)), {
    excludeTestServices: true
  })((it) => {
    it.scoped("a cache hit reads nothing; a disabled or regenerated key stops verifying", () =>
      Effect.gen(function* () {
        yield* insertUser("pg-user")
        const verifier = yield* ApiKeyVerifier
        const keys = yield* ApiKeys
        const feed = yield* ChangeFeed
        const changes = yield* feed.subscribe
        const { key, record } = yield* keys.create("pg-user")
        const raw = Redacted.value(key)
        // Let the create's own notification pass first (it drops the key from the cache).
        yield* changes.take.pipe(Effect.timeout("10 seconds"))
        yield* Effect.sleep("50 millis")
        yield* verifier.verify(raw)
        const before = yield* reads
        for (let i = 0; i < 100; i++) {
          expect(yield* verifier.verify(raw)).toEqual(
            Option.some({ keyId: record.id, userId: "pg-user", limits: null })
          )
        }
        expect((yield* reads) - before).toBe(0)

        yield* keys.setEnabled("pg-user", false)
        // The change arrives over NOTIFY; until then the cache answers without reading.
        yield* Effect.repeat(verifier.verify(raw), {
          until: Option.isNone,
          schedule: Schedule.spaced("5 millis")
        }).pipe(Effect.timeout("10 seconds"))
        expect((yield* reads) - before).toBe(1)

        yield* keys.setEnabled("pg-user", true)
        yield* Effect.repeat(verifier.verify(raw), {
          until: Option.isSome,
          schedule: Schedule.spaced("5 millis")
        }).pipe(Effect.timeout("10 seconds"))
        const regenerated = yield* keys.regenerate("pg-user")
        yield* Effect.repeat(verifier.verify(raw), {
          until: Option.isNone,
          schedule: Schedule.spaced("5 millis")
        }).pipe(Effect.timeout("10 seconds"))
        const raw2 = Redacted.value(regenerated.key)
        expect(Option.isSome(yield* verifier.verify(raw2))).toBe(true)

        // New limits reach the cached entry through NOTIFY (the positive TTL is 10 minutes).
        const limits = { tpm: 1234, budget: { amountMicros: 7_000_000, period: "month" as const } }
        yield* keys.update("pg-user", { limits })
        yield* Effect.repeat(verifier.verify(raw2), {
          until: (v) => Option.isSome(v) && v.value.limits !== null,
          schedule: Schedule.spaced("5 millis")
        }).pipe(Effect.timeout("10 seconds"))
        expect(yield* verifier.verify(raw2)).toEqual(
          Option.some({ keyId: record.id, userId: "pg-user", limits })
        )
      })
    )
  })
})
