/**
 * The router's web handler `(Request) => Promise<Response>`: every route, built once at start-up
 * over the app's services (dispatching itself is in Dispatch.ts).
 */
import { ResponseStore } from "@switchyard/db"
import { FailedRequests, UsageMetrics } from "@switchyard/ledger"
import { Providers } from "@switchyard/router-core"
import { Vault } from "@switchyard/vault"
import { Effect, Option } from "effect"
import * as Accounts from "./Accounts.ts"
import { dispatch, servingRoutes } from "./Dispatch.ts"
import * as GatewayContext from "./GatewayContext.ts"
import { HealthCheck } from "./Health.ts"
import * as ProviderHealth from "./ProviderHealth.ts"
import * as ResponsesRoute from "./responses/ResponsesRoute.ts"
import * as StoredResponsesRoute from "./responses/StoredResponsesRoute.ts"
import * as CountTokensRoute from "./routes/CountTokensRoute.ts"
import * as DocsRoutes from "./routes/DocsRoutes.ts"
import * as FailedRequestRoute from "./routes/FailedRequestRoute.ts"
import * as HealthRoute from "./routes/HealthRoute.ts"
import * as MetricsRoute from "./routes/MetricsRoute.ts"
import * as ModelsRoute from "./routes/ModelsRoute.ts"
import * as SeedApiRoutes from "./routes/SeedApiRoutes.ts"
import * as UserKeysRoute from "./routes/UserKeysRoute.ts"
import { logUnpriced } from "./UnpricedModels.ts"

export { dispatch, type ExtraRoutes, type Handler, pathOf, servingRoutes } from "./Dispatch.ts"

/** Builds the router's web handler from the app's services (once, at start-up). */
export const make = Effect.gen(function* () {
  const ctx = yield* GatewayContext.make
  const health = yield* HealthCheck
  const metrics = yield* UsageMetrics
  const vault = yield* Vault
  const failedRequests = yield* FailedRequests
  // The app's layer stores responses in PostgreSQL; a test that builds its own layer gets memory.
  const responses = yield* Option.match(yield* Effect.serviceOption(ResponseStore), {
    onNone: () => Effect.provide(ResponseStore, ResponseStore.layerMemory()),
    onSome: Effect.succeed
  })
  const providers = yield* ProviderHealth.fromConfig({
    ttlMs: ctx.settings.providerHealthTtlMs,
    timeoutMs: 5000,
    firstWaitMs: 1000
  })
  const table = ctx.routing.current()
  yield* logUnpriced(table, ctx.pricing)
  // Metric labels: the models the router knows (advertised, aliased); any other is `other`.
  metrics.recognize(Object.values(Providers.specs).flatMap((spec) => spec.models))
  metrics.recognize(table.aliases.flatMap(([alias, route]) => [alias, route.upstreamModel]))
  return dispatch(ctx, {
    ...servingRoutes(ctx),
    // The Responses API keeps conversations in PostgreSQL: served by the owning thread.
    "POST /v1/responses": ResponsesRoute.make(ctx, responses),
    "GET /v1/responses/*": StoredResponsesRoute.make(ctx, responses),
    "DELETE /v1/responses/*": StoredResponsesRoute.make(ctx, responses),
    "POST /v1/messages/count_tokens": CountTokensRoute.make(ctx),
    "GET /v1/models": ModelsRoute.make(ctx),
    "GET /v1/models/*": ModelsRoute.makeRetrieve(ctx),
    "GET /v1/user/ai-keys": UserKeysRoute.make(ctx, vault),
    "POST /v1/sync/failed-request": FailedRequestRoute.make(ctx, failedRequests),
    "GET /health": HealthRoute.make(ctx, health, providers),
    // Seed 000 served its health check under its API prefix.
    "GET /v1/health": HealthRoute.make(ctx, health, providers),
    "GET /metrics": MetricsRoute.make(ctx, metrics),
    // Seed 000's API also under its Laravel prefix, with its statuses (422, 500 server_error).
    ...SeedApiRoutes.make(ctx, { vault, failedRequests, health, providers }),
    // Seed 003 on one base URL: its account routes beside its chat.
    ...Accounts.routes(yield* Effect.serviceOption(Accounts.Accounts)),
    // The router's OpenAPI document, Swagger UI and ReDoc (seed 003's /docs and /redoc).
    ...DocsRoutes.make()
  })
})
