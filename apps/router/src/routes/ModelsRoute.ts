/**
 * `GET /v1/models` and `GET /v1/models/{id}`: the models this caller can reach. A provider is
 * reachable when the caller stored an enabled key for it or the platform has one; each lists the
 * models it advertises, plus the operator's aliases that lead to a reachable provider and the mock
 * models when the mock is on. `{id}` also answers any other name that routes to a reachable
 * provider (`gpt-4o-2024-08-06`, `openai/…`), since requests with it would be served.
 *
 * OpenAI's shapes by default; Anthropic's (`type`, `display_name`, `created_at`, and a page with
 * `has_more` / `first_id` / `last_id`, paged by `limit`, `after_id`, `before_id`) when the client
 * sends `anthropic-version`, as Anthropic's SDKs always do. Errors likewise in the client's format.
 * Both are counted against the caller's request rate like every keyed route.
 */
import { GatewayError, ProviderId, type RouteProviderId, withoutControlCharacters } from "@switchyard/domain"
import { Providers } from "@switchyard/router-core"
import { Effect } from "effect"
import { authenticate } from "../Authenticate.ts"
import type { Caller } from "../CallerAuth.ts"
import { type ErrorFormat, errorResponse } from "../ClientError.ts"
import type { GatewayContext } from "../GatewayContext.ts"
import * as Limits from "../Limits.ts"
import { jsonResponse } from "./json.ts"

/** When this router started: the creation time shown for every model. */
const CREATED = Math.floor(Date.now() / 1000)
const CREATED_AT = new Date(CREATED * 1000).toISOString()

/** A model the caller can reach, and the provider that serves it. */
interface Listed {
  readonly id: string
  readonly owner: string
}

const formatOf = (request: Request): ErrorFormat =>
  request.headers.has("anthropic-version") ? "anthropic" : "openai"

/** The providers this caller has a usable credential for (and the mock, when it is on). */
const reachable = async (ctx: GatewayContext, caller: Caller): Promise<Set<RouteProviderId>> => {
  const found = await ctx.run(
    Effect.filter(ProviderId.literals, (provider) =>
      ctx.credentials.resolve(caller.userId, provider).pipe(
        Effect.as(true),
        Effect.orElseSucceed(() => false)
      )
    )
  )
  const can = new Set<RouteProviderId>(found)
  if (ctx.routing.current().mockEnabled) can.add("mock")
  return can
}

/** The caller's models, in a stable order: aliases first, then each provider's. */
const listed = (ctx: GatewayContext, can: ReadonlySet<RouteProviderId>): Array<Listed> => {
  const table = ctx.routing.current()
  const data: Array<Listed> = []
  const seen = new Set<string>()
  const add = (id: string, owner: string) => {
    if (seen.has(id)) return
    seen.add(id)
    data.push({ id, owner })
  }
  for (const [alias, route] of table.aliases) if (can.has(route.provider)) add(alias, route.provider)
  for (const provider of can) {
    const { models } = Providers.specs[provider]
    // Bare names route by prefix; the others (mock) need their `provider/` prefix.
    for (const model of models)
      add(table.resolve(model)?.provider === provider ? model : `${provider}/${model}`, provider)
  }
  return data
}

const openaiModel = (m: Listed) => ({ id: m.id, object: "model", created: CREATED, owned_by: m.owner })

const anthropicModel = (m: Listed) => ({
  type: "model",
  id: m.id,
  display_name: m.id,
  created_at: CREATED_AT,
  capabilities: null,
  deprecated_at: null,
  lifecycle: "active",
  line: null,
  max_input_tokens: null,
  max_tokens: null,
  retires_at: null
})

const invalid = (param: string, message: string) =>
  new GatewayError({ status: 400, type: "invalid_request_error", param, message })

/** One page of Anthropic's list: `limit` (1–1000, default 20) after `after_id` or before `before_id`. */
const anthropicPage = (all: ReadonlyArray<Listed>, query: URLSearchParams): unknown | GatewayError => {
  const rawLimit = query.get("limit")
  const limit = rawLimit === null ? 20 : Number(rawLimit)
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    return invalid("limit", "'limit' must be an integer from 1 to 1000")
  const after = query.get("after_id")
  const before = query.get("before_id")
  let start = 0
  let end = all.length
  if (after !== null) {
    const at = all.findIndex((m) => m.id === after)
    if (at < 0) return invalid("after_id", "'after_id' is not a model of this list")
    start = at + 1
  }
  if (before !== null) {
    const at = all.findIndex((m) => m.id === before)
    if (at < 0) return invalid("before_id", "'before_id' is not a model of this list")
    end = at
  }
  // Paging backwards takes the `limit` models just before `before_id`.
  const window =
    before !== null && after === null
      ? all.slice(Math.max(start, end - limit), end)
      : all.slice(start, end).slice(0, limit)
  const data = window.map(anthropicModel)
  const firstIndex = window.length === 0 ? start : all.indexOf(window[0]!)
  const hasMore = before !== null && after === null ? firstIndex > 0 : start + window.length < end
  return { data, has_more: hasMore, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null }
}

/** `GET /v1/models`. */
export const make =
  (ctx: GatewayContext) =>
  async (request: Request): Promise<Response> => {
    const format = formatOf(request)
    const caller = await authenticate(ctx, request, format)
    if (caller instanceof Response) return caller
    const limits = await Limits.admitPlain(ctx, caller)
    if (!limits.ok) return errorResponse(format, limits.error, limits.headers)
    const all = listed(ctx, await reachable(ctx, caller))
    if (format === "openai")
      return jsonResponse(200, { object: "list", data: all.map(openaiModel) }, limits.headers)
    const page = anthropicPage(all, new URL(request.url).searchParams)
    return page instanceof GatewayError
      ? errorResponse(format, page, limits.headers)
      : jsonResponse(200, page, limits.headers)
  }

const PREFIX = "/v1/models/"

/** `GET /v1/models/{id}` (`models.retrieve`); the id may hold `/`, encoded or not. */
export const makeRetrieve =
  (ctx: GatewayContext) =>
  async (request: Request): Promise<Response> => {
    const format = formatOf(request)
    const caller = await authenticate(ctx, request, format)
    if (caller instanceof Response) return caller
    const limits = await Limits.admitPlain(ctx, caller)
    if (!limits.ok) return errorResponse(format, limits.error, limits.headers)
    const url = new URL(request.url)
    let id: string
    try {
      id = decodeURIComponent(url.pathname.slice(url.pathname.indexOf(PREFIX) + PREFIX.length))
    } catch {
      id = ""
    }
    const can = await reachable(ctx, caller)
    let found = listed(ctx, can).find((m) => m.id === id)
    if (found === undefined && id !== "") {
      const route = ctx.routing.current().resolve(id)
      if (route !== undefined && can.has(route.provider)) found = { id, owner: route.provider }
    }
    if (found === undefined) {
      return errorResponse(
        format,
        new GatewayError({
          status: 404,
          type: "not_found_error",
          code: "model_not_found",
          param: "model",
          message: `The model \`${withoutControlCharacters(id.slice(0, 200))}\` does not exist or is not reachable with your key`
        }),
        limits.headers
      )
    }
    return jsonResponse(200, format === "openai" ? openaiModel(found) : anthropicModel(found), limits.headers)
  }
