/**
 * The `VibeAuthentication` middleware: both security schemes hand the request's credential headers
 * to `VibeCredentials`, which decides which kind of credential it is.
 */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { VibeAuthentication } from "@switchyard/domain"
import { VibeCredentials } from "@switchyard/vibe"
import { Effect, Layer } from "effect"

export const VibeAuthenticationLive = Layer.effect(
  VibeAuthentication,
  Effect.gen(function* () {
    const credentials = yield* VibeCredentials
    // Node lower-cases header names, so `X-API-Key` matches whatever case the client sent.
    const fromRequest = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
      credentials.authenticate({
        apiKey: request.headers["x-api-key"],
        authorization: request.headers.authorization
      })
    )
    return VibeAuthentication.of({ apiKey: () => fromRequest, bearer: () => fromRequest })
  })
)
