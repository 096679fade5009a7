/**
 * Authentication for the routes other than the chat hot path: the caller, or the 401/503 answer.
 */
import { GatewayError } from "@switchyard/domain"
import { Effect, Option } from "effect"
import { type Caller, credentialOf } from "./CallerAuth.ts"
import { type ErrorFormat, errorResponse } from "./ClientError.ts"
import type { GatewayContext } from "./GatewayContext.ts"

/** 401: no credential in the request. */
export const missingKey = new GatewayError({
  status: 401,
  type: "authentication_error",
  message: "Missing API key: send `Authorization: Bearer <key>` or `x-api-key: <key>`"
})

/** 401: the credential is not a valid key or token. */
export const invalidKey = new GatewayError({
  status: 401,
  type: "authentication_error",
  message: "Invalid API key or token"
})

/** 503: the credential could not be checked (the database is down on a cache miss). */
export const authUnavailable = new GatewayError({
  status: 503,
  type: "api_error",
  message: "Authentication is temporarily unavailable; try again shortly"
})

/** Verifies a credential; an outage becomes a 503, never a wrong-key 401. */
export const verify = (ctx: GatewayContext, credential: string): Effect.Effect<Caller | GatewayError> =>
  ctx.auth.verify(credential).pipe(
    Effect.map(Option.getOrElse((): Caller | GatewayError => invalidKey)),
    Effect.catchTag("ServiceUnavailable", (outage) =>
      Effect.as(Effect.logError("verifying a credential failed", outage.message), authUnavailable)
    )
  )

/** `verify` without running an effect when the credential is cached (the hot path's common case). */
export const verifyNow = (
  ctx: GatewayContext,
  credential: string
): Caller | GatewayError | Promise<Caller | GatewayError> => {
  const cached = ctx.auth.verifyCached(credential)
  if (cached === undefined) return ctx.run(verify(ctx, credential))
  return Option.isSome(cached) ? cached.value : invalidKey
}

/** The caller of a request, or the error response to send. */
export const authenticate = async (
  ctx: GatewayContext,
  request: Request,
  format: ErrorFormat = "openai"
): Promise<Caller | Response> => {
  const credential = credentialOf(request.headers)
  if (credential === undefined) return errorResponse(format, missingKey)
  const result = await verifyNow(ctx, credential)
  return result instanceof GatewayError ? errorResponse(format, result) : result
}
