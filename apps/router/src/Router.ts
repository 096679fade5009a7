/**
 * The router's web handler `(Request) => Promise<Response>`: the model routes first (plain
 * functions over the app's services, see ChatRoute.ts), then the few other routes.
 */
import { ResponseStore } from "@switchyard/db"
import { GatewayError } from "@switchyard/domain"
import { FailedRequests, UsageMetrics } from "@switchyard/ledger"
import { Providers } from "@switchyard/router-core"
import { Vault } from "@switchyard/vault"
import { Effect, Option } from "effect"
import * as Accounts from "./Accounts.ts"
import * as ChatRoute from "./ChatRoute.ts"
import { errorResponse, unhandledError } from "./ClientError.ts"
import * as GatewayContext from "./GatewayContext.ts"
import { HealthCheck } from "./Health.ts"
import * as ProviderHealth from "./ProviderHealth.ts"
import * as ResponsesRoute from "./responses/ResponsesRoute.ts"
import * as StoredResponsesRoute from "./responses/StoredResponsesRoute.ts"
import * as ApiChatRoute from "./routes/ApiChatRoute.ts"
import * as CountTokensRoute from "./routes/CountTokensRoute.ts"
import * as DocsRoutes from "./routes/DocsRoutes.ts"
import * as EmbeddingsRoute from "./routes/EmbeddingsRoute.ts"
import * as FailedRequestRoute from "./routes/FailedRequestRoute.ts"
import * as HealthRoute from "./routes/HealthRoute.ts"
import * as MetricsRoute from "./routes/MetricsRoute.ts"
import * as ModelsRoute from "./routes/ModelsRoute.ts"
import * as SeedApiRoutes from "./routes/SeedApiRoutes.ts"
import * as UserKeysRoute from "./routes/UserKeysRoute.ts"
import { logUnpriced } from "./UnpricedModels.ts"

/** A route handler. */
export type Handler = (request: Request) => Promise<Response>

const notFound = (method: string, path: string) =>
  errorResponse(
    "openai",
    new GatewayError({
      status: 404,
      type: "not_found_error",
      message: `No route for ${method} ${path}`
    })
  )

/** The path of a request URL, without parsing the whole URL. */
export const pathOf = (url: string): string => {
  const start = url.indexOf("/", url.indexOf("//") + 2)
  if (start < 0) return "/"
  const query = url.indexOf("?", start)
  return query < 0 ? url.slice(start) : url.slice(start, query)
}

const failedOpenAI = unhandledError("openai")
const failedAnthropic = unhandledError("anthropic")

/** Routes beside the model routes, by `METHOD path`; `METHOD /prefix/*` takes every path under it. */
export type ExtraRoutes = Readonly<Record<string, Handler>>

/** Routes whose bugs are answered in Anthropic's error format (they serve Anthropic clients). */
const ANTHROPIC_ROUTES = new Set(["POST /v1/messages/count_tokens"])

/** The answer to a request no route takes: a JSON 404. */
const noRoute: Handler = (request) => Promise.resolve(notFound(request.method, pathOf(request.url)))

/**
 * The handler: model routes first, then the others, else `fallback` (a JSON 404; in the serving
 * thread, the owning thread's listener).
 */
export const dispatch = (
  ctx: GatewayContext.GatewayContext,
  extra: ExtraRoutes,
  fallback: Handler = noRoute
): Handler => {
  const routes = new Map<string, Handler>(Object.entries(extra))
  // `METHOD /prefix/*` keys serve every path under the prefix (a model id may hold slashes).
  const prefixed = Object.entries(extra)
    .filter(([key]) => key.endsWith("/*"))
    .map(([key, handler]) => [key.slice(0, -1), handler] as const)
  return (request) => {
    const path = pathOf(request.url)
    const method = request.method
    if (method === "POST") {
      if (path === "/v1/chat/completions") return ChatRoute.handle(ctx, request, "openai").catch(failedOpenAI)
      if (path === "/v1/messages") return ChatRoute.handle(ctx, request, "anthropic").catch(failedAnthropic)
    }
    const key = `${method} ${path}`
    const route = routes.get(key)
    if (route !== undefined)
      return route(request).catch(ANTHROPIC_ROUTES.has(key) ? failedAnthropic : failedOpenAI)
    for (const [prefix, handler] of prefixed) {
      if (key.startsWith(prefix) && key.length > prefix.length) return handler(request).catch(failedOpenAI)
    }
    return fallback(request)
  }
}

/**
 * The routes beside chat that need nothing but the hot path's services: served by the serving
 * thread too (see serving/).
 */
export const servingRoutes = (ctx: GatewayContext.GatewayContext): ExtraRoutes => ({
  "POST /v1/embeddings": EmbeddingsRoute.make(ctx),
  "POST /api/chat": ApiChatRoute.make(ctx),
  ...SeedApiRoutes.servingRoutes(ctx)
})

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
