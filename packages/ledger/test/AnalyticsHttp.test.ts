/**
 * The analytics group over real HTTP: the contract's interval validation, authentication and
 * per-user scoping, with the handlers the control plane mounts.
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApiClient from "@effect/platform/HttpApiClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpServer from "@effect/platform/HttpServer"
import { NodeHttpServer } from "@effect/platform-node"
import { describe, expect, layer } from "@effect/vitest"
import { AnalyticsApi, Authentication, Unauthorized, User } from "@switchyard/domain"
import { Effect, Layer, Redacted } from "effect"
import { Analytics, analyticsHandlers } from "../src/index.ts"
import { insertBatch } from "../src/UsageEventsRepo.ts"
import { ledgerTestDatabase, makeEvent } from "./events.ts"

class TestApi extends HttpApi.make("analytics-test").add(AnalyticsApi) {}

/** Bearer tokens are user ids here: the real middleware asks better-auth instead. */
const TestAuthentication = Layer.succeed(
  Authentication,
  Authentication.of({
    bearer: (token) =>
      Redacted.value(token) === ""
        ? Effect.fail(new Unauthorized({ message: "no token" }))
        : Effect.succeed(
            new User({
              id: Redacted.value(token),
              email: `${Redacted.value(token)}@example.com`,
              name: "Test",
              emailVerified: true,
              image: null,
              hasCompletedOnboarding: true,
              createdAt: new Date()
            })
          ),
    session: () => Effect.fail(new Unauthorized({ message: "no session" }))
  })
)

const Server = HttpApiBuilder.serve().pipe(
  Layer.provide(HttpApiBuilder.api(TestApi)),
  Layer.provide(HttpApiBuilder.group(TestApi, "analytics", analyticsHandlers)),
  Layer.provide(TestAuthentication),
  Layer.provide(Layer.fresh(Analytics.layerPg)),
  Layer.provideMerge(ledgerTestDatabase("ledger_analytics_http")),
  HttpServer.withLogAddress,
  Layer.provideMerge(NodeHttpServer.layerTest)
)

const clientFor = (user: string) =>
  HttpApiClient.make(TestApi, {
    transformClient: HttpClient.mapRequest(HttpClientRequest.bearerToken(user))
  })

describe("Analytics HTTP", () => {
  // The real clock: the handlers' windows end at the server's "now".
  layer(Server, { excludeTestServices: true })((it) => {
    it.effect("answers only the signed-in user's usage, for every endpoint and interval", () =>
      Effect.gen(function* () {
        yield* insertBatch([
          makeEvent({ userId: "alice", apiKeyId: "k1", costMicros: 1000, usage: { inputTokens: 10 } }),
          makeEvent({
            userId: "alice",
            apiKeyId: "k2",
            costMicros: 500,
            status: 429,
            outcome: "rate_limited"
          }),
          makeEvent({ userId: "bob", apiKeyId: "k3", costMicros: 7 })
        ])
        const alice = yield* clientFor("alice")
        const bob = yield* clientFor("bob")
        const a = yield* alice.analytics.overview({ urlParams: { interval: "15M" } })
        expect([a.total_requests, a.total_cost_micros, a.total_rate_limits, a.tokens.input]).toEqual([
          2, 1500, 1, 10
        ])
        const k1 = yield* alice.analytics.overview({ urlParams: { interval: "15M", apiKeyId: "k1" } })
        expect([k1.total_requests, k1.total_cost_micros]).toEqual([1, 1000])
        const b = yield* bob.analytics.overview({ urlParams: { interval: "1D" } })
        expect([b.total_requests, b.total_cost_micros]).toEqual([1, 7])
        // Bob cannot read Alice's key by naming it.
        const spying = yield* bob.analytics.overview({ urlParams: { interval: "1D", apiKeyId: "k1" } })
        expect(spying.total_requests).toBe(0)

        for (const interval of ["15M", "1H", "1D", "7D"] as const) {
          const urlParams = { interval }
          const series = yield* alice.analytics.timeseries({ urlParams })
          expect(series.buckets.reduce((n, x) => n + x.request_count, 0)).toBe(2)
          const latency = yield* alice.analytics.latency({ urlParams })
          expect(latency.models.reduce((n, x) => n + x.request_count, 0)).toBe(2)
          const cost = yield* alice.analytics.cost({ urlParams })
          expect(cost.total_cost_micros).toBe(1500)
          const errors = yield* alice.analytics.errors({ urlParams })
          expect(errors.by_status).toEqual([{ status: 429, count: 1 }])
        }
      })
    )

    it.effect("answers 400 naming interval for a bad or missing interval, 401 without a user", () =>
      Effect.gen(function* () {
        const client = yield* HttpClient.HttpClient
        const get = (path: string, token: string | null) =>
          Effect.flatMap(
            client.execute(
              token === null
                ? HttpClientRequest.get(path)
                : HttpClientRequest.get(path).pipe(HttpClientRequest.bearerToken(token))
            ),
            (res) => Effect.map(res.text, (body) => ({ status: res.status, body }))
          )
        for (const endpoint of ["overview", "timeseries", "latency", "cost", "errors"]) {
          for (const query of ["?interval=2H", "?interval=15m", "", "?interval="]) {
            const res = yield* get(`/v1/analytics/${endpoint}${query}`, "alice")
            expect({ endpoint, query, status: res.status }).toEqual({ endpoint, query, status: 400 })
            const body = JSON.parse(res.body) as {
              issues: ReadonlyArray<{ path: ReadonlyArray<string>; message: string }>
            }
            expect(body.issues.map((i) => i.path)).toEqual([["interval"]])
            if (query !== "") expect(body.issues[0]!.message).toBe("interval must be one of 15M, 1H, 1D, 7D")
          }
          const ok = yield* get(`/v1/analytics/${endpoint}?interval=7D`, "alice")
          expect(ok.status).toBe(200)
          const anonymous = yield* get(`/v1/analytics/${endpoint}?interval=7D`, null)
          expect(anonymous.status).toBe(401)
        }
      })
    )
  })
})
