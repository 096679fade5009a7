/**
 * Who is calling: an API key (`Authorization: Bearer ef_…` or `x-api-key: ef_…`) or a user bearer
 * token from the control plane (desktop clients). Verification is the auth package's (cached, no
 * database per request); this module only picks the credential out of the headers and asks.
 */
import { ApiKeyVerifier, UserTokenVerifier, type VerifiedKey } from "@switchyard/auth"
import type { LimitsConfig, ServiceUnavailable } from "@switchyard/domain"
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
  {
    /** The hot path's face: the answer when it is known without running anything (a cache hit), else `undefined`. */
    readonly verifyCached: (credential: string) => Option.Option<Caller> | undefined
    /** The same answer as an effect, looked up on a miss; `ServiceUnavailable` when the store is down. */
    readonly verify: (credential: string) => Effect.Effect<Option.Option<Caller>, ServiceUnavailable>
  }
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
    verify: (credential) => Effect.succeed(Option.fromNullable(callers.get(credential))),
    verifyCached: (credential) => Option.fromNullable(callers.get(credential))
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
    // One caller per cached key, so a cache hit allocates nothing.
    const callers = new WeakMap<VerifiedKey, Option.Option<Caller>>()
    const callerOf = (key: VerifiedKey): Option.Option<Caller> => {
      let caller = callers.get(key)
      if (caller === undefined) {
        caller = Option.some({ userId: key.userId, apiKeyId: key.keyId, keyLimits: key.limits })
        callers.set(key, caller)
      }
      return caller
    }
    const ofKey = (found: Option.Option<VerifiedKey>) =>
      Option.isSome(found) ? callerOf(found.value) : noCaller
    return {
      verify: (credential: string) =>
        credential.startsWith(API_KEY_PREFIX)
          ? Effect.map(keys.verify(credential), ofKey)
          : Effect.map(
              tokens.verify(credential),
              Option.map((user): Caller => ({ userId: user.userId, apiKeyId: null }))
            ),
      verifyCached: (credential: string) => {
        // User tokens are verified through an effect every time (desktop clients, not the hot path).
        if (!credential.startsWith(API_KEY_PREFIX)) return undefined
        const found = keys.verifyCached(credential)
        return found === undefined ? undefined : ofKey(found)
      }
    }
  })
)

const noCaller: Option.Option<Caller> = Option.none()
