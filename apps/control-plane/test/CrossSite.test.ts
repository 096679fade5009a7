/**
 * Cross-site request forgery on cookie routes, over real HTTP and PostgreSQL: a page of another
 * origin must not change anything with the user's session cookie, and the JSON routes take JSON
 * only (a form body is what a cross-site page can post without a CORS preflight).
 */
import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { CORS_ORIGIN, call, newUser, Server, serverLayer } from "./harness.ts"

const EVIL = "http://evil.example"
/** The control plane's own origin (BETTER_AUTH_BASE_URL's default in the harness). */
const OWN = "http://localhost:8000"

/** A browser user: signs up through better-auth from the web app, returns the session cookie. */
const webUser = Effect.gen(function* () {
  const email = `web-${crypto.randomUUID().slice(0, 8)}@example.com`
  const signUp = yield* call("POST", "/api/auth/sign-up/email", {
    json: { email, password: "correct-horse-battery", name: "Web" },
    headers: { origin: CORS_ORIGIN }
  })
  expect(signUp.status).toBe(200)
  return signUp.headers.get("set-cookie")!.split(";")[0]!
})

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString()

describe("cross-site requests", () => {
  layer(serverLayer("cp_crosssite", { credentialRateLimit: { window: 60, max: 1000 } }), {
    excludeTestServices: true
  })((it) => {
    it.effect("a form POST from another origin does not replace the user's provider secret", () =>
      Effect.gen(function* () {
        const cookie = yield* webUser
        const mine = yield* call("POST", "/v1/secret", {
          cookie,
          headers: { origin: CORS_ORIGIN },
          json: { provider: "openai", apiKey: "sk-mine-000000000000aaaa" }
        })
        expect(mine.status).toBe(200)

        // What the red team sent: a form body, Origin of the attacker's page, the victim's cookie.
        const forged = yield* call("POST", "/v1/secret", {
          cookie,
          raw: form({ provider: "openai", apiKey: "sk-attacker-00000000zzzz" }),
          headers: { origin: EVIL, "content-type": "application/x-www-form-urlencoded" }
        })
        expect(forged.status).toBe(403)
        expect(forged.body._tag).toBe("CrossSiteRequest")
        // JSON from the attacker's page (it would need a preflight, but refused anyway).
        const forgedJson = yield* call("POST", "/v1/secret", {
          cookie,
          json: { provider: "openai", apiKey: "sk-attacker-00000000zzzz" },
          headers: { origin: EVIL }
        })
        expect(forgedJson.status).toBe(403)
        const list = yield* call("GET", "/v1/secret", { cookie })
        expect(list.body).toMatchObject([{ provider: "openai", last4: "aaaa" }])
      })
    )

    it.effect("every state-changing cookie route checks Origin / Sec-Fetch-Site", () =>
      Effect.gen(function* () {
        const cookie = yield* webUser
        const routes: Array<[string, string, unknown]> = [
          ["POST", "/v1/apikey", undefined],
          ["PUT", "/v1/apikey", undefined],
          ["PATCH", "/v1/apikey", { enabled: false }],
          ["DELETE", "/v1/apikey", undefined],
          ["POST", "/v1/secret", { provider: "xai", apiKey: "xai-000000000000" }],
          ["PATCH", "/v1/secret/xai", { enabled: false }],
          ["DELETE", "/v1/secret/xai", undefined],
          ["POST", "/api/auth/update-user", { name: "Mallory" }],
          ["POST", "/api/auth/sign-out", {}]
        ]
        const refusals: Array<Record<string, string>> = [
          { origin: EVIL },
          { origin: "null" },
          // A sibling subdomain is the same site, not the same origin.
          { origin: "http://sub.app.example.test" },
          { "sec-fetch-site": "same-site" },
          { "sec-fetch-site": "cross-site" },
          { "sec-fetch-site": "none" }
        ]
        for (const [method, path, json] of routes) {
          for (const headers of refusals) {
            const reply = yield* call(method, path, {
              cookie,
              headers,
              ...(json === undefined ? {} : { json })
            })
            expect([method, path, headers, reply.status]).toEqual([method, path, headers, 403])
            expect(reply.body._tag).toBe("CrossSiteRequest")
          }
        }
        // Nothing changed: no key was created, the name is the same, the session still works.
        expect((yield* call("GET", "/v1/apikey", { cookie })).status).toBe(404)
        expect((yield* call("GET", "/auth/me", { cookie })).body.name).toBe("Web")

        // The trusted origins: the web app, the control plane itself, a same-origin fetch.
        for (const headers of [
          { origin: CORS_ORIGIN },
          { origin: OWN },
          { "sec-fetch-site": "same-origin" }
        ]) {
          const created = yield* call("POST", "/v1/apikey", { cookie, headers })
          expect([headers, created.status]).toEqual([headers, 201])
          expect((yield* call("DELETE", "/v1/apikey", { cookie, headers })).status).toBe(204)
        }
        // Neither Origin nor Sec-Fetch-Site: not a browser (the start-up banner's `curl -b`).
        expect((yield* call("POST", "/v1/apikey", { cookie })).status).toBe(201)
        const renamed = yield* call("POST", "/api/auth/update-user", {
          cookie,
          headers: { origin: CORS_ORIGIN },
          json: { name: "Still me" }
        })
        expect(renamed.status).toBe(200)
      })
    )

    it.effect("a bearer token is not cookie-authenticated: no Origin check", () =>
      Effect.gen(function* () {
        const { token } = yield* newUser("desktop")
        const created = yield* call("POST", "/v1/apikey", { token, headers: { origin: EVIL } })
        expect(created.status).toBe(201)
      })
    )

    it.effect("JSON routes accept application/json only: 415 for form, text and typeless bodies", () =>
      Effect.gen(function* () {
        const { token } = yield* newUser("types")
        const body = JSON.stringify({ provider: "openai", apiKey: "sk-typed-0000000000000" })
        for (const type of [
          "application/x-www-form-urlencoded",
          "multipart/form-data; boundary=x",
          "text/plain",
          "text/json",
          "application/jsonx"
        ]) {
          const reply = yield* call("POST", "/v1/secret", {
            token,
            raw: body,
            headers: { "content-type": type }
          })
          expect([type, reply.status, reply.body._tag]).toEqual([type, 415, "UnsupportedMediaType"])
        }
        // Bytes without a Content-Type (fetch adds none for a Uint8Array body).
        const { url } = yield* Server
        const typeless = yield* Effect.promise(() =>
          fetch(`${url}/v1/secret`, {
            method: "POST",
            headers: { authorization: `Bearer ${token}` },
            body: new TextEncoder().encode(body)
          }).then(async (response) => ({ status: response.status, body: await response.json() }))
        )
        expect(typeless).toMatchObject({ status: 415, body: { _tag: "UnsupportedMediaType" } })
        const charset = yield* call("POST", "/v1/secret", {
          token,
          raw: body,
          headers: { "content-type": "Application/JSON; charset=utf-8" }
        })
        expect(charset.status).toBe(200)
        expect((yield* call("GET", "/v1/secret", { token })).body).toHaveLength(1)
        // No body and no type (POST /v1/apikey takes none): fine.
        expect((yield* call("POST", "/v1/apikey", { token })).status).toBe(201)
      })
    )
  })
})
