/**
 * The control plane's typed client, derived from the HttpApi contract in `@switchyard/domain`
 * (`HttpApiClient.make(ControlPlaneApi)`): every route, payload, answer and error is the
 * contract's, so the dashboard cannot drift from the API. Requests go through the browser's fetch
 * with `credentials: "include"`, so better-auth's session cookie travels with them.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpApiClient from "@effect/platform/HttpApiClient"
import * as HttpClient from "@effect/platform/HttpClient"
import { ControlPlaneApi } from "@switchyard/domain"
import { Effect, Layer, ManagedRuntime } from "effect"
import { toApiError } from "./ApiError.ts"

const BrowserFetch = Layer.merge(
  FetchHttpClient.layer,
  Layer.succeed(FetchHttpClient.RequestInit, { credentials: "include" })
)

const makeClient = (baseUrl: string) =>
  HttpApiClient.make(ControlPlaneApi, {
    baseUrl,
    // No `traceparent` / `b3` headers: nothing traces the browser, and CORS would have to allow them.
    transformClient: HttpClient.withTracerPropagation(false)
  })

/** The typed client: `client.apikey.get()`, `client.secret.put({ payload })`… */
export type ControlPlaneClient = Effect.Effect.Success<ReturnType<typeof makeClient>>

/** A client plus the one runtime its calls run on. */
export interface ControlPlane {
  readonly client: ControlPlaneClient
  /**
   * Runs one call as a Promise (what TanStack Query expects). A failure rejects with an
   * `ApiError` carrying the contract's error tag, its message and the fields it names.
   */
  readonly run: <A, E>(call: (client: ControlPlaneClient) => Effect.Effect<A, E>) => Promise<A>
}

/** Builds the client for the control plane at `baseUrl`. */
export const makeControlPlane = async (baseUrl: string): Promise<ControlPlane> => {
  const runtime = ManagedRuntime.make(BrowserFetch)
  const client = await runtime.runPromise(makeClient(baseUrl))
  return {
    client,
    run: (call) =>
      runtime
        .runPromise(
          call(client).pipe(
            Effect.catchAllCause((cause) => Effect.fail(toApiError(cause))),
            Effect.either
          )
        )
        .then((result) => {
          if (result._tag === "Left") throw result.left
          return result.right
        })
  }
}
