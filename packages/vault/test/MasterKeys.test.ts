import { createHash } from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import { type ConfigError, ConfigProvider, Effect, Either, Redacted } from "effect"
import * as MasterKeys from "../src/MasterKeys.ts"

const load = (env: Record<string, string>) =>
  Effect.either(
    Effect.withConfigProvider(MasterKeys.config, ConfigProvider.fromMap(new Map(Object.entries(env))))
  )

const invalid = (result: Either.Either<unknown, ConfigError.ConfigError>) => {
  if (Either.isRight(result)) throw new Error("expected a ConfigError")
  return String(result.left)
}

describe("MasterKeys", () => {
  it("derives the key id from the key: the first 16 hex characters of its SHA-256", () => {
    const key = MasterKeys.generate()
    const raw = Buffer.from(Redacted.value(key), "base64")
    const parsed = Either.getOrThrow(MasterKeys.parseKey(key))
    expect(parsed.id).toBe(createHash("sha256").update(raw).digest("hex").slice(0, 16))
    expect(Buffer.from(Redacted.value(parsed.material)).equals(raw)).toBe(true)
  })

  it.effect("reads the current key and comma-separated previous keys", () =>
    Effect.gen(function* () {
      const [current, older, oldest] = [MasterKeys.generate(), MasterKeys.generate(), MasterKeys.generate()]
      const keys = yield* Effect.flatten(
        load({
          VAULT_TOKEN_KEY: ` ${Redacted.value(current)}\n`,
          VAULT_PREVIOUS_KEYS: `${Redacted.value(older)}, ,${Redacted.value(oldest)},${Redacted.value(current)}`
        })
      )
      const ids = [current, older, oldest].map((key) => Either.getOrThrow(MasterKeys.parseKey(key)).id)
      expect(keys.current.id).toBe(ids[0])
      expect([...keys.byId.keys()].sort()).toEqual([...ids].sort())
    })
  )

  it.effect("previous keys are optional", () =>
    Effect.gen(function* () {
      const keys = yield* Effect.flatten(load({ VAULT_TOKEN_KEY: Redacted.value(MasterKeys.generate()) }))
      expect(keys.byId.size).toBe(1)
    })
  )

  it.effect("a missing VAULT_TOKEN_KEY is a ConfigError that says what to set", () =>
    Effect.gen(function* () {
      for (const env of [{}, { VAULT_TOKEN_KEY: "  " }]) {
        const message = invalid(yield* load(env))
        expect(message).toContain("VAULT_TOKEN_KEY")
        expect(message).toContain("is not set")
        expect(message).toContain("openssl rand -base64 32")
      }
    })
  )

  it.effect("a malformed VAULT_TOKEN_KEY is a ConfigError naming it, without echoing the value", () =>
    Effect.gen(function* () {
      const short = Buffer.alloc(16, 7).toString("base64")
      const long = Buffer.alloc(48, 7).toString("base64")
      for (const value of [short, long, "not base64 at all!", "c2stcHJvai1zZWNyZXQ"]) {
        const result = yield* load({ VAULT_TOKEN_KEY: value })
        expect(Either.isLeft(result) && result.left._op).toBe("InvalidData")
        const message = invalid(result)
        expect(message).toContain("VAULT_TOKEN_KEY")
        expect(message).toContain("32 random bytes")
        expect(message).not.toContain(value)
      }
    })
  )

  it.effect("a malformed previous key names VAULT_PREVIOUS_KEYS and its position", () =>
    Effect.gen(function* () {
      const bad = Buffer.alloc(31, 1).toString("base64")
      const message = invalid(
        yield* load({
          VAULT_TOKEN_KEY: Redacted.value(MasterKeys.generate()),
          VAULT_PREVIOUS_KEYS: `${Redacted.value(MasterKeys.generate())},${bad}`
        })
      )
      expect(message).toContain("VAULT_PREVIOUS_KEYS")
      expect(message).toContain("entry 2")
      expect(message).not.toContain(bad)
    })
  )

  it.effect("ENCRYPTION_KEY (seed 000's name) stands for VAULT_TOKEN_KEY; both set must agree", () =>
    Effect.gen(function* () {
      const key = Redacted.value(MasterKeys.generate())
      const other = Redacted.value(MasterKeys.generate())
      const alone = yield* load({ ENCRYPTION_KEY: key })
      const canonical = yield* load({ VAULT_TOKEN_KEY: key })
      expect(Either.isRight(alone) && Either.isRight(canonical)).toBe(true)
      if (Either.isRight(alone) && Either.isRight(canonical))
        expect(alone.right.current.id).toBe(canonical.right.current.id)
      // Laravel's `base64:` prefix, and the same key under both names.
      const laravel = yield* load({ ENCRYPTION_KEY: `base64:${key}`, VAULT_TOKEN_KEY: key })
      expect(Either.isRight(laravel) && Either.isRight(canonical) && laravel.right.current.id).toBe(
        Either.isRight(canonical) && canonical.right.current.id
      )
      const differ = invalid(yield* load({ ENCRYPTION_KEY: key, VAULT_TOKEN_KEY: other }))
      expect(differ).toContain("ENCRYPTION_KEY")
      expect(differ).toContain("VAULT_TOKEN_KEY")
      expect(differ).not.toContain(key)
      expect(differ).not.toContain(other)
      const bad = invalid(yield* load({ ENCRYPTION_KEY: "short" }))
      expect(bad).toContain("ENCRYPTION_KEY")
      expect(invalid(yield* load({}))).toContain("ENCRYPTION_KEY")
    })
  )

  it("key material prints as redacted", () => {
    const keys = MasterKeys.random()
    const raw = Buffer.from(Redacted.value(keys.current.material)).toString("base64")
    expect(JSON.stringify(keys.current)).not.toContain(raw)
    expect(String(keys.current.material)).toBe("<redacted>")
  })
})
