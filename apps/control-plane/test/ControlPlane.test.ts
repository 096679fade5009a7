import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import pg from "pg"
import { CORS_ORIGIN, call, newUser, Server, seen, serverLayer } from "./harness.ts"

const oversized = "x".repeat(4097)

describe("control plane over HTTP", () => {
  layer(serverLayer("cp_flow", { credentialRateLimit: { window: 60, max: 1000 } }), {
    excludeTestServices: true
  })((it) => {
    it.effect("health, docs and the OpenAPI document", () =>
      Effect.gen(function* () {
        const health = yield* call("GET", "/health")
        expect(health.status).toBe(200)
        expect(health.body.status).toBe("ok")
        expect(Object.keys(health.body.checks).sort()).toEqual(["changeFeed", "database", "migrations"])
        const docs = yield* call("GET", "/docs")
        expect(docs.status).toBe(200)
        expect(docs.text).toContain("swagger")
        const spec = yield* call("GET", "/openapi.json")
        expect(Object.keys(spec.body.paths)).toEqual(
          expect.arrayContaining([
            "/health",
            "/auth/login",
            "/v1/apikey",
            "/v1/apikey/verify",
            "/v1/secret/{provider}"
          ])
        )
      })
    )

    it.effect("better-auth: sign up and in with a cookie, set hasCompletedOnboarding, sign out", () =>
      Effect.gen(function* () {
        const email = `web-${crypto.randomUUID().slice(0, 8)}@example.com`
        const signUp = yield* call("POST", "/api/auth/sign-up/email", {
          json: { email, password: "correct-horse-battery", name: "Web" },
          headers: { origin: CORS_ORIGIN }
        })
        expect(signUp.status).toBe(200)
        const signIn = yield* call("POST", "/api/auth/sign-in/email", {
          json: { email, password: "correct-horse-battery" },
          headers: { origin: CORS_ORIGIN }
        })
        expect(signIn.status).toBe(200)
        const cookie = signIn.headers.get("set-cookie")!.split(";")[0]!
        expect(cookie).toMatch(/^better-auth\.session_token=/)

        const me = yield* call("GET", "/auth/me", { cookie })
        expect(me.status).toBe(200)
        expect(me.body).toMatchObject({ email, name: "Web", hasCompletedOnboarding: false })

        // A browser sends its page's Origin with every change (cookie changes need a trusted one).
        const update = yield* call("POST", "/api/auth/update-user", {
          cookie,
          headers: { origin: CORS_ORIGIN },
          json: { hasCompletedOnboarding: true }
        })
        expect(update.status).toBe(200)
        expect((yield* call("GET", "/auth/me", { cookie })).body.hasCompletedOnboarding).toBe(true)

        // No GitHub credentials configured: GitHub sign-in is not offered, and the front end is told so.
        expect((yield* call("GET", "/auth/methods")).body).toEqual({ emailPassword: true, github: false })
        const github = yield* call("POST", "/api/auth/sign-in/social", {
          json: { provider: "github" },
          headers: { origin: CORS_ORIGIN }
        })
        expect(github.status).toBeGreaterThanOrEqual(400)

        const signOut = yield* call("POST", "/api/auth/sign-out", {
          cookie,
          headers: { origin: CORS_ORIGIN },
          json: {}
        })
        expect(signOut.status).toBe(200)
        expect((yield* call("GET", "/auth/me", { cookie })).status).toBe(401)
      })
    )

    it.effect("seed 003: register, login and me with a bearer token; bad registrations", () =>
      Effect.gen(function* () {
        const { email, token } = yield* newUser("desktop")
        const login = yield* call("POST", "/auth/login", {
          json: { email, password: "correct-horse-battery" }
        })
        expect(login.status).toBe(200)
        expect(login.body.token_type).toBe("bearer")
        const me = yield* call("GET", "/auth/me", { token: login.body.access_token })
        expect(me.body.email).toBe(email)
        expect((yield* call("GET", "/auth/me", { token })).status).toBe(200)

        const wrong = yield* call("POST", "/auth/login", { json: { email, password: "wrong-password-123" } })
        expect(wrong.status).toBe(401)
        expect(wrong.body._tag).toBe("InvalidCredentials")
        const again = yield* call("POST", "/auth/register", {
          json: { email, password: "another-password-1" }
        })
        expect(again.status).toBe(409)
        const short = yield* call("POST", "/auth/register", {
          json: { email: "s@example.com", password: "short" }
        })
        expect(short.status).toBe(400)
        expect(short.body.field).toBe("password")
        const badEmail = yield* call("POST", "/auth/register", {
          json: { email: "nope", password: "long-enough-1" }
        })
        expect(badEmail.status).toBe(400)
        expect(JSON.stringify(badEmail.body.issues)).toContain("email")
      })
    )

    it.effect("401 with a clear body on every protected endpoint", () =>
      Effect.gen(function* () {
        const protectedRoutes: Array<[string, string]> = [
          ["GET", "/auth/me"],
          ["GET", "/v1/apikey"],
          ["POST", "/v1/apikey"],
          ["PUT", "/v1/apikey"],
          ["PATCH", "/v1/apikey"],
          ["DELETE", "/v1/apikey"],
          ["GET", "/v1/secret"],
          ["POST", "/v1/secret"],
          ["PATCH", "/v1/secret/openai"],
          ["DELETE", "/v1/secret/openai"]
        ]
        for (const [method, path] of protectedRoutes) {
          for (const auth of [
            {},
            { token: "not-a-session" },
            { cookie: "better-auth.session_token=forged.sig" }
          ]) {
            const body = method === "GET" ? {} : { json: { enabled: true } }
            const reply = yield* call(method, path, { ...auth, ...body })
            expect([method, path, reply.status]).toEqual([method, path, 401])
            expect(reply.body._tag).toBe("Unauthorized")
            expect(reply.body.message).toContain("Sign in")
          }
        }
      })
    )

    it.effect(
      "API key lifecycle: create once, masked view, regenerate, disable, delete, verify at once",
      () =>
        Effect.gen(function* () {
          const { token } = yield* newUser("keys")
          expect((yield* call("GET", "/v1/apikey", { token })).status).toBe(404)
          const created = yield* call("POST", "/v1/apikey", { token })
          expect(created.status).toBe(201)
          const key: string = created.body.key
          expect(key).toMatch(/^ef_[A-Za-z0-9_-]{43}$/)
          expect(created.body.maskedKey).toBe(`${key.slice(0, 7)}…${key.slice(-4)}`)
          expect((yield* call("POST", "/v1/apikey", { token })).status).toBe(409)

          const view = yield* call("GET", "/v1/apikey", { token })
          expect(view.body).toMatchObject({
            prefix: key.slice(0, 7),
            last4: key.slice(-4),
            enabled: true,
            lastUsedAt: null
          })
          expect(view.text).not.toContain(key)

          const verify = (k: string) => call("POST", "/v1/apikey/verify", { json: { key: k } })
          const valid = yield* verify(key)
          expect(valid.body).toEqual({
            valid: true,
            userId: (yield* call("GET", "/auth/me", { token })).body.id,
            providers: ["openai"]
          })

          const regenerated = yield* call("PUT", "/v1/apikey", { token })
          expect(regenerated.status).toBe(200)
          const key2: string = regenerated.body.key
          expect(key2).not.toBe(key)
          expect((yield* verify(key)).body).toEqual({ valid: false })
          expect((yield* verify(key2)).body.valid).toBe(true)

          const disabled = yield* call("PATCH", "/v1/apikey", { token, json: { enabled: false } })
          expect(disabled.body.enabled).toBe(false)
          expect((yield* verify(key2)).body).toEqual({ valid: false })
          expect((yield* call("PATCH", "/v1/apikey", { token, json: { enabled: true } })).body.enabled).toBe(
            true
          )
          expect((yield* verify(key2)).body.valid).toBe(true)
          expect((yield* call("PATCH", "/v1/apikey", { token, json: { enabled: "yes" } })).status).toBe(400)

          expect((yield* call("DELETE", "/v1/apikey", { token })).status).toBe(204)
          expect((yield* verify(key2)).body).toEqual({ valid: false })
          expect((yield* call("DELETE", "/v1/apikey", { token })).status).toBe(404)
          expect((yield* call("PUT", "/v1/apikey", { token })).status).toBe(404)

          // Invalid keys all look the same: no hint about why.
          for (const bad of ["", "ef_", "sk-123", `${key2.slice(0, -1)}${key2.endsWith("A") ? "B" : "A"}`]) {
            expect((yield* verify(bad)).body).toEqual({ valid: false })
          }
          expect((yield* call("POST", "/v1/apikey/verify", { json: {} })).status).toBe(400)
        })
    )

    it.effect("provider secrets: add, replace, list, disable, delete; providers reach verify", () =>
      Effect.gen(function* () {
        const { token } = yield* newUser("secrets")
        const { key } = (yield* call("POST", "/v1/apikey", { token })).body
        const secret = "sk-user-openai-0123456789abcdef"
        const added = yield* call("POST", "/v1/secret", {
          token,
          json: { provider: "anthropic", apiKey: secret }
        })
        expect(added.status).toBe(200)
        expect(added.body).toMatchObject({ provider: "anthropic", enabled: true, last4: "cdef" })
        expect(added.text).not.toContain(secret)
        const replaced = yield* call("POST", "/v1/secret", {
          token,
          json: { provider: "anthropic", apiKey: "sk-replacement-000000000000wxyz" }
        })
        expect(replaced.body.last4).toBe("wxyz")
        const compatible = yield* call("POST", "/v1/secret", {
          token,
          json: {
            provider: "openai-compatible",
            apiKey: "vllm-key-000000000000",
            baseUrl: "https://93.184.216.34/v1"
          }
        })
        expect(compatible.status).toBe(200)
        expect(compatible.body.baseUrl).toBe("https://93.184.216.34/v1")

        const list = yield* call("GET", "/v1/secret", { token })
        expect(list.body.map((s: { provider: string }) => s.provider).sort()).toEqual([
          "anthropic",
          "openai-compatible"
        ])
        expect(list.text).not.toContain("sk-replacement")
        expect((yield* call("POST", "/v1/apikey/verify", { json: { key } })).body.providers).toEqual([
          "anthropic",
          "openai",
          "openai-compatible"
        ])

        const off = yield* call("PATCH", "/v1/secret/anthropic", { token, json: { enabled: false } })
        expect(off.body.enabled).toBe(false)
        expect((yield* call("POST", "/v1/apikey/verify", { json: { key } })).body.providers).toEqual([
          "openai",
          "openai-compatible"
        ])
        expect((yield* call("DELETE", "/v1/secret/anthropic", { token })).status).toBe(204)
        expect((yield* call("DELETE", "/v1/secret/anthropic", { token })).status).toBe(404)
        const missing = yield* call("PATCH", "/v1/secret/xai", { token, json: { enabled: true } })
        expect(missing.status).toBe(404)
        expect(missing.body).toMatchObject({ _tag: "SecretNotFound", provider: "xai" })
      })
    )

    it.effect("every bad secret input is a 400 naming the field, and never echoes the secret", () =>
      Effect.gen(function* () {
        const { token } = yield* newUser("bad")
        const post = (json: unknown) => call("POST", "/v1/secret", { token, json })
        const cases: Array<[unknown, string]> = [
          [{ provider: "mystery", apiKey: "k-0000000000000000" }, "provider"],
          [{ apiKey: "k-0000000000000000" }, "provider"],
          [{ provider: "openai" }, "apiKey"],
          [{ provider: "openai", apiKey: "" }, "apiKey"],
          [{ provider: "openai", apiKey: "   " }, "apiKey"],
          [{ provider: "openai", apiKey: oversized }, "apiKey"],
          [{ provider: "openai", apiKey: 42 }, "apiKey"],
          [{ provider: "openai-compatible", apiKey: "k-0000000000000000" }, "baseUrl"],
          [{ provider: "openai-compatible", apiKey: "k-0000000000000000", baseUrl: "not a url" }, "baseUrl"],
          [
            { provider: "openai-compatible", apiKey: "k-0000000000000000", baseUrl: "ftp://93.184.216.34" },
            "baseUrl"
          ],
          [
            {
              provider: "openai-compatible",
              apiKey: "k-0000000000000000",
              baseUrl: "http://u:p@93.184.216.34"
            },
            "baseUrl"
          ]
        ]
        for (const [json, field] of cases) {
          const reply = yield* post(json)
          expect([JSON.stringify(json).slice(0, 80), reply.status]).toEqual([
            JSON.stringify(json).slice(0, 80),
            400
          ])
          expect(
            JSON.stringify(reply.body.issues?.map((i: { path: Array<string> }) => i.path) ?? reply.body.field)
          ).toContain(field)
          expect(reply.text).not.toContain(oversized)
          expect(reply.text).not.toContain("k-0000000000000000")
        }
        // SSRF: names and literals that reach the operator's own network are refused.
        for (const baseUrl of [
          "http://localhost:11434/v1",
          "http://127.0.0.1:8000",
          "http://10.0.0.5/v1",
          "http://192.168.1.10",
          "http://172.16.0.1",
          "http://169.254.169.254/latest/meta-data",
          "http://[::1]:8000",
          "http://[fd00::1]",
          "http://[fe80::1]",
          "http://[::ffff:127.0.0.1]",
          "http://0.0.0.0:8000",
          "http://100.64.0.1"
        ]) {
          const reply = yield* post({ provider: "openai-compatible", apiKey: "k-0000000000000000", baseUrl })
          expect([baseUrl, reply.status, reply.body.field]).toEqual([baseUrl, 400, "baseUrl"])
        }
        expect((yield* call("GET", "/v1/secret", { token })).body).toEqual([])
      })
    )

    it.effect("tenant isolation: B can neither see nor change A's key or secrets, nor tell they exist", () =>
      Effect.gen(function* () {
        const a = yield* newUser("alice")
        const b = yield* newUser("bob")
        const asB = () =>
          Effect.all([
            call("GET", "/v1/apikey", { token: b.token }),
            call("PUT", "/v1/apikey", { token: b.token }),
            call("PATCH", "/v1/apikey", { token: b.token, json: { enabled: false } }),
            call("DELETE", "/v1/apikey", { token: b.token }),
            call("GET", "/v1/secret", { token: b.token }),
            call("PATCH", "/v1/secret/openai", { token: b.token, json: { enabled: false } }),
            call("DELETE", "/v1/secret/openai", { token: b.token })
          ]).pipe(Effect.map((replies) => replies.map((r) => [r.status, r.text])))

        const before = yield* asB()
        const { key } = (yield* call("POST", "/v1/apikey", { token: a.token })).body
        yield* call("POST", "/v1/secret", {
          token: a.token,
          json: { provider: "openai", apiKey: "sk-alice-000000000000" }
        })
        const after = yield* asB()
        // Identical answers whether or not A has a key and a secret.
        expect(after).toEqual(before)
        expect(after.map(([status]) => status)).toEqual([404, 404, 404, 404, 200, 404, 404])

        // A's key and secret are untouched.
        const verified = yield* call("POST", "/v1/apikey/verify", { json: { key } })
        expect(verified.body.valid).toBe(true)
        expect((yield* call("GET", "/v1/secret", { token: a.token })).body[0]).toMatchObject({
          provider: "openai",
          enabled: true
        })
        // B's own key is B's: creating it does not collide with A's.
        const bKey = (yield* call("POST", "/v1/apikey", { token: b.token })).body.key
        expect((yield* call("POST", "/v1/apikey/verify", { json: { key: bKey } })).body.userId).not.toBe(
          verified.body.userId
        )
      })
    )

    it.effect("413 for oversized bodies, 400 for malformed JSON, CORS for the configured origin only", () =>
      Effect.gen(function* () {
        const { token } = yield* newUser("limits")
        const big = yield* call("POST", "/v1/secret", {
          token,
          raw: JSON.stringify({ provider: "openai", apiKey: "x".repeat(70 * 1024) })
        })
        expect(big.status).toBe(413)
        expect(big.body._tag).toBe("PayloadTooLarge")
        const bigAuth = yield* call("POST", "/api/auth/sign-in/email", { raw: "x".repeat(70 * 1024) })
        expect(bigAuth.status).toBe(413)
        for (const raw of ["{", '{"provider":', "not json", '{"a":1}}']) {
          const reply = yield* call("POST", "/v1/secret", { token, raw })
          expect([raw, reply.status, reply.body._tag]).toEqual([raw, 400, "MalformedBody"])
        }
        expect((yield* call("POST", "/auth/login", { raw: "{" })).status).toBe(400)

        const preflight = (origin: string) =>
          call("OPTIONS", "/v1/apikey", {
            headers: {
              origin,
              "access-control-request-method": "POST",
              "access-control-request-headers": "authorization"
            }
          })
        const allowed = yield* preflight(CORS_ORIGIN)
        expect(allowed.headers.get("access-control-allow-origin")).toBe(CORS_ORIGIN)
        expect(allowed.headers.get("access-control-allow-credentials")).toBe("true")
        const other = yield* preflight("https://evil.example")
        expect(other.headers.get("access-control-allow-origin")).not.toBe("https://evil.example")
        const simple = yield* call("GET", "/health", { headers: { origin: CORS_ORIGIN } })
        expect(simple.headers.get("access-control-allow-origin")).toBe(CORS_ORIGIN)
      })
    )

    it.effect("after creation no response and no log line ever contains a full key or a secret", () =>
      Effect.gen(function* () {
        const server = yield* Server
        const { token } = yield* newUser("leak")
        const secret = "sk-leakcheck-9f8e7d6c5b4a39281706"
        const created = (yield* call("POST", "/v1/apikey", { token })).body.key as string
        const start = seen.length
        yield* call("POST", "/v1/secret", { token, json: { provider: "xai", apiKey: secret } })
        const secretAt = seen.length
        yield* call("GET", "/v1/apikey", { token })
        yield* call("GET", "/v1/secret", { token })
        yield* call("PATCH", "/v1/secret/xai", { token, json: { enabled: false } })
        yield* call("PATCH", "/v1/apikey", { token, json: { enabled: false } })
        yield* call("POST", "/v1/apikey/verify", { json: { key: created } })
        yield* call("POST", "/v1/secret", {
          token,
          json: { provider: "xai", apiKey: `${secret}${oversized}` }
        })
        const regenerated = (yield* call("PUT", "/v1/apikey", { token })).body.key as string
        yield* call("GET", "/v1/apikey", { token })
        yield* call("POST", "/v1/apikey/verify", { json: { key: regenerated } })

        const later = seen.slice(start).join("\n")
        expect(later).not.toContain(created)
        expect(seen.slice(secretAt).join("\n")).not.toContain(secret)
        const logs = server.logs.join("\n")
        expect(logs.length).toBeGreaterThan(0)
        for (const needle of [created, regenerated, secret, "correct-horse-battery"]) {
          expect(logs).not.toContain(needle)
        }
      })
    )
  })

  layer(serverLayer("cp_bruteforce"), { excludeTestServices: true })((it) => {
    it.effect("sign-in is rate limited per address, in the database, on both login routes", () =>
      Effect.gen(function* () {
        const { email } = yield* newUser("victim")
        const statuses: Array<number> = []
        for (let i = 0; i < 6; i++) {
          const route = i % 2 === 0 ? "/auth/login" : "/api/auth/sign-in/email"
          const json = { email, password: `guess-${i}-xxxxxxxx` }
          // better-auth's own routes are for browsers, which send their page's Origin.
          const headers = i % 2 === 0 ? {} : { origin: CORS_ORIGIN }
          statuses.push((yield* call("POST", route, { json, headers })).status)
        }
        expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401])
        expect(statuses[5]).toBe(429)
        const blocked = yield* call("POST", "/auth/login", {
          json: { email, password: "correct-horse-battery" }
        })
        expect(blocked.status).toBe(429)
        expect(blocked.body._tag).toBe("TooManyRequests")
        // A client-sent address header does not get around it.
        const spoofed = yield* call("POST", "/auth/login", {
          json: { email, password: "correct-horse-battery" },
          headers: { "x-switchyard-client-ip": "203.0.113.9", "x-forwarded-for": "203.0.113.9" }
        })
        expect(spoofed.status).toBe(429)
        // The counter lives in PostgreSQL (shared by every instance, kept across restarts).
        const { databaseUrl } = yield* Server
        const rows = yield* Effect.acquireUseRelease(
          Effect.promise(async () => {
            const client = new pg.Client({ connectionString: databaseUrl })
            await client.connect()
            return client
          }),
          (client) =>
            Effect.promise(() =>
              client.query(`SELECT "key", "count" FROM "rateLimit" WHERE "key" LIKE '%/sign-in/email'`)
            ),
          (client) => Effect.promise(() => client.end())
        )
        expect(rows.rows.length).toBe(1)
        expect(rows.rows[0].count).toBeGreaterThanOrEqual(5)
      })
    )
  })
})
