/**
 * Seed 003's `/auth/register`, `/auth/login` and `/auth/me`, on top of better-auth, and
 * `/auth/methods` (which sign-in methods are configured, for the dashboard).
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { BetterAuth } from "@switchyard/auth/better-auth"
import {
  AccessToken,
  ControlPlaneApi,
  CurrentUser,
  SignInMethods,
  type TooManyRequests
} from "@switchyard/domain"
import { Effect } from "effect"
import { clientAddress } from "../http/ClientAddress.ts"

/** Sends the wait a 429 names as `Retry-After` too (HttpApi errors carry no headers of their own). */
const retryAfter = (error: TooManyRequests) =>
  HttpApp.appendPreResponseHandler((_request, response) =>
    Effect.succeed(HttpServerResponse.setHeader(response, "retry-after", String(error.retryAfterSeconds)))
  )

const bearer = (token: AccessToken["access_token"]) =>
  new AccessToken({ access_token: token, token_type: "bearer" })

/** The auth group. */
export const AuthLive = HttpApiBuilder.group(ControlPlaneApi, "auth", (handlers) =>
  Effect.gen(function* () {
    const auth = yield* BetterAuth
    return handlers
      .handle("register", ({ payload }) =>
        Effect.gen(function* () {
          const request = yield* HttpServerRequest.HttpServerRequest
          const name = payload.name ?? payload.email.split("@")[0] ?? payload.email
          const token = yield* auth.register(
            { email: payload.email, password: payload.password, name },
            clientAddress(request)
          )
          return bearer(token)
        }).pipe(Effect.tapErrorTag("TooManyRequests", retryAfter))
      )
      .handle("login", ({ payload }) =>
        Effect.gen(function* () {
          const request = yield* HttpServerRequest.HttpServerRequest
          return bearer(yield* auth.login(payload, clientAddress(request)))
        }).pipe(Effect.tapErrorTag("TooManyRequests", retryAfter))
      )
      .handle("me", () => CurrentUser)
      .handle("methods", () =>
        Effect.succeed(
          new SignInMethods({
            emailPassword: true,
            github: "github" in (auth.auth.options.socialProviders ?? {})
          })
        )
      )
  })
)
