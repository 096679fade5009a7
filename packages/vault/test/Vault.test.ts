/**
 * One contract suite, run against both storages: memory and a real PostgreSQL database. Each test
 * gets fresh, empty storage; vaults with different master keys share it, as app instances with
 * different configurations share one database.
 */
import { inspect } from "node:util"
import { describe, expect, it } from "@effect/vitest"
import { TestDatabase } from "@switchyard/db/testing"
import { DecryptionError } from "@switchyard/domain"
import { Deferred, Effect, Either, Exit, Fiber, Layer, Logger, Option, Redacted, TestClock } from "effect"
import * as Envelope from "../src/Envelope.ts"
import * as MasterKeys from "../src/MasterKeys.ts"
import { vaultMigrations } from "../src/migrations/index.ts"
import { SECRET_LIST_LIMIT, Vault, type VaultService } from "../src/Vault.ts"
import * as VaultRepo from "../src/VaultRepo.ts"
import { decryptionFailure, keySet } from "./keys.ts"

const storages = [
  { name: "memory", layer: VaultRepo.layerMemory },
  {
    name: "postgres",
    layer: VaultRepo.layerPg.pipe(Layer.provide(TestDatabase.layer("vault_contract", [vaultMigrations])))
  }
]

const secretOf = (ownerId: string, provider: string) =>
  Redacted.make(`sk-${provider}-${ownerId}-0123456789abcdefghijklmnop`)

/** Ten secrets over five owners, in the order rotation walks them. */
const fleet = ["owner-0", "owner-1", "owner-2", "owner-3", "owner-4"].flatMap((ownerId) =>
  ["anthropic", "openai"].map((provider) => ({ ownerId, provider, secret: secretOf(ownerId, provider) }))
)

const getSecret = (vault: VaultService, ownerId: string, provider: string) =>
  vault.get(ownerId, provider).pipe(
    Effect.map(Option.getOrThrowWith(() => new Error(`no ${provider} secret for ${ownerId}`))),
    Effect.map(({ secret }) => Redacted.value(secret))
  )

/** Master key id of every stored record, by owner/provider. */
const keyIdsOf = (vault: VaultService, owners: ReadonlyArray<string>) =>
  Effect.map(
    Effect.forEach(owners, (owner) => vault.list(owner)),
    (lists) => lists.flat().map((m) => m.keyId)
  )

const flip = (bytes: Uint8Array) => {
  const copy = new Uint8Array(bytes)
  copy[0] = copy[0]! ^ 0x80
  return copy
}

for (const storage of storages) {
  describe(`Vault contract (${storage.name})`, () => {
    const test = (name: string, body: () => Effect.Effect<void, unknown, VaultRepo.VaultRepo>) =>
      it.effect(name, () => body().pipe(Effect.provide(storage.layer)))

    const keyA = MasterKeys.generate()
    const keyB = MasterKeys.generate()
    const onlyA = keySet(keyA)
    const onlyB = keySet(keyB)
    const bAfterA = keySet(keyB, keyA)

    test("round trip: put returns the metadata, get the secret", () =>
      Effect.gen(function* () {
        const vault = yield* Vault.make(onlyA)
        const secret = Redacted.make("sk-proj-0123456789abcdefWXYZ")
        const metadata = yield* vault.put({ ownerId: "u1", provider: "openai", secret })
        expect(metadata).toEqual({
          ownerId: "u1",
          provider: "openai",
          enabled: true,
          baseUrl: null,
          last4: "WXYZ",
          keyId: onlyA.current.id,
          createdAt: new Date(0),
          updatedAt: new Date(0)
        })
        const found = Option.getOrThrow(yield* vault.get("u1", "openai"))
        expect(Redacted.value(found.secret)).toBe("sk-proj-0123456789abcdefWXYZ")
        expect(found.metadata).toEqual(metadata)

        const local = yield* vault.put({
          ownerId: "u1",
          provider: "openai-compatible",
          secret: Redacted.make("short"),
          baseUrl: "http://127.0.0.1:11434/v1"
        })
        expect(local.baseUrl).toBe("http://127.0.0.1:11434/v1")
        // Four characters of a short secret would give most of it away.
        expect(local.last4).toBe("")
        expect(yield* getSecret(vault, "u1", "openai-compatible")).toBe("short")

        expect(yield* vault.get("u1", "anthropic")).toEqual(Option.none())
        expect(yield* vault.get("u2", "openai")).toEqual(Option.none())
      }))

    test("put replaces: new secret and base URL, createdAt kept, re-enabled", () =>
      Effect.gen(function* () {
        const vault = yield* Vault.make(onlyA)
        yield* vault.put({
          ownerId: "u1",
          provider: "openai",
          secret: secretOf("u1", "a"),
          baseUrl: "https://a.test"
        })
        yield* TestClock.adjust("1 minute")
        yield* vault.setEnabled("u1", "openai", false)
        yield* TestClock.adjust("1 minute")
        const replaced = yield* vault.put({
          ownerId: "u1",
          provider: "openai",
          secret: Redacted.make("sk-replacement-0123456789-LAST")
        })
        expect(replaced).toMatchObject({
          enabled: true,
          baseUrl: null,
          last4: "LAST",
          createdAt: new Date(0),
          updatedAt: new Date(120_000)
        })
        expect(yield* getSecret(vault, "u1", "openai")).toBe("sk-replacement-0123456789-LAST")
        expect(yield* vault.list("u1")).toHaveLength(1)
      }))

    test("list: metadata only, one owner's, by provider, bounded", () =>
      Effect.gen(function* () {
        const vault = yield* Vault.make(onlyA)
        for (const provider of ["openai", "anthropic", "google"]) {
          yield* vault.put({ ownerId: "u1", provider, secret: secretOf("u1", provider) })
        }
        yield* vault.put({ ownerId: "u2", provider: "xai", secret: secretOf("u2", "xai") })

        const list = yield* vault.list("u1")
        expect(list.map((m) => m.provider)).toEqual(["anthropic", "google", "openai"])
        for (const item of list) {
          expect(Object.keys(item).sort()).toEqual(
            ["baseUrl", "createdAt", "enabled", "keyId", "last4", "ownerId", "provider", "updatedAt"].sort()
          )
        }
        const json = JSON.stringify(list)
        for (const provider of ["openai", "anthropic", "google"]) {
          expect(json).not.toContain(Redacted.value(secretOf("u1", provider)))
        }
        expect((yield* vault.list("u2")).map((m) => m.provider)).toEqual(["xai"])
        expect(yield* vault.list("nobody")).toEqual([])

        for (let i = 0; i < SECRET_LIST_LIMIT + 5; i++) {
          yield* vault.put({
            ownerId: "many",
            provider: `p${String(i).padStart(3, "0")}`,
            secret: secretOf("many", "p")
          })
        }
        expect(yield* vault.list("many")).toHaveLength(SECRET_LIST_LIMIT)
      }))

    test("setEnabled and remove, including secrets that do not exist", () =>
      Effect.gen(function* () {
        const vault = yield* Vault.make(onlyA)
        yield* vault.put({ ownerId: "u1", provider: "openai", secret: secretOf("u1", "openai") })
        yield* TestClock.adjust("5 seconds")

        const disabled = Option.getOrThrow(yield* vault.setEnabled("u1", "openai", false))
        expect(disabled).toMatchObject({ enabled: false, createdAt: new Date(0), updatedAt: new Date(5_000) })
        // A disabled secret still decrypts: whether to use it is the caller's decision.
        const found = Option.getOrThrow(yield* vault.get("u1", "openai"))
        expect(found.metadata.enabled).toBe(false)
        expect(Redacted.value(found.secret)).toBe(Redacted.value(secretOf("u1", "openai")))
        expect(Option.getOrThrow(yield* vault.setEnabled("u1", "openai", true)).enabled).toBe(true)

        expect(yield* vault.setEnabled("u1", "anthropic", false)).toEqual(Option.none())
        expect(yield* vault.setEnabled("u2", "openai", false)).toEqual(Option.none())
        expect(yield* vault.get("u1", "anthropic")).toEqual(Option.none())

        expect(yield* vault.remove("u2", "openai")).toBe(false)
        expect(yield* vault.remove("u1", "openai")).toBe(true)
        expect(yield* vault.remove("u1", "openai")).toBe(false)
        expect(yield* vault.get("u1", "openai")).toEqual(Option.none())
        expect(yield* vault.list("u1")).toEqual([])
        expect(yield* vault.setEnabled("u1", "openai", true)).toEqual(Option.none())
      }))

    test("a flipped byte in the ciphertext, tag, nonce or wrapped key fails with DecryptionError", () =>
      Effect.gen(function* () {
        const vault = yield* Vault.make(onlyA)
        const repo = yield* VaultRepo.VaultRepo
        const fields = [
          "ciphertext",
          "tag",
          "nonce",
          "wrappedKey",
          "wrappedKeyNonce",
          "wrappedKeyTag"
        ] as const
        for (const field of fields) {
          yield* vault.put({ ownerId: "u1", provider: field, secret: secretOf("u1", field) })
          const record = Option.getOrThrow(yield* repo.find("u1", field))
          yield* repo.upsert({ ...record, [field]: flip(record[field]) })
          const error = yield* decryptionFailure(vault.get("u1", field))
          expect(error).toBeInstanceOf(DecryptionError)
          expect({ field, reason: error.reason, provider: error.provider }).toEqual({
            field,
            reason: "authentication_failed",
            provider: field
          })
        }
      }))

    test("a record copied to another owner or provider does not decrypt", () =>
      Effect.gen(function* () {
        const vault = yield* Vault.make(onlyA)
        const repo = yield* VaultRepo.VaultRepo
        yield* vault.put({ ownerId: "victim", provider: "openai", secret: secretOf("victim", "openai") })
        yield* vault.put({ ownerId: "attacker", provider: "openai", secret: secretOf("attacker", "openai") })
        const stolen = Option.getOrThrow(yield* repo.find("victim", "openai"))

        // Onto an existing row of another owner, onto a new row, and onto another provider.
        for (const target of [
          { ownerId: "attacker", provider: "openai" },
          { ownerId: "newcomer", provider: "openai" },
          { ownerId: "victim", provider: "anthropic" }
        ]) {
          yield* repo.upsert({ ...stolen, ...target })
          const error = yield* decryptionFailure(vault.get(target.ownerId, target.provider))
          expect(error).toBeInstanceOf(DecryptionError)
          expect(error.reason).toBe("authentication_failed")
          expect(error.message).toContain("copied from another owner or provider")
        }
        expect(yield* getSecret(vault, "victim", "openai")).toBe(Redacted.value(secretOf("victim", "openai")))
      }))

    test("a wrong or missing master key says which key is needed", () =>
      Effect.gen(function* () {
        yield* (yield* Vault.make(onlyA)).put({
          ownerId: "u1",
          provider: "openai",
          secret: secretOf("u1", "o")
        })
        const error = yield* decryptionFailure((yield* Vault.make(onlyB)).get("u1", "openai"))
        expect(error).toBeInstanceOf(DecryptionError)
        expect(error.reason).toBe("unknown_master_key")
        expect(error.keyId).toBe(onlyA.current.id)
        expect(error.message).toContain(
          `encrypted with master key ${onlyA.current.id}, which is not configured`
        )
        expect(error.message).toContain("set VAULT_PREVIOUS_KEYS")
        // Configured as a previous key, it reads again.
        expect(yield* getSecret(yield* Vault.make(bAfterA), "u1", "openai")).toBe(
          Redacted.value(secretOf("u1", "o"))
        )
      }))

    test("a secret prints as redacted through Effect's loggers, String, JSON and inspect", () =>
      Effect.gen(function* () {
        const vault = yield* Vault.make(onlyA)
        const plaintext = "sk-live-do-not-print-me-0123456789"
        yield* vault.put({ ownerId: "u1", provider: "openai", secret: Redacted.make(plaintext) })
        const found = Option.getOrThrow(yield* vault.get("u1", "openai"))

        const lines: Array<string> = []
        const capture = <O>(logger: Logger.Logger<unknown, O>) =>
          Logger.map(logger, (line) => {
            lines.push(typeof line === "string" ? line : JSON.stringify(line))
          })
        const loggers = Layer.mergeAll(
          Logger.replace(Logger.defaultLogger, capture(Logger.stringLogger)),
          Logger.add(capture(Logger.logfmtLogger)),
          Logger.add(capture(Logger.jsonLogger)),
          Logger.add(capture(Logger.structuredLogger))
        )
        yield* Effect.log("resolved credential", found.secret, found).pipe(
          Effect.annotateLogs({ secret: found.secret, found }),
          Effect.provide(loggers)
        )
        expect(lines).toHaveLength(4)
        for (const line of lines) {
          expect(line).not.toContain(plaintext)
          expect(line).toContain("<redacted>")
        }
        expect(String(found.secret)).toBe("<redacted>")
        expect(`${found.secret}`).toBe("<redacted>")
        expect(JSON.stringify(found)).not.toContain(plaintext)
        expect(JSON.stringify(found)).toContain("<redacted>")
        expect(inspect(found, { depth: 10 })).not.toContain(plaintext)
      }))

    test("rotation re-wraps every data key; then the old key can be dropped", () =>
      Effect.gen(function* () {
        const repo = yield* VaultRepo.VaultRepo
        const vaultA = yield* Vault.make(onlyA)
        for (const entry of fleet) yield* vaultA.put(entry)
        const before = Option.getOrThrow(yield* repo.find("owner-2", "openai"))

        const rotating = yield* Vault.make(bAfterA)
        const progress: Array<number> = []
        const result = yield* rotating.rotate({
          batchSize: 3,
          onProgress: ({ rewrapped }) => Effect.sync(() => progress.push(rewrapped))
        })
        expect(result).toEqual({ rewrapped: fleet.length, keyId: onlyB.current.id, unreadable: [] })
        expect(progress).toEqual([3, 6, 9, 10])
        expect(
          new Set(yield* keyIdsOf(rotating, ["owner-0", "owner-1", "owner-2", "owner-3", "owner-4"]))
        ).toEqual(new Set([onlyB.current.id]))

        // Only the data key moved: the secret's own ciphertext is untouched.
        const after = Option.getOrThrow(yield* repo.find("owner-2", "openai"))
        expect(Buffer.from(after.ciphertext).equals(Buffer.from(before.ciphertext))).toBe(true)
        expect(Buffer.from(after.wrappedKey).equals(Buffer.from(before.wrappedKey))).toBe(false)

        const vaultB = yield* Vault.make(onlyB)
        for (const entry of fleet) {
          expect(yield* getSecret(vaultB, entry.ownerId, entry.provider)).toBe(Redacted.value(entry.secret))
        }
        expect((yield* decryptionFailure(vaultA.get("owner-0", "openai"))).reason).toBe("unknown_master_key")
        expect((yield* rotating.rotate()).rewrapped).toBe(0)
      }))

    test("rotation interrupted half-way, then run again, finishes", () =>
      Effect.gen(function* () {
        const vaultA = yield* Vault.make(onlyA)
        for (const entry of fleet) yield* vaultA.put(entry)
        const rotating = yield* Vault.make(bAfterA)

        // Interrupted from outside once its first batch has committed.
        const firstBatch = yield* Deferred.make<void>()
        const fiber = yield* Effect.fork(
          rotating.rotate({
            batchSize: 3,
            onProgress: () => Deferred.succeed(firstBatch, undefined).pipe(Effect.zipRight(Effect.never))
          })
        )
        yield* Deferred.await(firstBatch)
        const exit = yield* Fiber.interrupt(fiber)
        expect(Exit.isInterrupted(exit)).toBe(true)

        const owners = ["owner-0", "owner-1", "owner-2", "owner-3", "owner-4"]
        const ids = yield* keyIdsOf(rotating, owners)
        expect(ids.filter((id) => id === onlyB.current.id)).toHaveLength(3)
        expect(ids.filter((id) => id === onlyA.current.id)).toHaveLength(7)
        // Half-way, every secret is readable with both keys configured.
        for (const entry of fleet) {
          expect(yield* getSecret(rotating, entry.ownerId, entry.provider)).toBe(Redacted.value(entry.secret))
        }

        expect(yield* rotating.rotate({ batchSize: 3 })).toMatchObject({ rewrapped: 7, unreadable: [] })
        const vaultB = yield* Vault.make(onlyB)
        for (const entry of fleet) {
          expect(yield* getSecret(vaultB, entry.ownerId, entry.provider)).toBe(Redacted.value(entry.secret))
        }
      }))

    test("rotation beside concurrent puts keeps the newest secret", () =>
      Effect.gen(function* () {
        const vaultA = yield* Vault.make(onlyA)
        for (const entry of fleet) yield* vaultA.put(entry)
        const rotating = yield* Vault.make(bAfterA)
        const replaced = Redacted.make("sk-put-during-rotation-0123456789")
        const staleInstance = Redacted.make("sk-put-by-an-instance-still-on-key-a")

        let batches = 0
        const result = yield* rotating.rotate({
          batchSize: 3,
          onProgress: () =>
            batches++ > 0
              ? Effect.void
              : Effect.gen(function* () {
                  // Ahead of the rotation: one put under the new key, one by an instance on the old key.
                  yield* rotating.put({ ownerId: "owner-4", provider: "openai", secret: replaced })
                  yield* vaultA.put({ ownerId: "owner-3", provider: "anthropic", secret: staleInstance })
                }).pipe(Effect.orDie)
        })
        expect(result).toMatchObject({ rewrapped: fleet.length - 1, unreadable: [] })

        const vaultB = yield* Vault.make(onlyB)
        expect(yield* getSecret(vaultB, "owner-4", "openai")).toBe(Redacted.value(replaced))
        expect(yield* getSecret(vaultB, "owner-3", "anthropic")).toBe(Redacted.value(staleInstance))
        expect(yield* getSecret(vaultB, "owner-0", "openai")).toBe(
          Redacted.value(secretOf("owner-0", "openai"))
        )
      }))

    test("a re-wrap computed before a concurrent put is not applied over it", () =>
      Effect.gen(function* () {
        const repo = yield* VaultRepo.VaultRepo
        const vaultA = yield* Vault.make(onlyA)
        yield* vaultA.put({ ownerId: "u1", provider: "openai", secret: secretOf("u1", "old") })
        const stale = Option.getOrThrow(yield* repo.find("u1", "openai"))
        const step = { from: stale, to: Either.getOrThrow(Envelope.rewrap(stale, stale, bAfterA)) }

        yield* (yield* Vault.make(bAfterA)).put({
          ownerId: "u1",
          provider: "openai",
          secret: secretOf("u1", "new")
        })
        expect(yield* repo.rewrap([step])).toBe(0)
        expect(yield* getSecret(yield* Vault.make(onlyB), "u1", "openai")).toBe(
          Redacted.value(secretOf("u1", "new"))
        )
      }))

    test("rotation skips and reports records it cannot read, and still finishes", () =>
      Effect.gen(function* () {
        const repo = yield* VaultRepo.VaultRepo
        for (const entry of fleet) yield* (yield* Vault.make(onlyA)).put(entry)
        const unknownKey = keySet(MasterKeys.generate())
        yield* (yield* Vault.make(unknownKey)).put({
          ownerId: "owner-1",
          provider: "google",
          secret: secretOf("x", "y")
        })
        const record = Option.getOrThrow(yield* repo.find("owner-2", "anthropic"))
        yield* repo.upsert({ ...record, tag: flip(record.tag) })

        const rotating = yield* Vault.make(bAfterA)
        for (let run = 0; run < 2; run++) {
          const result = yield* rotating.rotate({ batchSize: 2 })
          expect(result.rewrapped).toBe(run === 0 ? fleet.length - 1 : 0)
          expect(result.unreadable.map((e) => [e.ownerId, e.provider, e.reason, e.keyId])).toEqual([
            ["owner-1", "google", "unknown_master_key", unknownKey.current.id],
            ["owner-2", "anthropic", "authentication_failed", onlyA.current.id]
          ])
        }
      }))
  })
}

describe("Vault.layerMemory", () => {
  it.effect("works with no configuration, under a fresh key per layer", () =>
    Effect.gen(function* () {
      const vault = yield* Vault
      const metadata = yield* vault.put({
        ownerId: "u1",
        provider: "openai",
        secret: secretOf("u1", "openai")
      })
      expect(yield* getSecret(vault, "u1", "openai")).toBe(Redacted.value(secretOf("u1", "openai")))
      expect(metadata.keyId).toMatch(/^[0-9a-f]{16}$/)
    }).pipe(Effect.provide(Vault.layerMemory))
  )
})
