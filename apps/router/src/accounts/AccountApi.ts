/**
 * Seed 003's account routes on the router (`/auth/register`, `/auth/login`, `/auth/me`,
 * `/auth/methods`): the domain's `AuthApi` group, served by the auth package's handlers over
 * better-auth, on the router's own database and change feed. Same accounts, same tokens, same
 * answers as the control plane's, with no hop to it. Loaded by `Accounts.ts` on the first `/auth/*`
 * request only.
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServer from "@effect/platform/HttpServer"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type { SqlClient } from "@effect/sql"
import { type ChangeFeed, CLIENT_IP_HEADER, SignInLockout } from "@switchyard/auth"
import { BetterAuth, optionsFromConfig } from "@switchyard/auth/better-auth"
import { AuthenticationLive, seedAuthHandlers } from "@switchyard/auth/seed-auth"
import { AuthApi, CurrentUser } from "@switchyard/domain"
import { type ConfigProvider, type Context, Effect, Either, Layer } from "effect"

/** The router's account API: the domain's `AuthApi` group alone. */
class AccountApi extends HttpApi.make("switchyard-router-accounts").add(AuthApi) {}

/** The address the router put in the request from its socket (`Accounts.ts` overwrites the header). */
const clientAddress = (request: HttpServerRequest.HttpServerRequest): string =>
  request.headers[CLIENT_IP_HEADER] ?? "unknown"

const AuthGroup = HttpApiBuilder.group(AccountApi, "auth", (handlers) =>
  Effect.map(seedAuthHandlers(clientAddress), (seed) =>
    handlers
      .handle("register", ({ payload }) => seed.register(payload))
      .handle("login", ({ payload }) => seed.login(payload))
      .handle("me", () => CurrentUser)
      .handle("methods", seed.methods)
  )
)

/** A served API, or why it cannot be served (a setting is missing: the message names it). */
export type Built =
  | {
      readonly _tag: "Served"
      readonly handler: (request: Request) => Promise<Response>
      readonly dispose: () => Promise<void>
    }
  | { readonly _tag: "Unavailable"; readonly reason: string }

/** Builds the web handler over the router's services and configuration. */
export const build = async (
  context: Context.Context<ChangeFeed | SqlClient.SqlClient>,
  configProvider: ConfigProvider.ConfigProvider
): Promise<Built> => {
  const options = await Effect.runPromise(
    Effect.either(Effect.withConfigProvider(optionsFromConfig, configProvider))
  )
  if (Either.isLeft(options)) {
    return {
      _tag: "Unavailable",
      reason: `accounts are not served by this router: ${options.left.message} (the control plane's BETTER_AUTH_SECRET and POSTGRES_CONNECTION_STRING are needed)`
    }
  }
  const services = Layer.succeedContext(context)
  const auth = BetterAuth.layer(options.right).pipe(
    Layer.provide(SignInLockout.layerFromConfig),
    Layer.provide(services)
  )
  const api = HttpApiBuilder.api(AccountApi).pipe(Layer.provide(AuthGroup), Layer.provide(AuthenticationLive))
  const { dispose, handler } = HttpApiBuilder.toWebHandler(
    Layer.mergeAll(api, HttpServer.layerContext).pipe(
      Layer.provide(auth),
      Layer.provide(Layer.setConfigProvider(configProvider))
    )
  )
  return { _tag: "Served", handler: (request) => handler(request), dispose }
}
