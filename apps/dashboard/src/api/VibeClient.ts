/**
 * The vibe-apps API's typed client, derived from its HttpApi contract (`VibeApi` in
 * `@switchyard/domain`). The API takes the user's session token as a bearer (apps belong to the
 * signed-in user, whatever credential they use), so each client is made for one token.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpApiClient from "@effect/platform/HttpApiClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { VibeApi } from "@switchyard/domain"
import { Effect, ManagedRuntime } from "effect"
import { toApiError } from "./ApiError.ts"

const runtime = ManagedRuntime.make(FetchHttpClient.layer)

const makeClient = (baseUrl: string, token: string) =>
  HttpApiClient.make(VibeApi, {
    baseUrl,
    transformClient: (client) =>
      client.pipe(
        HttpClient.withTracerPropagation(false),
        HttpClient.mapRequest(HttpClientRequest.bearerToken(token))
      )
  })

/** The typed client: `client.apps.create({ payload })`… */
export type VibeClient = Effect.Effect.Success<ReturnType<typeof makeClient>>

/** Runs one call on a client for `token`; a failure rejects with an `ApiError`. */
export const runVibe = <A, E>(
  baseUrl: string,
  token: string,
  call: (client: VibeClient) => Effect.Effect<A, E>
): Promise<A> =>
  runtime
    .runPromise(
      makeClient(baseUrl, token).pipe(
        Effect.flatMap(call),
        Effect.catchAllCause((cause) => Effect.fail(toApiError(cause))),
        Effect.either
      )
    )
    .then((result) => {
      if (result._tag === "Left") throw result.left
      return result.right
    })
