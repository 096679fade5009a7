import { SqlClient } from "@effect/sql"
import { describe, expect, layer, type Vitest } from "@effect/vitest"
import { TestDatabase } from "@switchyard/db/testing"
import { Effect, Layer, Option, Redacted } from "effect"
import * as ApiKeyFormat from "../src/ApiKeyFormat.ts"
import { ApiKeyRepo } from "../src/ApiKeyRepo.ts"
import { ApiKeys } from "../src/ApiKeys.ts"
import { authMigrations } from "../src/AuthMigrations.ts"
import { ChangeFeed } from "../src/ChangeFeed.ts"

/** Inserts a bare user row (API keys reference better-auth's `user`). */
const insertUser = (id: string) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) =>
      sql`INSERT INTO "user" ("id", "name", "email", "emailVerified") VALUES (${id}, ${id}, ${`${id}@example.com`}, false)`
  )

/** One contract, run against each storage. */
const contract = <R>(
  it: Vitest.MethodsNonLive<R | ApiKeys | ApiKeyRepo | ChangeFeed>,
  newUser: (id: string) => Effect.Effect<string, unknown, R>
) => {
  it.effect("creates one key per user, shown in full once and stored only as its hash", () =>
    Effect.gen(function* () {
      const keys = yield* ApiKeys
      const repo = yield* ApiKeyRepo
      const user = yield* newUser(`u_${crypto.randomUUID().slice(0, 8)}`)
      const feed = yield* ChangeFeed
      const changes = yield* feed.subscribe

      const issued = yield* keys.create(user)
      const raw = Redacted.value(issued.key)
      expect(raw).toMatch(/^ef_[A-Za-z0-9_-]{43}$/)
      expect(ApiKeyFormat.isWellFormed(raw)).toBe(true)
      expect(issued.record.keyHash).toBe(ApiKeyFormat.hash(raw))
      expect(issued.record.prefix).toBe(raw.slice(0, 7))
      expect(issued.record.last4).toBe(raw.slice(-4))
      expect(JSON.stringify(issued.record)).not.toContain(raw.slice(7, -4))
      expect(yield* changes.take).toEqual({
        _tag: "ApiKeyChanged",
        keyHash: issued.record.keyHash,
        userId: user
      })

      const second = yield* Effect.flip(keys.create(user))
      expect(second._tag).toBe("ApiKeyAlreadyExists")
      expect(Option.map(yield* repo.findByUser(user), (r) => r.id)).toEqual(Option.some(issued.record.id))
      expect(yield* keys.verify(raw)).toEqual(
        Option.some({ keyId: issued.record.id, userId: user, limits: null })
      )
    }).pipe(Effect.scoped)
  )

  it.effect("regenerate, disable, enable and delete take effect at once and are published", () =>
    Effect.gen(function* () {
      const keys = yield* ApiKeys
      const feed = yield* ChangeFeed
      const user = yield* newUser(`u_${crypto.randomUUID().slice(0, 8)}`)
      const first = yield* keys.create(user)
      const changes = yield* feed.subscribe
      const oldRaw = Redacted.value(first.key)

      const second = yield* keys.regenerate(user)
      const newRaw = Redacted.value(second.key)
      expect(newRaw).not.toBe(oldRaw)
      expect(second.record.id).toBe(first.record.id)
      expect(yield* keys.verify(oldRaw)).toEqual(Option.none())
      expect(yield* keys.verify(newRaw)).toEqual(
        Option.some({ keyId: first.record.id, userId: user, limits: null })
      )
      expect([yield* changes.take, yield* changes.take]).toEqual([
        { _tag: "ApiKeyChanged", keyHash: first.record.keyHash, userId: user },
        { _tag: "ApiKeyChanged", keyHash: second.record.keyHash, userId: user }
      ])

      expect((yield* keys.setEnabled(user, false)).enabled).toBe(false)
      expect(yield* keys.verify(newRaw)).toEqual(Option.none())
      expect((yield* keys.setEnabled(user, true)).enabled).toBe(true)
      expect(Option.isSome(yield* keys.verify(newRaw))).toBe(true)

      yield* keys.remove(user)
      expect(yield* keys.verify(newRaw)).toEqual(Option.none())
      expect(yield* keys.get(user)).toEqual(Option.none())
      expect((yield* Effect.flip(keys.remove(user)))._tag).toBe("ApiKeyNotFound")
      expect((yield* Effect.flip(keys.regenerate(user)))._tag).toBe("ApiKeyNotFound")
      expect((yield* Effect.flip(keys.setEnabled(user, true)))._tag).toBe("ApiKeyNotFound")
      const published = [yield* changes.take, yield* changes.take, yield* changes.take]
      expect(published.every((c) => c._tag === "ApiKeyChanged" && c.keyHash === second.record.keyHash)).toBe(
        true
      )
    }).pipe(Effect.scoped)
  )

  it.effect(
    "limits: replaced whole, kept by enable/disable and regenerate, reset by {} or null, published",
    () =>
      Effect.gen(function* () {
        const keys = yield* ApiKeys
        const repo = yield* ApiKeyRepo
        const feed = yield* ChangeFeed
        const user = yield* newUser(`u_${crypto.randomUUID().slice(0, 8)}`)
        const first = yield* keys.create(user)
        expect(first.record.limits).toBeNull()
        const changes = yield* feed.subscribe
        const stored = () =>
          Effect.map(
            repo.findByUser(user),
            Option.map((r) => r.limits)
          )
        const limitsOf = (raw: string) =>
          Effect.map(
            keys.verify(raw),
            Option.map((v) => v.limits)
          )

        const set = { rpm: 10, budget: { amountMicros: 5_000_000, period: "month" as const } }
        expect((yield* keys.update(user, { limits: set })).limits).toEqual(set)
        expect(yield* stored()).toEqual(Option.some(set))
        expect(yield* limitsOf(Redacted.value(first.key))).toEqual(Option.some(set))
        expect(yield* changes.take).toEqual({
          _tag: "ApiKeyChanged",
          keyHash: first.record.keyHash,
          userId: user
        })

        // The new object replaces the old one (rpm goes back to the default); a null field survives.
        const replaced = { tpm: 1000, concurrency: null }
        yield* keys.update(user, { limits: replaced })
        const after = Option.getOrThrow(yield* stored())
        expect(after).toEqual(replaced)
        expect("rpm" in (after ?? {})).toBe(false)
        expect(after?.concurrency).toBeNull()

        // enabled alone leaves limits alone, and a disabled key is not verified at all.
        expect((yield* keys.update(user, { enabled: false })).limits).toEqual(replaced)
        expect(yield* keys.verify(Redacted.value(first.key))).toEqual(Option.none())
        const both = yield* keys.update(user, { enabled: true, limits: { rpm: 3 } })
        expect([both.enabled, both.limits]).toEqual([true, { rpm: 3 }])

        const second = yield* keys.regenerate(user)
        expect(second.record.limits).toEqual({ rpm: 3 })
        expect(yield* limitsOf(Redacted.value(second.key))).toEqual(Option.some({ rpm: 3 }))

        expect((yield* keys.update(user, { limits: {} })).limits).toBeNull()
        expect(yield* stored()).toEqual(Option.some(null))
        yield* keys.update(user, { limits: { rpm: 1 } })
        expect((yield* keys.update(user, { limits: null })).limits).toBeNull()
        expect(yield* limitsOf(Redacted.value(second.key))).toEqual(Option.some(null))

        // Every change was published: four on the first key, then the regenerate's new hash and three more.
        const published: Array<string> = []
        for (let i = 0; i < 8; i++) {
          const change = yield* changes.take
          published.push(change._tag === "ApiKeyChanged" ? change.keyHash : change._tag)
        }
        const [h1, h2] = [first.record.keyHash, second.record.keyHash]
        expect(published).toEqual([h1, h1, h1, h1, h2, h2, h2, h2])

        const stranger = yield* newUser(`u_${crypto.randomUUID().slice(0, 8)}`)
        expect((yield* Effect.flip(keys.update(stranger, { limits: { rpm: 1 } })))._tag).toBe(
          "ApiKeyNotFound"
        )
        expect(yield* stored()).toEqual(Option.some(null))
      }).pipe(Effect.scoped)
  )

  it.effect("verify refuses malformed keys and keys of the right shape that do not exist", () =>
    Effect.gen(function* () {
      const keys = yield* ApiKeys
      expect(yield* keys.verify("")).toEqual(Option.none())
      expect(yield* keys.verify("sk-not-ours")).toEqual(Option.none())
      expect(yield* keys.verify(Redacted.value(ApiKeyFormat.generate()))).toEqual(Option.none())
    })
  )

  it.effect("markUsed moves lastUsedAt forward only", () =>
    Effect.gen(function* () {
      const keys = yield* ApiKeys
      const repo = yield* ApiKeyRepo
      const user = yield* newUser(`u_${crypto.randomUUID().slice(0, 8)}`)
      const { record } = yield* keys.create(user)
      expect(record.lastUsedAt).toBeNull()
      const later = new Date(Date.now() + 60_000)
      yield* repo.markUsed([record.id], later)
      yield* repo.markUsed([record.id], new Date(Date.now() - 60_000))
      const stored = yield* repo.findByUser(user)
      expect(Option.map(stored, (r) => r.lastUsedAt?.getTime())).toEqual(Option.some(later.getTime()))
    })
  )
}

describe("ApiKeys", () => {
  layer(
    ApiKeys.layerWithRepo.pipe(
      Layer.provideMerge(Layer.mergeAll(ApiKeyRepo.layerMemory, ChangeFeed.layerMemory))
    )
  )("memory", (it) => contract(it, (id) => Effect.succeed(id)))

  layer(
    ApiKeys.layerWithRepo.pipe(
      Layer.provideMerge(Layer.mergeAll(ApiKeyRepo.layerPg, ChangeFeed.layerMemory)),
      Layer.provideMerge(TestDatabase.layer("apikeys", [authMigrations]))
    )
  )("postgres", (it) => contract(it, (id) => Effect.as(insertUser(id), id)))
})
