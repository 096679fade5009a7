/**
 * better-auth's own routes (`/api/auth/*`: sign-up, sign-in, sessions, OAuth callbacks), mounted
 * as a raw route beside the HttpApi.
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { AUTH_BASE_PATH, BetterAuth, CLIENT_IP_HEADER } from "@switchyard/auth/better-auth"
import { Effect, Layer } from "effect"
import { clientAddress } from "./ClientAddress.ts"

/** Serves every method under `/api/auth/*` with better-auth's web handler. */
export const BetterAuthRoute = Layer.unwrapEffect(
  Effect.gen(function* () {
    const { auth } = yield* BetterAuth
    const app = HttpApp.fromWebHandler(auth.handler)
    const handler = Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      // Overwrites any client-sent value: the rate limiter must see the real address.
      const withAddress = request.modify({
        headers: Headers.set(request.headers, CLIENT_IP_HEADER, clientAddress(request))
      })
      return yield* Effect.provideService(app, HttpServerRequest.HttpServerRequest, withAddress)
    })
    return HttpLayerRouter.add("*", `${AUTH_BASE_PATH}/*`, handler)
  })
)
