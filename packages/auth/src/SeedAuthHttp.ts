/**
 * Seed 003's account routes (`/auth/register`, `/auth/login`, `/auth/me`, `/auth/methods`, the
 * `AuthApi` group of `@switchyard/domain`) over better-auth, for every app that serves them: the
 * control plane and the router (so a desktop client can sign in and chat on one base URL). Both
 * build their group from these handlers and this `Authentication` middleware, so they answer with
 * the same accounts, tokens, errors and sign-in limits.
 */
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import {
  AccessToken,
  Authentication,
  type LoginRequest,
  type RegisterRequest,
  SignInMethods,
  type TooManyRequests,
  Unauthorized
} from "@switchyard/domain"
import { Effect, Layer, Option, Redacted } from "effect"
import { BetterAuth } from "./BetterAuth.ts"

/** Sends the wait a 429 names as `Retry-After` too (HttpApi errors carry no headers of their own). */
const retryAfter = (error: TooManyRequests) =>
  HttpApp.appendPreResponseHandler((_request, response) =>
    Effect.succeed(HttpServerResponse.setHeader(response, "retry-after", String(error.retryAfterSeconds)))
  )

const bearer = (token: AccessToken["access_token"]) =>
  new AccessToken({ access_token: token, token_type: "bearer" })

/**
 * The handlers' bodies. `clientAddress` tells each app's way of knowing the caller's address (the
 * socket's; never a header a client could forge), for better-auth's per-address limits.
 */
export const seedAuthHandlers = (clientAddress: (request: HttpServerRequest.HttpServerRequest) => string) =>
  Effect.map(BetterAuth, (auth) => ({
    register: (payload: RegisterRequest) =>
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        const name = payload.name ?? payload.email.split("@")[0] ?? payload.email
        const token = yield* auth.register(
          { email: payload.email, password: payload.password, name },
          clientAddress(request)
        )
        return bearer(token)
      }).pipe(Effect.tapErrorTag("TooManyRequests", retryAfter)),
    login: (payload: LoginRequest) =>
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        return bearer(yield* auth.login(payload, clientAddress(request)))
      }).pipe(Effect.tapErrorTag("TooManyRequests", retryAfter)),
    methods: () =>
      Effect.succeed(
        new SignInMethods({
          emailPassword: true,
          github: "github" in (auth.auth.options.socialProviders ?? {})
        })
      )
  }))

const unauthorized = new Unauthorized({
  message: "Sign in first: send the session cookie, or Authorization: Bearer <token> from /auth/login"
})

/** The `Authentication` middleware: `CurrentUser` from a bearer token, else from the session cookie. */
export const AuthenticationLive = Layer.effect(
  Authentication,
  Effect.gen(function* () {
    const auth = yield* BetterAuth
    const userFrom = (headers: Record<string, string>) =>
      Effect.flatMap(
        auth.getUser(new Headers(headers)),
        Option.match({
          onNone: () => Effect.fail(unauthorized),
          onSome: Effect.succeed
        })
      )
    return Authentication.of({
      bearer: (token) => {
        const value = Redacted.value(token).trim()
        return value === "" ? Effect.fail(unauthorized) : userFrom({ authorization: `Bearer ${value}` })
      },
      // The whole cookie header goes to better-auth: over HTTPS its cookie has a `__Secure-` prefix.
      session: () =>
        Effect.flatMap(Effect.serviceOption(HttpServerRequest.HttpServerRequest), (request) => {
          const cookie = Option.flatMap(request, (r) => Option.fromNullable(r.headers.cookie))
          return Option.match(cookie, {
            onNone: () => Effect.fail(unauthorized),
            onSome: (value) => userFrom({ cookie: value })
          })
        })
    })
  })
)
