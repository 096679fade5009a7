/**
 * Fast tests of the apikey and secret handlers on in-memory layers (no database): the real
 * HttpApi over HTTP, with a stand-in `Authentication` that takes the bearer token as the user id.
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import { NodeHttpServer } from "@effect/platform-node"
import { describe, expect, layer } from "@effect/vitest"
import { ApiKeys, ChangeFeed, PlatformProviders, UpstreamUrlGuard } from "@switchyard/auth"
import { Authentication, ControlPlaneApi, Healthy, Unauthorized, User } from "@switchyard/domain"
import { Analytics, analyticsHandlers } from "@switchyard/ledger"
import { Vault } from "@switchyard/vault"
import { type Context, Effect, Layer, Redacted } from "effect"
import { ApiKeyLive } from "../src/api/ApiKeyLive.ts"
import { SecretLive } from "../src/api/SecretLive.ts"
import { Secrets } from "../src/Secrets.ts"
import { call, Server } from "./harness.ts"

const TestAuthentication = Layer.succeed(
  Authentication,
  Authentication.of({
    bearer: (token) => {
      const id = Redacted.value(token)
      return id === ""
        ? Effect.fail(new Unauthorized({ message: "Sign in first" }))
        : Effect.succeed(
            new User({
              id,
              email: `${id}@example.com`,
              name: id,
              emailVerified: true,
              image: null,
              hasCompletedOnboarding: false,
              createdAt: new Date(0)
            })
          )
    },
    session: () => Effect.fail(new Unauthorized({ message: "Sign in first" }))
  })
)

// Groups this suite does not exercise answer with a defect if called.
const Untested = Layer.mergeAll(
  HttpApiBuilder.group(ControlPlaneApi, "health", (h) =>
    h.handle("health", () => Effect.succeed(new Healthy({ status: "ok", checks: {} })))
  ),
  HttpApiBuilder.group(ControlPlaneApi, "auth", (h) =>
    h
      .handle("register", () => Effect.die("not in this suite"))
      .handle("login", () => Effect.die("not in this suite"))
      .handle("me", () => Effect.die("not in this suite"))
      .handle("methods", () => Effect.die("not in this suite"))
  ),
  HttpApiBuilder.group(ControlPlaneApi, "analytics", analyticsHandlers).pipe(
    Layer.provide(
      Layer.succeed(
        Analytics,
        new Proxy({}, { get: () => () => Effect.die("not in this suite") }) as Context.Tag.Service<Analytics>
      )
    )
  )
)

const resolve = (host: string) =>
  Promise.resolve(host === "llm.example.test" ? ["93.184.216.34"] : ["10.0.0.8"])

const services = Layer.mergeAll(ApiKeys.layerMemory, Secrets.layer).pipe(
  Layer.provideMerge(
    Layer.mergeAll(
      Vault.layerMemory,
      Layer.succeed(UpstreamUrlGuard, UpstreamUrlGuard.make({ allowPrivate: false, resolve })),
      PlatformProviders.layerTest(["google"])
    )
  ),
  Layer.provideMerge(ChangeFeed.layerMemory)
)

const server = HttpLayerRouter.serve(
  HttpLayerRouter.addHttpApi(ControlPlaneApi).pipe(
    Layer.provide(Layer.mergeAll(ApiKeyLive, SecretLive, Untested).pipe(Layer.provide(TestAuthentication)))
  ),
  { disableLogger: true }
).pipe(Layer.provide(services), Layer.provideMerge(NodeHttpServer.layerTest))

const TestServer = Layer.effect(
  Server,
  Effect.map(HttpServer.HttpServer, (s) => ({
    url: `http://127.0.0.1:${(s.address as HttpServer.TcpAddress).port}`,
    logs: []
  }))
).pipe(Layer.provide(server))

describe("handlers on in-memory layers", () => {
  layer(TestServer, { excludeTestServices: true })((it) => {
    it.effect("key lifecycle and verify with platform + user providers", () =>
      Effect.gen(function* () {
        const token = "mem-user-1"
        const created = yield* call("POST", "/v1/apikey", { token })
        expect(created.status).toBe(201)
        const key = created.body.key as string
        expect((yield* call("POST", "/v1/apikey", { token })).status).toBe(409)
        const verify = () => call("POST", "/v1/apikey/verify", { json: { key } })
        expect((yield* verify()).body).toEqual({ valid: true, userId: token, providers: ["google"] })
        yield* call("POST", "/v1/secret", {
          token,
          json: { provider: "openai", apiKey: "sk-0123456789abcdef" }
        })
        expect((yield* verify()).body.providers).toEqual(["google", "openai"])
        expect((yield* call("PATCH", "/v1/apikey", { token, json: { enabled: false } })).body.enabled).toBe(
          false
        )
        expect((yield* verify()).body).toEqual({ valid: false })
        const regenerated = yield* call("PUT", "/v1/apikey", { token })
        expect((yield* verify()).body).toEqual({ valid: false })
        expect(
          (yield* call("POST", "/v1/apikey/verify", { json: { key: regenerated.body.key } })).body.valid
        ).toBe(true)
        expect((yield* call("GET", "/v1/apikey", { token: "mem-user-2" })).status).toBe(404)
        expect((yield* call("DELETE", "/v1/apikey", { token })).status).toBe(204)
      })
    )

    it.effect("key limits: PATCH sets and resets them, regenerate keeps them, bad ones are a 400", () =>
      Effect.gen(function* () {
        const token = "mem-user-5"
        const patch = (json: unknown, as = token) => call("PATCH", "/v1/apikey", { token: as, json })
        expect((yield* patch({ limits: { rpm: 1 } })).status).toBe(404)
        expect((yield* call("POST", "/v1/apikey", { token })).body.limits).toBeNull()
        const set = yield* patch({ limits: { tpm: 500, budget: { usd: "0.25", period: "day" } } })
        expect(set.body.limits).toEqual({ tpm: 500, budget: { amountMicros: 250_000, period: "day" } })
        expect((yield* patch({ enabled: false })).body).toMatchObject({
          enabled: false,
          limits: { tpm: 500 }
        })
        expect((yield* call("PUT", "/v1/apikey", { token })).body).toMatchObject({
          enabled: true,
          limits: { tpm: 500 }
        })
        const bad = yield* patch({ limits: { concurrency: 0 } })
        expect([bad.status, bad.body.issues[0].path]).toEqual([400, ["limits", "concurrency"]])
        expect((yield* patch({})).status).toBe(400)
        expect((yield* patch({ limits: { rpm: 2 } }, "mem-user-6")).status).toBe(404)
        expect((yield* call("GET", "/v1/apikey", { token })).body.limits).toEqual({
          tpm: 500,
          budget: { amountMicros: 250_000, period: "day" }
        })
        expect((yield* patch({ limits: {} })).body.limits).toBeNull()
      })
    )

    it.effect("secrets: SSRF refusal after resolution, per-user scoping, 404s", () =>
      Effect.gen(function* () {
        const token = "mem-user-3"
        const put = (baseUrl: string) =>
          call("POST", "/v1/secret", {
            token,
            json: { provider: "openai-compatible", apiKey: "k-0000000000", baseUrl }
          })
        expect((yield* put("https://llm.example.test/v1")).status).toBe(200)
        const refused = yield* put("https://internal.example.test/v1")
        expect(refused.status).toBe(400)
        expect(refused.body).toMatchObject({ _tag: "InvalidRequest", field: "baseUrl" })
        expect((yield* call("GET", "/v1/secret", { token })).body).toHaveLength(1)
        expect((yield* call("GET", "/v1/secret", { token: "mem-user-4" })).body).toEqual([])
        expect((yield* call("DELETE", "/v1/secret/openai-compatible", { token: "mem-user-4" })).status).toBe(
          404
        )
        expect((yield* call("DELETE", "/v1/secret/openai-compatible", { token })).status).toBe(204)
        expect((yield* call("GET", "/v1/secret", { token })).body).toEqual([])
      })
    )
  })
})
