/**
 * `GET /v1/models`: the models this caller can reach, in OpenAI's list format. A provider is
 * reachable when the caller stored an enabled key for it or the platform has one; each lists the
 * models it advertises, plus the operator's aliases that lead to a reachable provider and the mock
 * models when the mock is on. Counted against the caller's request rate like every keyed route.
 */
import { ProviderId, type RouteProviderId } from "@switchyard/domain"
import { Providers } from "@switchyard/router-core"
import { Effect } from "effect"
import { authenticate } from "../Authenticate.ts"
import { errorResponse } from "../ClientError.ts"
import type { GatewayContext } from "../GatewayContext.ts"
import * as Limits from "../Limits.ts"
import { jsonResponse } from "./json.ts"

const CREATED = Math.floor(Date.now() / 1000)

/** The handler. */
export const make =
  (ctx: GatewayContext) =>
  async (request: Request): Promise<Response> => {
    const caller = await authenticate(ctx, request)
    if (caller instanceof Response) return caller
    const limits = await Limits.admitPlain(ctx, caller)
    if (!limits.ok) return errorResponse("openai", limits.error, limits.headers)
    const table = ctx.routing.current()
    const reachable = await ctx.run(
      Effect.filter(ProviderId.literals, (provider) =>
        ctx.credentials.resolve(caller.userId, provider).pipe(
          Effect.as(true),
          Effect.orElseSucceed(() => false)
        )
      )
    )
    const can = new Set<RouteProviderId>(reachable)
    if (table.mockEnabled) can.add("mock")
    const data: Array<{ id: string; object: "model"; created: number; owned_by: string }> = []
    const seen = new Set<string>()
    const add = (id: string, owner: string) => {
      if (seen.has(id)) return
      seen.add(id)
      data.push({ id, object: "model", created: CREATED, owned_by: owner })
    }
    for (const [alias, route] of table.aliases) if (can.has(route.provider)) add(alias, route.provider)
    for (const provider of can) {
      const { models } = Providers.specs[provider]
      // Bare names route by prefix; the others (mock) need their `provider/` prefix.
      for (const model of models)
        add(table.resolve(model)?.provider === provider ? model : `${provider}/${model}`, provider)
    }
    return jsonResponse(200, { object: "list", data }, limits.headers)
  }
