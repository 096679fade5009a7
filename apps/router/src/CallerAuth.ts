/**
 * Who is calling: an API key (`Authorization: Bearer ef_…` or `x-api-key: ef_…`) or a user bearer
 * token from the control plane (desktop clients). Verification is the auth package's (cached, no
 * database per request); this module only picks the credential out of the headers and asks.
 */
import { ApiKeyVerifier, UserTokenVerifier } from "@switchyard/auth"
import type { LimitsConfig } from "@switchyard/domain"
import { Context, Effect, Layer, Option } from "effect"

/** The authenticated caller. */
export interface Caller {
  readonly userId: string
  /** Null when the caller used a user token rather than an API key. */
  readonly apiKeyId: string | null
  /** The key's own limits, when its owner set some (see `LimitsConfig`); for the limiter. */
  readonly keyLimits?: LimitsConfig | null | undefined
}

/** Verifies a raw credential taken from the request. */
export class CallerAuth extends Context.Tag("@switchyard/router/CallerAuth")<
  CallerAuth,
  { readonly verify: (credential: string) => Effect.Effect<Option.Option<Caller>> }
>() {}

/** The prefix of Switchyard API keys. */
export const API_KEY_PREFIX = "ef_"

/** The raw credential of a request: `x-api-key` first (Anthropic clients), else the bearer token. */
export const credentialOf = (headers: Headers): string | undefined => {
  const apiKey = headers.get("x-api-key")
  if (apiKey) return apiKey.trim()
  const authorization = headers.get("authorization")
  if (authorization === null || authorization.length < 8) return undefined
  if (authorization.slice(0, 7).toLowerCase() !== "bearer ") return undefined
  const token = authorization.slice(7).trim()
  return token.length > 0 ? token : undefined
}

/** A fixed table of credentials (tests and demos). */
export const layerStatic = (callers: ReadonlyMap<string, Caller>) =>
  Layer.succeed(CallerAuth, {
    verify: (credential) => Effect.succeed(Option.fromNullable(callers.get(credential)))
  })

/**
 * The auth package's cached verifiers: `ef_…` keys through `ApiKeyVerifier`, anything else as a
 * user token through `UserTokenVerifier`.
 */
export const layer = Layer.effect(
  CallerAuth,
  Effect.gen(function* () {
    const keys = yield* ApiKeyVerifier
    const tokens = yield* UserTokenVerifier
    return {
      verify: (credential: string) =>
        credential.startsWith(API_KEY_PREFIX)
          ? Effect.map(
              keys.verify(credential),
              Option.map(
                (key): Caller => ({ userId: key.userId, apiKeyId: key.keyId, keyLimits: key.limits })
              )
            )
          : Effect.map(
              tokens.verify(credential),
              Option.map((user): Caller => ({ userId: user.userId, apiKeyId: null }))
            )
    }
  })
)
