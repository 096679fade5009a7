/**
 * Seed 004's multi-auth, plus Switchyard's own credentials:
 * - `X-API-Key: <service key>` from `VALID_API_KEYS` (comma-separated). Each configured key is kept
 *   only as its SHA-256; a presented key is hashed and compared with every one in constant time.
 * - `X-API-Key: ef_…` or `Authorization: Bearer ef_…`: a Switchyard API key (the auth package's
 *   cached verifier).
 * - `Authorization: Bearer <JWT>` signed HS256 with `JWT_SECRET` (its `sub` is the user).
 * - `Authorization: Bearer <session token>`: a Switchyard session (the auth package's verifier).
 */
import { createHash, timingSafeEqual } from "node:crypto"
import { ApiKeyFormat, ApiKeyVerifier, UserTokenVerifier } from "@switchyard/auth"
import {
  type ServiceUnavailable,
  type VibeCallerInfo,
  VibeUnauthorized,
  VibeUnavailable
} from "@switchyard/domain"
import { Config, Context, Effect, Layer, Option, Redacted } from "effect"
import { jwtVerify } from "jose"

/** The credential headers of a request (names are case-insensitive on the wire). */
export interface CredentialHeaders {
  readonly apiKey: string | undefined
  readonly authorization: string | undefined
}

const missing = new VibeUnauthorized({
  message: "Send X-API-Key: <key>, or Authorization: Bearer <Switchyard key, session token or JWT>"
})
const invalid = new VibeUnauthorized({ message: "Invalid API key or token" })
const outage = new VibeUnavailable({
  message: "Authentication is temporarily unavailable; try again shortly"
})

const digest = (key: string) => createHash("sha256").update(key).digest()

/** Longest credential looked at; anything longer is refused unread. */
const MAX_CREDENTIAL_LENGTH = 4096

/** Verifies credentials. */
export class VibeCredentials extends Context.Tag("@switchyard/vibe/VibeCredentials")<
  VibeCredentials,
  {
    readonly authenticate: (
      headers: CredentialHeaders
    ) => Effect.Effect<VibeCallerInfo, VibeUnauthorized | VibeUnavailable>
  }
>() {
  /** Service keys and JWT secret from the configuration; Switchyard credentials through the auth package. */
  static readonly layer = Layer.effect(
    VibeCredentials,
    Effect.gen(function* () {
      const keys = yield* ApiKeyVerifier
      const sessions = yield* UserTokenVerifier
      const serviceKeys = yield* Config.string("VALID_API_KEYS").pipe(
        Config.withDefault(""),
        Config.map((list) =>
          list
            .split(",")
            .map((key) => key.trim())
            .filter((key) => key.length > 0)
            .map(digest)
        )
      )
      const jwtSecret = yield* Config.option(Config.redacted("JWT_SECRET"))
      const jwtKey = Option.map(jwtSecret, (secret) => new TextEncoder().encode(Redacted.value(secret)))

      /** `service:<first 16 hex of the key's digest>`, or undefined. Every configured key is compared. */
      const serviceOwner = (presented: string): string | undefined => {
        const hashed = digest(presented)
        let match = false
        for (const key of serviceKeys) match = timingSafeEqual(key, hashed) || match
        return match ? `service:${hashed.toString("hex").slice(0, 16)}` : undefined
      }

      const switchyardKey = (key: string) =>
        keys.verify(key).pipe(
          Effect.flatMap(
            Option.match({
              onNone: () => Effect.fail(invalid),
              onSome: (verified): Effect.Effect<VibeCallerInfo> =>
                Effect.succeed({
                  ownerId: `user:${verified.userId}`,
                  kind: "api_key",
                  routerCredential: Option.some(Redacted.make(key))
                })
            })
          )
        )

      const jwt = (token: string) =>
        Option.match(jwtKey, {
          onNone: () => Effect.fail(invalid),
          onSome: (secret) =>
            Effect.tryPromise({
              try: () => jwtVerify(token, secret, { algorithms: ["HS256"] }),
              // Bad signature, expired, wrong algorithm, malformed: all the same 401.
              catch: () => invalid
            }).pipe(
              Effect.flatMap(({ payload }) =>
                typeof payload.sub === "string" && payload.sub.length > 0 && payload.sub.length <= 256
                  ? Effect.succeed<VibeCallerInfo>({
                      ownerId: `jwt:${payload.sub}`,
                      kind: "jwt",
                      routerCredential: Option.none()
                    })
                  : Effect.fail(invalid)
              )
            )
        })

      const session = (token: string) =>
        sessions.verify(token).pipe(
          Effect.flatMap(
            Option.match({
              onNone: () => Effect.fail(invalid),
              onSome: (user): Effect.Effect<VibeCallerInfo> =>
                Effect.succeed({
                  ownerId: `user:${user.userId}`,
                  kind: "session",
                  // The router accepts the same session token, so the generation is the user's own.
                  routerCredential: Option.some(Redacted.make(token))
                })
            })
          )
        )

      const bearerOf = (authorization: string | undefined) => {
        if (authorization === undefined || authorization.slice(0, 7).toLowerCase() !== "bearer ")
          return undefined
        const token = authorization.slice(7).trim()
        return token.length > 0 ? token : undefined
      }

      const authenticate = (headers: CredentialHeaders) => {
        const apiKey = headers.apiKey?.trim() || undefined
        const bearer = bearerOf(headers.authorization)
        const credential = apiKey ?? bearer
        if (credential === undefined) return Effect.fail(missing)
        if (credential.length > MAX_CREDENTIAL_LENGTH) return Effect.fail(invalid)
        const checked: Effect.Effect<VibeCallerInfo, VibeUnauthorized | ServiceUnavailable> =
          credential.startsWith(ApiKeyFormat.API_KEY_PREFIX)
            ? switchyardKey(credential)
            : apiKey !== undefined
              ? Effect.suspend(() => {
                  const owner = serviceOwner(apiKey)
                  return owner === undefined
                    ? Effect.fail(invalid)
                    : Effect.succeed<VibeCallerInfo>({
                        ownerId: owner,
                        kind: "service_key",
                        routerCredential: Option.none()
                      })
                })
              : credential.split(".").length === 3
                ? jwt(credential)
                : session(credential)
        // A database outage while verifying is the service's failure, not a wrong key.
        return checked.pipe(
          Effect.catchTag("ServiceUnavailable", (cause) =>
            Effect.zipRight(
              Effect.logError("vibe: verifying a credential failed", cause),
              Effect.fail(outage)
            )
          )
        )
      }
      return { authenticate }
    })
  )
}
