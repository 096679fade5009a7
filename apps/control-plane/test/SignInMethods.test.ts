import { describe, expect, layer } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import { CORS_ORIGIN, call, serverLayer } from "./harness.ts"

describe("GET /auth/methods with GitHub configured", () => {
  layer(
    serverLayer("cp_methods", {
      github: Option.some({ clientId: "gh-client", clientSecret: Redacted.make("gh-secret") })
    }),
    { excludeTestServices: true }
  )((it) => {
    it.effect("offers GitHub, and better-auth starts its OAuth flow", () =>
      Effect.gen(function* () {
        const methods = yield* call("GET", "/auth/methods")
        expect(methods.status).toBe(200)
        expect(methods.body).toEqual({ emailPassword: true, github: true })
        const start = yield* call("POST", "/api/auth/sign-in/social", {
          json: { provider: "github", disableRedirect: true },
          headers: { origin: CORS_ORIGIN }
        })
        expect(start.status).toBe(200)
        expect(new URL(start.body.url).searchParams.get("client_id")).toBe("gh-client")
      })
    )
  })
})
