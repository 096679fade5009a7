import { describe, expect, it, layer } from "@effect/vitest"
import { TestDatabase } from "@switchyard/db/testing"
import { getMigrations } from "better-auth/db/migration"
import { ConfigProvider, Effect, Layer, Option, Redacted } from "effect"
import { authMigrations } from "../src/AuthMigrations.ts"
import { AUTH_BASE_PATH, BetterAuth, optionsFromConfig } from "../src/BetterAuth.ts"
import { ChangeFeed } from "../src/ChangeFeed.ts"
import { SignInLockout } from "../src/SignInLockout.ts"
import { trustedOriginsConfig } from "../src/TrustedOrigins.ts"
import { UserTokenVerifier } from "../src/UserTokenVerifier.ts"

const auth = Layer.unwrapEffect(
  Effect.map(TestDatabase.TestDatabaseUrl, (databaseUrl) =>
    BetterAuth.layer({
      databaseUrl,
      secret: Redacted.make("test-secret-0123456789-abcdefghijklmnopqrstuvwxyz"),
      baseUrl: "http://localhost:8000",
      trustedOrigins: ["http://localhost:3000"],
      github: Option.none(),
      credentialRateLimit: { window: 60, max: 100 }
    })
  )
)

const stack = Layer.mergeAll(
  auth.pipe(Layer.provide(SignInLockout.layerPg())),
  UserTokenVerifier.layer()
).pipe(
  Layer.provideMerge(ChangeFeed.layerMemory),
  Layer.provideMerge(TestDatabase.layer("betterauth", [authMigrations]))
)

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  Effect.flatMap(BetterAuth, ({ auth }) =>
    Effect.promise(() =>
      auth.handler(
        new Request(`http://localhost:8000${AUTH_BASE_PATH}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body: JSON.stringify(body)
        })
      )
    )
  )

describe("BetterAuth", () => {
  layer(stack, { excludeTestServices: true })((it) => {
    it.effect("our migrations leave better-auth nothing to create or add", () =>
      Effect.gen(function* () {
        const { auth } = yield* BetterAuth
        const pending = yield* Effect.promise(() => getMigrations(auth.options))
        expect(pending.toBeCreated).toEqual([])
        expect(pending.toBeAdded).toEqual([])
      })
    )

    it.effect(
      "register/login give bearer tokens that getUser and UserTokenVerifier accept until sign-out",
      () =>
        Effect.gen(function* () {
          const ba = yield* BetterAuth
          const verifier = yield* UserTokenVerifier
          const email = `t-${crypto.randomUUID().slice(0, 8)}@example.com`
          const password = Redacted.make("correct-horse-battery")
          const registered = yield* ba.register({ email, password, name: "T" }, "10.0.0.1")
          const token = Redacted.value(yield* ba.login({ email, password }, "10.0.0.1"))
          const user = yield* ba.getUser(new Headers({ authorization: `Bearer ${token}` }))
          expect(Option.map(user, (u) => u.email)).toEqual(Option.some(email))
          const userId = Option.getOrThrow(user).id

          expect(yield* verifier.verify(token)).toEqual(Option.some({ userId }))
          // The bare session token and the URL-encoded form work too.
          expect(yield* verifier.verify(token.split(".")[0]!)).toEqual(Option.some({ userId }))
          expect(yield* verifier.verify(encodeURIComponent(token))).toEqual(Option.some({ userId }))
          expect(yield* verifier.verify("nope")).toEqual(Option.none())
          expect(yield* verifier.verify("")).toEqual(Option.none())

          // Signing out ends that session only; the feed tells the verifier at once.
          const signOut = yield* post("/sign-out", {}, { authorization: `Bearer ${token}` })
          expect(signOut.status).toBe(200)
          yield* Effect.repeatN(Effect.yieldNow(), 20)
          expect(yield* verifier.verify(token)).toEqual(Option.none())
          expect(yield* ba.getUser(new Headers({ authorization: `Bearer ${token}` }))).toEqual(Option.none())
          const first = Redacted.value(registered)
          expect(yield* verifier.verify(first)).toEqual(Option.some({ userId }))

          const wrong = yield* Effect.flip(
            ba.login({ email, password: Redacted.make("wrong-password-1") }, "10.0.0.1")
          )
          expect(wrong._tag).toBe("InvalidCredentials")
          const taken = yield* Effect.flip(ba.register({ email, password, name: "T" }, "10.0.0.1"))
          expect(taken._tag).toBe("EmailTaken")
        })
    )

    it.effect("better-auth's own Origin check trusts exactly the configured origins on cookie changes", () =>
      Effect.gen(function* () {
        const { auth } = yield* BetterAuth
        const email = `o-${crypto.randomUUID().slice(0, 8)}@example.com`
        const signUp = yield* post("/sign-up/email", { email, password: "correct-horse-battery", name: "O" })
        const cookie = signUp.headers.get("set-cookie")!.split(";")[0]!
        const update = (origin: string | undefined) =>
          post("/update-user", { name: "Changed" }, { cookie, ...(origin === undefined ? {} : { origin }) })
        expect((yield* update("http://evil.example")).status).toBe(403)
        expect((yield* update(undefined)).status).toBe(403)
        expect((yield* update("http://localhost:3000")).status).toBe(200)
        expect((yield* update("http://localhost:8000")).status).toBe(200)
        expect(auth.options.trustedOrigins).toEqual(["http://localhost:3000"])
      })
    )
  })
})

describe("trustedOriginsConfig", () => {
  const read = (entries: Array<[string, string]>) =>
    Effect.withConfigProvider(trustedOriginsConfig, ConfigProvider.fromMap(new Map(entries)))

  it.effect("CORS_ORIGIN's origins plus the base URL's own origin, for CORS, the guard and better-auth", () =>
    Effect.gen(function* () {
      expect(yield* read([])).toEqual({
        baseUrl: "http://localhost:8000",
        cors: ["http://localhost:3000"],
        all: ["http://localhost:3000", "http://localhost:8000"]
      })
      const both = yield* read([
        ["CORS_ORIGIN", "https://app.example.com, https://admin.example.com/"],
        ["BETTER_AUTH_BASE_URL", "https://api.example.com/base"]
      ])
      expect(both.all).toEqual([
        "https://app.example.com",
        "https://admin.example.com",
        "https://api.example.com"
      ])
      const optionsAll = yield* Effect.withConfigProvider(
        optionsFromConfig,
        ConfigProvider.fromMap(
          new Map([
            ["CORS_ORIGIN", "https://app.example.com"],
            ["BETTER_AUTH_BASE_URL", "https://api.example.com"],
            ["POSTGRES_CONNECTION_STRING", "postgres://x"],
            ["BETTER_AUTH_SECRET", "s".repeat(32)]
          ])
        )
      )
      expect(optionsAll.trustedOrigins).toEqual(["https://app.example.com", "https://api.example.com"])
      const bad = yield* Effect.flip(read([["CORS_ORIGIN", "app.example.com"]]))
      expect(String(bad)).toContain("CORS_ORIGIN")
    })
  )
})
