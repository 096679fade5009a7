/**
 * What only PostgreSQL can show: the stored rows themselves, edited with plain SQL as an attacker
 * with database access would, the configured layer, a rotation cut off inside a transaction, and
 * the `vault:rotate` command.
 */
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { TestDatabase } from "@switchyard/db/testing"
import { DecryptionError } from "@switchyard/domain"
import { ConfigProvider, Deferred, Effect, Exit, Fiber, Layer, Option, Redacted, Schedule } from "effect"
import * as MasterKeys from "../src/MasterKeys.ts"
import { vaultMigrations } from "../src/migrations/index.ts"
import { Vault, type VaultService } from "../src/Vault.ts"
import * as VaultRepo from "../src/VaultRepo.ts"
import { decryptionFailure, keySet } from "./keys.ts"

const storage = Layer.provideMerge(VaultRepo.layerPg, TestDatabase.layer("vault_pg", [vaultMigrations]))

type Env = VaultRepo.VaultRepo | SqlClient.SqlClient | TestDatabase.TestDatabaseUrl
const test = (name: string, body: () => Effect.Effect<void, unknown, Env>) =>
  it.effect(name, () => body().pipe(Effect.provide(storage)))
const liveTest = (name: string, body: () => Effect.Effect<void, unknown, Env>) =>
  it.live(name, () => body().pipe(Effect.provide(storage)))

const keyA = MasterKeys.generate()
const keyB = MasterKeys.generate()
const onlyA = keySet(keyA)
const onlyB = keySet(keyB)
const bAfterA = keySet(keyB, keyA)

const plaintextOf = (ownerId: string, provider: string) => `sk-${provider}-${ownerId}-Zq8vN3xR7tL2wP9k`

const fleet = ["owner-0", "owner-1", "owner-2", "owner-3", "owner-4"].flatMap((ownerId) =>
  ["anthropic", "openai"].map((provider) => ({
    ownerId,
    provider,
    secret: Redacted.make(plaintextOf(ownerId, provider))
  }))
)

const reveal = (vault: VaultService, ownerId: string, provider: string) =>
  vault.get(ownerId, provider).pipe(Effect.map((found) => Redacted.value(Option.getOrThrow(found).secret)))

const keyIdCounts = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) => sql<{ keyId: string; count: number }>`
    SELECT key_id, count(*)::int AS count FROM vault_secrets GROUP BY key_id`
).pipe(Effect.map((rows) => Object.fromEntries(rows.map((row) => [row.keyId, row.count]))))

describe("Vault on PostgreSQL", () => {
  test("the plaintext appears nowhere in the stored rows, in any encoding", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const vault = yield* Vault.make(onlyA)
      for (const entry of fleet) yield* vault.put({ ...entry, baseUrl: "https://api.example.test/v1" })
      const rows = yield* sql<{ row: string }>`SELECT t::text AS row FROM vault_secrets t`
      expect(rows).toHaveLength(fleet.length)
      const dump = rows.map((r) => r.row).join("\n")
      expect(dump).toContain("https://api.example.test/v1")
      for (const { ownerId, provider } of fleet) {
        const plaintext = plaintextOf(ownerId, provider)
        const bytes = Buffer.from(plaintext, "utf8")
        for (const encoding of [
          plaintext,
          plaintext.slice(0, -4),
          bytes.toString("hex"),
          bytes.subarray(0, 12).toString("hex"),
          bytes.toString("base64")
        ]) {
          expect(dump.toLowerCase()).not.toContain(encoding.toLowerCase())
        }
      }
    }))

  test("a byte flipped with SQL in the ciphertext, tag, nonce or wrapped key fails with DecryptionError", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const vault = yield* Vault.make(onlyA)
      const columns = ["ciphertext", "tag", "nonce", "wrapped_key", "wrapped_key_nonce", "wrapped_key_tag"]
      for (const column of columns) {
        yield* vault.put({
          ownerId: "u1",
          provider: column,
          secret: Redacted.make(plaintextOf("u1", column))
        })
        yield* sql`
          UPDATE vault_secrets SET ${sql(column)} = set_byte(${sql(column)}, 3, get_byte(${sql(column)}, 3) # 1)
          WHERE owner_id = 'u1' AND provider = ${column}`
        const error = yield* decryptionFailure(vault.get("u1", column))
        expect(error).toBeInstanceOf(DecryptionError)
        expect({ column, reason: error.reason }).toEqual({ column, reason: "authentication_failed" })
      }
      // A tag cut short with SQL is rejected outright, not checked against fewer bytes.
      yield* vault.put({
        ownerId: "u1",
        provider: "short-tag",
        secret: Redacted.make(plaintextOf("u1", "s"))
      })
      yield* sql`UPDATE vault_secrets SET tag = substring(tag FROM 1 FOR 8) WHERE provider = 'short-tag'`
      expect((yield* decryptionFailure(vault.get("u1", "short-tag"))).reason).toBe("malformed")
    }))

  test("rows copied with SQL onto another owner or provider do not decrypt", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const vault = yield* Vault.make(onlyA)
      yield* vault.put({
        ownerId: "victim",
        provider: "openai",
        secret: Redacted.make(plaintextOf("victim", "o"))
      })
      yield* vault.put({
        ownerId: "attacker",
        provider: "openai",
        secret: Redacted.make(plaintextOf("attacker", "o"))
      })
      const envelope = sql.literal(
        "ciphertext, nonce, tag, wrapped_key, wrapped_key_nonce, wrapped_key_tag, key_id"
      )

      // A new row for another owner, built from the victim's.
      yield* sql`
        INSERT INTO vault_secrets (owner_id, provider, ${envelope}, last4)
        SELECT 'thief', provider, ${envelope}, last4 FROM vault_secrets WHERE owner_id = 'victim'`
      // The attacker's own row overwritten with the victim's envelope.
      yield* sql`
        UPDATE vault_secrets AS a SET (${envelope}) = (
          SELECT ${envelope} FROM vault_secrets WHERE owner_id = 'victim' AND provider = 'openai')
        WHERE a.owner_id = 'attacker'`
      // The victim's row moved to another provider.
      yield* sql`
        INSERT INTO vault_secrets (owner_id, provider, ${envelope}, last4)
        SELECT owner_id, 'anthropic', ${envelope}, last4 FROM vault_secrets WHERE owner_id = 'victim'`

      for (const [ownerId, provider] of [
        ["thief", "openai"],
        ["attacker", "openai"],
        ["victim", "anthropic"]
      ] as const) {
        const error = yield* decryptionFailure(vault.get(ownerId, provider))
        expect(error).toBeInstanceOf(DecryptionError)
        expect(error.reason).toBe("authentication_failed")
      }
      expect(yield* reveal(vault, "victim", "openai")).toBe(plaintextOf("victim", "o"))
    }))

  test("Vault.layerPg reads VAULT_TOKEN_KEY and VAULT_PREVIOUS_KEYS, and names a missing key", () =>
    Effect.gen(function* () {
      const configured = (env: Record<string, string>) =>
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
      yield* (yield* Vault.make(onlyA)).put({ ownerId: "u1", provider: "openai", secret: fleet[0]!.secret })

      const secret = yield* Effect.flatMap(Vault, (vault) => reveal(vault, "u1", "openai")).pipe(
        Effect.provide(Vault.layerPg),
        configured({ VAULT_TOKEN_KEY: Redacted.value(keyB), VAULT_PREVIOUS_KEYS: Redacted.value(keyA) })
      )
      expect(secret).toBe(Redacted.value(fleet[0]!.secret))

      const missing = yield* Effect.flip(Vault.pipe(Effect.provide(Vault.layerPg), configured({})))
      expect(String(missing)).toContain("VAULT_TOKEN_KEY")
      expect(String(missing)).toContain("is not set")
    }))

  liveTest("a rotation interrupted inside a batch rolls that batch back; run again, it finishes", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const vaultA = yield* Vault.make(onlyA)
      for (const entry of fleet) yield* vaultA.put(entry)
      const rotating = yield* Vault.make(bAfterA)

      // Another transaction holds the fifth row, so the second batch blocks half-way through.
      const locked = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const locker = yield* Effect.fork(
        sql.withTransaction(
          Effect.gen(function* () {
            yield* sql`SELECT 1 FROM vault_secrets WHERE owner_id = 'owner-2' AND provider = 'anthropic' FOR UPDATE`
            yield* Deferred.succeed(locked, undefined)
            yield* Deferred.await(release)
          })
        )
      )
      yield* Deferred.await(locked)
      const rotation = yield* Effect.fork(rotating.rotate({ batchSize: 3 }))
      yield* sql<{ waiting: number }>`
        SELECT count(*)::int AS waiting FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'`.pipe(
        Effect.repeat({ until: (rows) => rows[0]!.waiting > 0, schedule: Schedule.spaced("10 millis") })
      )

      // Interrupting cancels the blocked statement; the second batch, half applied, rolls back.
      expect(Exit.isInterrupted(yield* Fiber.interrupt(rotation))).toBe(true)
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(locker)
      expect(yield* keyIdCounts).toEqual({ [onlyB.current.id]: 3, [onlyA.current.id]: 7 })

      expect(yield* rotating.rotate({ batchSize: 3 })).toMatchObject({ rewrapped: 7, unreadable: [] })
      const vaultB = yield* Vault.make(onlyB)
      for (const entry of fleet) {
        expect(yield* reveal(vaultB, entry.ownerId, entry.provider)).toBe(Redacted.value(entry.secret))
      }
    })
  )

  liveTest("`vault:rotate` migrates, re-wraps under bun, and fails loudly on what it cannot read", () =>
    Effect.gen(function* () {
      const url = Redacted.value(yield* TestDatabase.TestDatabaseUrl)
      const vaultA = yield* Vault.make(onlyA)
      for (const entry of fleet) yield* vaultA.put(entry)

      const first = yield* runRotate({
        POSTGRES_CONNECTION_STRING: url,
        VAULT_TOKEN_KEY: Redacted.value(keyB),
        VAULT_PREVIOUS_KEYS: Redacted.value(keyA)
      })
      expect(first.stderr).toBe("")
      expect(first.code).toBe(0)
      expect(first.stdout).toContain(
        `re-wrapped ${fleet.length} data key(s) under master key ${onlyB.current.id}`
      )
      expect(yield* keyIdCounts).toEqual({ [onlyB.current.id]: fleet.length })

      // Now with only a new key C configured (B forgotten): every record is unreadable and said so.
      const keyC = MasterKeys.generate()
      const second = yield* runRotate({
        POSTGRES_CONNECTION_STRING: url,
        VAULT_TOKEN_KEY: Redacted.value(keyC),
        VAULT_PREVIOUS_KEYS: ""
      })
      expect(second.code).toBe(1)
      expect(second.stdout).toContain("re-wrapped 0 data key(s)")
      expect(second.stderr).toContain(
        `was encrypted with master key ${onlyB.current.id}, which is not configured`
      )
      expect(second.stderr).toContain(`${fleet.length} secret(s) could not be re-wrapped`)
      for (const output of [first.stdout, first.stderr, second.stdout, second.stderr]) {
        expect(output).not.toContain(Redacted.value(keyA))
        expect(output).not.toContain(plaintextOf("owner-0", "openai"))
      }
    })
  )
})

const rotateScript = fileURLToPath(new URL("../src/bin/rotate.ts", import.meta.url))

/** Runs the rotation command the way `bun run vault:rotate` does, with only the given variables. */
const runRotate = (env: Record<string, string>) =>
  Effect.async<{ code: number; stdout: string; stderr: string }>((resume) => {
    execFile(
      "bun",
      [rotateScript],
      { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1
        resume(Effect.succeed({ code, stdout, stderr }))
      }
    )
  })
