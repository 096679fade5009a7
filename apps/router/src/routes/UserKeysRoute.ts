/**
 * `GET /v1/user/ai-keys` (seed 000): the caller's OWN enabled provider keys (never the platform's),
 * with an `expiration` 30 days ahead, for clients that fall back to calling providers directly when
 * the gateway is unreachable. Exposing secrets is a choice the operator makes: off unless
 * `EXPOSE_USER_KEYS=true`, and 403 saying so otherwise.
 */
import { GatewayError } from "@switchyard/domain"
import type { Vault } from "@switchyard/vault"
import { Effect, Option, Redacted } from "effect"
import { authenticate } from "../Authenticate.ts"
import { errorResponse } from "../ClientError.ts"
import type { GatewayContext } from "../GatewayContext.ts"
import * as Limits from "../Limits.ts"
import { jsonResponse } from "./json.ts"

const THIRTY_DAYS_MS = 30 * 24 * 60 * 60 * 1000

const disabled = new GatewayError({
  status: 403,
  type: "permission_error",
  message:
    "GET /v1/user/ai-keys is disabled on this server: it returns provider secrets, so the operator must enable it with EXPOSE_USER_KEYS=true"
})

const unavailable = new GatewayError({
  status: 503,
  type: "api_error",
  message: "Your provider keys cannot be read right now; try again shortly"
})

const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" }

/** The handler. */
export const make =
  (ctx: GatewayContext, vault: Vault["Type"]) =>
  async (request: Request): Promise<Response> => {
    const caller = await authenticate(ctx, request)
    if (caller instanceof Response) return caller
    const limits = await Limits.admitPlain(ctx, caller)
    if (!limits.ok) return errorResponse("openai", limits.error, { ...NO_STORE, ...limits.headers })
    const headers = { ...NO_STORE, ...limits.headers }
    if (!ctx.settings.exposeUserKeys) return errorResponse("openai", disabled, headers)
    const keys = await ctx.run(
      Effect.gen(function* () {
        const out: Record<string, string> = {}
        for (const meta of yield* vault.list(caller.userId)) {
          if (!meta.enabled) continue
          const found = yield* vault.get(caller.userId, meta.provider)
          if (Option.isSome(found) && found.value.metadata.enabled)
            out[meta.provider] = Redacted.value(found.value.secret)
        }
        return out
      }).pipe(
        // The vault's database is down, or a stored key does not decrypt: 503, and the reason logged.
        Effect.catchAll((error) =>
          Effect.as(Effect.logError("reading provider keys failed", error.message), undefined)
        )
      )
    )
    if (keys === undefined) return errorResponse("openai", unavailable, headers)
    return jsonResponse(
      200,
      { ...keys, expiration: new Date(Date.now() + THIRTY_DAYS_MS).toISOString() },
      headers
    )
  }
