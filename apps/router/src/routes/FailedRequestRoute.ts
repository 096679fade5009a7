/**
 * `POST /v1/sync/failed-request` (seed 000): a client reports a request that failed while it was
 * offline; stored once per `(user, request_id)` by the ledger (a repeat answers 200 with the
 * original `synced_at`). Counted against the caller's request limits, and stored within a per-user
 * quota (`FAILED_REQUESTS_MAX_PER_USER`, `FAILED_REQUESTS_MAX_BYTES_PER_USER`).
 */
import { GatewayError } from "@switchyard/domain"
import type { FailedRequests } from "@switchyard/ledger"
import { Effect } from "effect"
import { authenticate } from "../Authenticate.ts"
import { errorResponse } from "../ClientError.ts"
import type { GatewayContext } from "../GatewayContext.ts"
import * as Limits from "../Limits.ts"
import { readJsonBody } from "../RequestBody.ts"
import { jsonResponse } from "./json.ts"

/** The handler. */
export const make =
  (ctx: GatewayContext, failedRequests: FailedRequests["Type"]) =>
  async (request: Request): Promise<Response> => {
    const caller = await authenticate(ctx, request)
    if (caller instanceof Response) return caller
    // Under the caller's request limits like a model call (charged no tokens or money).
    const limits = await Limits.admitPlain(ctx, caller)
    if (!limits.ok) return errorResponse("openai", limits.error, limits.headers)
    const headers = limits.headers
    const body = await readJsonBody(request, ctx.settings.maxBodyBytes)
    if (body instanceof GatewayError) return errorResponse("openai", body, headers)
    const result = await ctx.run(
      failedRequests.store(caller.userId, body.json).pipe(
        Effect.map((synced) => jsonResponse(200, synced, headers)),
        Effect.catchTags({
          InvalidFailedRequest: (e) =>
            Effect.succeed(
              errorResponse(
                "openai",
                new GatewayError({
                  status: 400,
                  type: "invalid_request_error",
                  message: e.message,
                  param: e.field
                }),
                headers
              )
            ),
          FailedRequestQuotaExceeded: (e) =>
            Effect.succeed(
              errorResponse(
                "openai",
                new GatewayError({
                  status: 429,
                  type: "rate_limit_error",
                  code: "insufficient_quota",
                  message: e.message
                }),
                headers
              )
            ),
          FailedRequestStoreUnavailable: (e) =>
            Effect.succeed(
              errorResponse(
                "openai",
                new GatewayError({ status: 503, type: "api_error", message: e.message }),
                headers
              )
            )
        })
      )
    )
    return result
  }
