/**
 * The `Authentication` middleware: asks better-auth whose session a request carries.
 */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { BetterAuth } from "@switchyard/auth/better-auth"
import { Authentication, Unauthorized } from "@switchyard/domain"
import { Effect, Layer, Option, Redacted } from "effect"

const unauthorized = new Unauthorized({
  message: "Sign in first: send the session cookie, or Authorization: Bearer <token> from /auth/login"
})

/** Resolves `CurrentUser` from a bearer token, else from the session cookie. */
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
