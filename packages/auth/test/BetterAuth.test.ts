import { createHash, createHmac } from "node:crypto"
import { SqlClient } from "@effect/sql"
import { describe, expect, it, layer } from "@effect/vitest"
import { TestDatabase } from "@switchyard/db/testing"
import { getMigrations } from "better-auth/db/migration"
import { ConfigProvider, Effect, Layer, Option, Redacted } from "effect"
import pg from "pg"
import { authMigrations } from "../src/AuthMigrations.ts"
import { AUTH_BASE_PATH, BetterAuth, optionsFromConfig } from "../src/BetterAuth.ts"
import { ChangeFeed } from "../src/ChangeFeed.ts"
import hashSessionTokens from "../src/migrations/0005_hashed_session_tokens.ts"
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

/** `value` signed as better-auth signs its cookies (HMAC-SHA256, base64), URL-encoded as it sends it. */
const sign = (value: string) =>
  encodeURIComponent(
    createHmac("sha256", "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz").update(value).digest("base64")
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
    it.scoped("our migrations leave better-auth nothing to create or add", () =>
      Effect.gen(function* () {
        const { auth } = yield* BetterAuth
        // better-auth's migrator wants the database itself, not our (hashing) adapter around it.
        const pool = yield* Effect.acquireRelease(
          Effect.map(
            TestDatabase.TestDatabaseUrl,
            (url) => new pg.Pool({ connectionString: Redacted.value(url) })
          ),
          (p) => Effect.promise(() => p.end())
        )
        const pending = yield* Effect.promise(() => getMigrations({ ...auth.options, database: pool }))
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

    it.effect("session tokens are stored hashed: a database read gives nothing that signs in", () =>
      Effect.gen(function* () {
        const ba = yield* BetterAuth
        const verifier = yield* UserTokenVerifier
        const sql = yield* SqlClient.SqlClient
        const email = `h-${crypto.randomUUID().slice(0, 8)}@example.com`
        const password = Redacted.make("correct-horse-battery")
        yield* ba.register({ email, password, name: "H" }, "10.0.0.2")
        const signed = Redacted.value(yield* ba.login({ email, password }, "10.0.0.2"))
        const token = signed.split(".")[0]!
        const user = Option.getOrThrow(yield* ba.getUser(new Headers({ authorization: `Bearer ${signed}` })))

        const stored = yield* sql<{
          token: string
        }>`SELECT "token" FROM "session" WHERE "userId" = ${user.id}`
        expect(stored).toHaveLength(2)
        for (const row of stored) expect(row.token).toMatch(/^[0-9a-f]{64}$/)
        expect(stored.map((r) => r.token)).toContain(createHash("sha256").update(token).digest("hex"))
        expect(JSON.stringify(stored)).not.toContain(token)

        // What a database read alone gives, presented every way a client can: refused everywhere.
        // (Signing it needs BETTER_AUTH_SECRET as well; the router refuses even that.)
        for (const { token: leaked } of stored) {
          for (const headers of [
            { authorization: `Bearer ${leaked}` },
            { authorization: `Bearer ${leaked}.forged` },
            { cookie: `better-auth.session_token=${leaked}` },
            { cookie: `better-auth.session_token=${leaked}.forged` }
          ]) {
            expect(yield* ba.getUser(new Headers(headers))).toEqual(Option.none())
          }
          expect(yield* verifier.verify(leaked)).toEqual(Option.none())
          expect(yield* verifier.verify(`${leaked}.${sign(leaked)}`)).toEqual(Option.none())
        }
        // The token the client holds still works, signed (better-auth) or bare (router).
        expect(yield* verifier.verify(token)).toEqual(Option.some({ userId: user.id }))
        const cookie = `better-auth.session_token=${encodeURIComponent(signed)}`
        expect(Option.isSome(yield* ba.getUser(new Headers({ cookie })))).toBe(true)

        // Listing shows stored hashes; revoking one of them by that value still works.
        const listed = yield* Effect.promise(() =>
          ba.auth.api.listSessions({ headers: new Headers({ cookie }) })
        )
        const other = listed.map((s) => s.token).find((t) => t !== token)!
        expect(other).toMatch(/^[0-9a-f]{64}$/)
        yield* Effect.promise(() =>
          ba.auth.api.revokeSession({ headers: new Headers({ cookie }), body: { token: other } })
        )
        expect(yield* sql`SELECT 1 FROM "session" WHERE "userId" = ${user.id}`).toHaveLength(1)
      })
    )

    it.effect("sessions stored before the upgrade are hashed by the migration and keep working", () =>
      Effect.gen(function* () {
        const ba = yield* BetterAuth
        const verifier = yield* UserTokenVerifier
        const sql = yield* SqlClient.SqlClient
        const email = `legacy-${crypto.randomUUID().slice(0, 8)}@example.com`
        yield* ba.register({ email, password: Redacted.make("correct-horse-battery"), name: "L" }, "10.0.0.3")
        const [{ id: userId }] = yield* sql<{ id: string }>`SELECT "id" FROM "user" WHERE "email" = ${email}`
        // A row as the previous version wrote it: the token itself.
        const legacy = `Legacy${crypto.randomUUID().replaceAll("-", "").slice(0, 26)}`
        yield* sql`INSERT INTO "session" ("id", "expiresAt", "token", "updatedAt", "userId")
                   VALUES (${crypto.randomUUID()}, now() + interval '1 hour', ${legacy}, now(), ${userId})`
        yield* hashSessionTokens
        yield* hashSessionTokens // idempotent
        const stored = yield* sql<{ token: string }>`SELECT "token" FROM "session" WHERE "userId" = ${userId}`
        expect(stored.map((r) => r.token)).toContain(createHash("sha256").update(legacy).digest("hex"))
        expect(JSON.stringify(stored)).not.toContain(legacy)
        expect(yield* verifier.verify(legacy)).toEqual(Option.some({ userId }))
        const user = yield* ba.getUser(new Headers({ authorization: `Bearer ${legacy}.${sign(legacy)}` }))
        expect(Option.map(user, (u) => u.id)).toEqual(Option.some(userId))
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
