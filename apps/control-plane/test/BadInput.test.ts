/**
 * Bad input gets a clean 400 naming the field, in the API's format, and nothing is stored:
 * NUL characters (PostgreSQL refuses them: this used to be a 500 with an empty body, or a 503
 * clients retry forever), lone surrogates (no UTF-8 form), overlong strings, control characters
 * in values that end up in upstream headers.
 */
import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { CORS_ORIGIN, call, newUser, serverLayer } from "./harness.ts"

/** The field a 400 names: `InvalidRequest.field`, else the first schema issue's path. */
const fieldOf = (body: {
  field?: string
  message?: string
  issues?: ReadonlyArray<{ path: ReadonlyArray<string | number> }>
}) => body.field ?? body.issues?.[0]?.path.join(".")

const NUL = "\u0000"
const LONE = "\ud800"

describe("bad input", () => {
  layer(serverLayer("cp_badinput", { credentialRateLimit: { window: 60, max: 1000 } }), {
    excludeTestServices: true
  })((it) => {
    it.effect("seed 003 routes: NUL, lone surrogates and overlong strings are a 400 naming the field", () =>
      Effect.gen(function* () {
        const email = () => `bad-${crypto.randomUUID().slice(0, 8)}@example.com`
        const cases: Array<[string, Record<string, unknown>, string]> = [
          ["/auth/register", { email: email(), password: "correct-horse-battery", name: `a${NUL}b` }, "name"],
          [
            "/auth/register",
            { email: email(), password: "correct-horse-battery", name: `a${LONE}b` },
            "name"
          ],
          [
            "/auth/register",
            { email: email(), password: "correct-horse-battery", name: "n".repeat(201) },
            "name"
          ],
          ["/auth/register", { email: `a${NUL}@example.com`, password: "correct-horse-battery" }, "email"],
          ["/auth/register", { email: email(), password: `correct-horse${NUL}` }, "password"],
          ["/auth/login", { email: `a${NUL}@example.com`, password: "correct-horse-battery" }, "email"],
          ["/auth/login", { email: "a@example.com", password: `pw${LONE}-long-enough` }, "password"]
        ]
        for (const [path, json, field] of cases) {
          const reply = yield* call("POST", path, { json })
          const label = `${path} ${field}`
          expect([label, reply.status]).toEqual([label, 400])
          expect([label, fieldOf(reply.body)]).toEqual([label, field])
        }
      })
    )

    it.effect("better-auth's own routes refuse the same strings with a 400 naming the field", () =>
      Effect.gen(function* () {
        const headers = { origin: CORS_ORIGIN }
        const signUp = (name: string) =>
          call("POST", "/api/auth/sign-up/email", {
            headers,
            json: {
              email: `ba-${crypto.randomUUID().slice(0, 8)}@example.com`,
              password: "correct-horse-battery",
              name
            }
          })
        for (const name of [`a${NUL}b`, `a${LONE}b`, "n".repeat(3000)]) {
          const reply = yield* signUp(name)
          expect(reply.status).toBe(400)
          expect(reply.body.message).toMatch(/^name must/)
        }
        const badEmail = yield* call("POST", "/api/auth/sign-in/email", {
          headers,
          json: { email: `x${NUL}@example.com`, password: "correct-horse-battery" }
        })
        expect(badEmail.status).toBe(400)
        expect(badEmail.body.message).toMatch(/^email must/)

        const ok = yield* signUp("Fine")
        expect(ok.status).toBe(200)
        const cookie = ok.headers.get("set-cookie")!.split(";")[0]!
        const rename = yield* call("POST", "/api/auth/update-user", {
          cookie,
          headers,
          json: { name: `x${NUL}` }
        })
        expect(rename.status).toBe(400)
        expect((yield* call("GET", "/auth/me", { cookie })).body.name).toBe("Fine")
      })
    )

    it.effect("analytics: apiKeyId with a NUL or too long is a 400, not a 503", () =>
      Effect.gen(function* () {
        const { token } = yield* newUser("analytics")
        for (const apiKeyId of ["a%00b", "k".repeat(129)]) {
          const reply = yield* call("GET", `/v1/analytics/overview?interval=1H&apiKeyId=${apiKeyId}`, {
            token
          })
          expect([apiKeyId, reply.status]).toEqual([apiKeyId, 400])
          expect(JSON.stringify(reply.body)).toContain("apiKeyId")
        }
        expect(
          (yield* call("GET", "/v1/analytics/overview?interval=1H&apiKeyId=abc", { token })).status
        ).toBe(200)
      })
    )

    it.effect("secrets: an overlong apiKey says so; control characters and NULs are refused by field", () =>
      Effect.gen(function* () {
        const { token } = yield* newUser("secrets")
        const post = (json: unknown) => call("POST", "/v1/secret", { token, json })
        const long = yield* post({ provider: "openai", apiKey: "k".repeat(5 * 1024) })
        expect(long.status).toBe(400)
        expect(long.text).toContain("apiKey must be at most")
        expect(long.text).not.toContain("must be a string")
        const cases: Array<[Record<string, unknown>, string]> = [
          [{ provider: "openai", apiKey: `sk-abc${NUL}def-0000` }, "apiKey"],
          [{ provider: "openai", apiKey: "sk-abc\r\nx-injected: 1" }, "apiKey"],
          [{ provider: "openai", apiKey: `sk-${LONE}-0000000000` }, "apiKey"],
          [
            {
              provider: "openai-compatible",
              apiKey: "k-000000000000",
              baseUrl: `https://93.184.216.34/v1${NUL}`
            },
            "baseUrl"
          ],
          [
            {
              provider: "openai-compatible",
              apiKey: "k-000000000000",
              baseUrl: "https://93.184.216.34/v1\n"
            },
            "baseUrl"
          ]
        ]
        for (const [json, field] of cases) {
          const reply = yield* post(json)
          const label = JSON.stringify(json).slice(0, 60)
          expect([label, reply.status, fieldOf(reply.body)]).toEqual([label, 400, field])
          expect(reply.text).not.toContain("sk-abc")
        }
        expect((yield* call("GET", "/v1/secret", { token })).body).toEqual([])
        expect(
          (yield* post({ provider: "openai", apiKey: "k".repeat(5 * 1024) })).body.issues[0].message
        ).toBe("apiKey must be at most 4096 characters")
      })
    )
  })
})
