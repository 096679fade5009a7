/**
 * Dispatching a request to its route: the model routes first (plain functions over the app's
 * services, see ChatRoute.ts), then the others by `METHOD path`. Apart from Router.ts (which
 * builds every route, storage included) so the serving thread, which serves only the routes
 * here, loads none of the stored ones' packages (PostgreSQL, the vault).
 */
import { GatewayError } from "@switchyard/domain"
import * as ChatRoute from "./ChatRoute.ts"
import { errorResponse, unhandledError } from "./ClientError.ts"
import type * as GatewayContext from "./GatewayContext.ts"
import * as ApiChatRoute from "./routes/ApiChatRoute.ts"
import * as EmbeddingsRoute from "./routes/EmbeddingsRoute.ts"
import * as SeedApiRoutes from "./routes/SeedApiRoutes.ts"

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
