/**
 * Verifies better-auth session tokens sent as `Authorization: Bearer <token>` by desktop and CLI
 * clients, for the router. Cached like API keys: one database read per token until it expires,
 * is revoked (sign-out publishes `SessionRevoked`) or the feed resyncs.
 *
 * A token is what `/auth/login` returns (`<session token>.<signature>`, possibly URL-encoded) or
 * the bare session token; only the session token part is looked up, by its SHA-256: the database
 * holds only hashes (`HashedSessionTokens.ts`), so reading it gives nothing to present here. The
 * signature is not checked: the session token is itself 32 random characters, and knowing it is
 * what proves the client.
 */
import { SqlClient } from "@effect/sql"
import { ServiceUnavailable } from "@switchyard/domain"
import { Clock, Context, Duration, Effect, Layer, Option, Queue } from "effect"
import { hash } from "./ApiKeyFormat.ts"
import { ChangeFeed } from "./ChangeFeed.ts"
import * as TtlCache from "./internal/TtlCache.ts"

/** The user a token belongs to. */
export interface VerifiedUser {
  readonly userId: string
}

/** A live session: its user and when it expires. */
export interface LiveSession {
  readonly userId: string
  readonly expiresAt: Date
}

/** Cache tuning. */
export interface UserTokenVerifierOptions {
  /** Longest a session is trusted without re-reading it (never past its expiry). Default 5 minutes. */
  readonly positiveTtl?: Duration.DurationInput
  /** How long an unknown token is remembered. Default 5 seconds. */
  readonly negativeTtl?: Duration.DurationInput
  /** Most tokens held. Default 100 000. */
  readonly capacity?: number
  /**
   * Longest a session lookup may take before the request gets `ServiceUnavailable` (and the
   * token's one lookup slot is freed). Default 10 seconds.
   */
  readonly lookupTimeout?: Duration.DurationInput
}

const MAX_TOKEN_LENGTH = 512

/** The session-token part of a bearer token, or `None` if it cannot be one. */
export const sessionTokenOf = (token: string): Option.Option<string> => {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return Option.none()
  let decoded = token
  if (token.includes("%")) {
    try {
      decoded = decodeURIComponent(token)
    } catch {
      return Option.none()
    }
  }
  const sessionToken = decoded.split(".")[0] ?? ""
  return /^[A-Za-z0-9_-]+$/.test(sessionToken) ? Option.some(sessionToken) : Option.none()
}

/** The cached session-token verifier. */
export class UserTokenVerifier extends Context.Tag("@switchyard/auth/UserTokenVerifier")<
  UserTokenVerifier,
  {
    /** `Some` for a live session; `ServiceUnavailable` when the database fails on a cache miss. */
    readonly verify: (token: string) => Effect.Effect<Option.Option<VerifiedUser>, ServiceUnavailable>
  }
>() {
  /** A verifier over a session lookup (by session token), kept current by the `ChangeFeed`. */
  static readonly make = (
    lookup: (sessionToken: string) => Effect.Effect<Option.Option<LiveSession>, ServiceUnavailable>,
    options?: UserTokenVerifierOptions
  ) =>
    Effect.gen(function* () {
      const feed = yield* ChangeFeed
      const positive = Duration.toMillis(options?.positiveTtl ?? Duration.minutes(5))
      const negative = Duration.toMillis(options?.negativeTtl ?? Duration.seconds(5))
      const lookupTimeout = options?.lookupTimeout ?? Duration.seconds(10)
      const cache = yield* TtlCache.make<Option.Option<VerifiedUser>>({
        capacity: options?.capacity ?? 100_000
      })

      const changes = yield* feed.subscribe
      yield* Effect.forkScoped(
        Effect.forever(
          Effect.flatMap(Queue.take(changes), (change) => {
            switch (change._tag) {
              case "SessionRevoked":
                return cache.invalidate(change.tokenHash)
              case "Resync":
                return cache.invalidateAll
              default:
                return Effect.void
            }
          })
        )
      )

      const verify = (token: string): Effect.Effect<Option.Option<VerifiedUser>, ServiceUnavailable> =>
        Option.match(sessionTokenOf(token), {
          onNone: () => Effect.succeedNone,
          onSome: (sessionToken) =>
            cache.get(
              hash(sessionToken),
              Effect.gen(function* () {
                const session = yield* Effect.timeoutFail(lookup(sessionToken), {
                  duration: lookupTimeout,
                  onTimeout: ServiceUnavailable.database
                })
                if (Option.isNone(session)) return { value: Option.none(), ttlMillis: negative }
                const left = session.value.expiresAt.getTime() - (yield* Clock.currentTimeMillis)
                return {
                  value: left > 0 ? Option.some({ userId: session.value.userId }) : Option.none(),
                  ttlMillis: left > 0 ? Math.min(positive, left) : negative
                }
              })
            )
        })
      return { verify }
    })

  /** Reads better-auth's `session` table. */
  static readonly layer = (
    options?: UserTokenVerifierOptions
  ): Layer.Layer<UserTokenVerifier, never, SqlClient.SqlClient | ChangeFeed> =>
    Layer.scoped(
      UserTokenVerifier,
      Effect.flatMap(UserTokenVerifier.pgLookup, (lookup) => UserTokenVerifier.make(lookup, options))
    )

  /** Looks a session up in better-auth's `session` table (tokens are stored as their SHA-256). */
  static readonly pgLookup = Effect.map(
    SqlClient.SqlClient,
    (sql) => (sessionToken: string) =>
      sql<LiveSession>`SELECT "userId", "expiresAt" FROM "session"
                       WHERE "token" = ${hash(sessionToken)} AND "expiresAt" > now()`.pipe(
        Effect.map((rows) => Option.fromNullable(rows[0])),
        Effect.mapError(ServiceUnavailable.database)
      )
  )

  /** Fixed tokens (bare session tokens → user ids), for other packages' tests. */
  static readonly layerTest = (
    sessions: Readonly<Record<string, string>>
  ): Layer.Layer<UserTokenVerifier, never, ChangeFeed> =>
    Layer.scoped(
      UserTokenVerifier,
      UserTokenVerifier.make((sessionToken) =>
        Effect.succeed(
          Option.map(Option.fromNullable(sessions[sessionToken]), (userId) => ({
            userId,
            expiresAt: new Date(8.64e15)
          }))
        )
      )
    )
}
