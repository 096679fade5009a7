/**
 * The router's web handler `(Request) => Promise<Response>`: the model routes first (plain
 * functions over the app's services, see ChatRoute.ts), then the few other routes.
 */
import { GatewayError } from "@switchyard/domain"
import { FailedRequests, UsageMetrics } from "@switchyard/ledger"
import { Providers } from "@switchyard/router-core"
import { Vault } from "@switchyard/vault"
import { Effect } from "effect"
import * as ChatRoute from "./ChatRoute.ts"
import { errorResponse, unhandledError } from "./ClientError.ts"
import * as GatewayContext from "./GatewayContext.ts"
import { HealthCheck } from "./Health.ts"
import * as ApiChatRoute from "./routes/ApiChatRoute.ts"
import * as CountTokensRoute from "./routes/CountTokensRoute.ts"
import * as EmbeddingsRoute from "./routes/EmbeddingsRoute.ts"
import * as FailedRequestRoute from "./routes/FailedRequestRoute.ts"
import * as HealthRoute from "./routes/HealthRoute.ts"
import * as MetricsRoute from "./routes/MetricsRoute.ts"
import * as ModelsRoute from "./routes/ModelsRoute.ts"
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

/** Routes beside the model routes, by `METHOD path`. */
export type ExtraRoutes = Readonly<Record<string, Handler>>

/** Routes whose bugs are answered in Anthropic's error format (they serve Anthropic clients). */
const ANTHROPIC_ROUTES = new Set(["POST /v1/messages/count_tokens"])

/** The handler: model routes first, then the others, else a JSON 404. */
export const dispatch = (ctx: GatewayContext.GatewayContext, extra: ExtraRoutes): Handler => {
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
    return Promise.resolve(notFound(method, path))
  }
}

/** Builds the router's web handler from the app's services (once, at start-up). */
export const make = Effect.gen(function* () {
  const ctx = yield* GatewayContext.make
  const health = yield* HealthCheck
  const metrics = yield* UsageMetrics
  const vault = yield* Vault
  const failedRequests = yield* FailedRequests
  const table = ctx.routing.current()
  yield* logUnpriced(table, ctx.pricing)
  // Metric labels: the models the router knows (advertised, aliased); any other is `other`.
  metrics.recognize(Object.values(Providers.specs).flatMap((spec) => spec.models))
  metrics.recognize(table.aliases.flatMap(([alias, route]) => [alias, route.upstreamModel]))
  return dispatch(ctx, {
    "POST /v1/embeddings": EmbeddingsRoute.make(ctx),
    "POST /v1/messages/count_tokens": CountTokensRoute.make(ctx),
    "POST /api/chat": ApiChatRoute.make(ctx),
    "GET /v1/models": ModelsRoute.make(ctx),
    "GET /v1/models/*": ModelsRoute.makeRetrieve(ctx),
    "GET /v1/user/ai-keys": UserKeysRoute.make(ctx, vault),
    "POST /v1/sync/failed-request": FailedRequestRoute.make(ctx, failedRequests),
    "GET /health": HealthRoute.make(ctx, health),
    // Seed 000 served its health check under its API prefix.
    "GET /v1/health": HealthRoute.make(ctx, health),
    "GET /metrics": MetricsRoute.make(ctx, metrics)
  })
})
