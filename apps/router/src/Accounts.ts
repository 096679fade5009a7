/**
 * Seed 003 on one base URL: the router serves the account routes too (`/auth/register`,
 * `/auth/login`, `/auth/me`), through the auth package over its own database, so a desktop client
 * signs in and chats on the same address. better-auth is loaded on the first `/auth/*` request, not
 * at start-up: a router that only ever sees keys keeps it out of its heap (see the auth package).
 * Its resources (a small pool) are released with the app.
 */
import { SqlClient } from "@effect/sql"
import { ChangeFeed, CLIENT_IP_HEADER } from "@switchyard/auth"
import { GatewayError } from "@switchyard/domain"
import { Context, Effect, Layer, Option } from "effect"
import type { Built } from "./accounts/AccountApi.ts"
import { errorResponse } from "./ClientError.ts"
import type { ExtraRoutes } from "./Router.ts"
import { clientAddress } from "./Server.ts"

/** The account routes' handler. */
export class Accounts extends Context.Tag("@switchyard/router/Accounts")<
  Accounts,
  { readonly handle: (request: Request) => Promise<Response> }
>() {}

const unavailable = (reason: string) =>
  errorResponse("openai", new GatewayError({ status: 503, type: "api_error", message: reason }))

/** Over the app's database and change feed, with the app's configuration. */
export const layer = Layer.scoped(
  Accounts,
  Effect.gen(function* () {
    const context = Context.make(ChangeFeed, yield* ChangeFeed).pipe(
      Context.add(SqlClient.SqlClient, yield* SqlClient.SqlClient)
    )
    const configProvider = yield* Effect.configProviderWith(Effect.succeed)
    let built: Promise<Built> | undefined
    yield* Effect.addFinalizer(() =>
      Effect.promise(async () => {
        const ready = await built?.catch(() => undefined)
        if (ready?._tag === "Served") await ready.dispose()
      })
    )
    const load = () =>
      import("./accounts/AccountApi.ts").then((module) => module.build(context, configProvider))
    return {
      handle: async (request) => {
        built ??= load()
        const ready = await built
        if (ready._tag === "Unavailable") return unavailable(ready.reason)
        // better-auth limits sign-ins per address: the socket's, never what a client claims. A
        // request with no socket address came over the serving thread's Unix socket, which put
        // the client's address in the header itself (serving/worker.ts).
        const headers = new Headers(request.headers)
        headers.set(
          CLIENT_IP_HEADER,
          clientAddress(request) ?? request.headers.get(CLIENT_IP_HEADER) ?? "unknown"
        )
        return ready.handler(new Request(request, { headers }))
      }
    }
  })
)

/** Seed 003's account paths (and the dashboard's `/auth/methods`). */
export const PATHS = ["POST /auth/register", "POST /auth/login", "GET /auth/me", "GET /auth/methods"] as const

/** The routes: served by `Accounts` when the app has it, else a 503 saying why. */
export const routes = (accounts: Option.Option<Accounts["Type"]>): ExtraRoutes => {
  const handle = Option.match(accounts, {
    onNone: () => () =>
      Promise.resolve(unavailable("accounts are not served by this router (it runs without a database)")),
    onSome: (service) => service.handle
  })
  return Object.fromEntries(PATHS.map((path) => [path, handle]))
}
