/**
 * Verifies API keys on the router's hot path: an in-memory cache keyed by the key's hash, a
 * database read only on a miss, never a write. The answer carries the key's own limits, decoded
 * once when the row is read and served from the cache with it. Entries are dropped the moment the change feed
 * reports a change to the key (and all of them when the feed reconnects); invalid keys are
 * remembered briefly so a client retrying a bad key does not reach the database each time.
 */
import type { SqlClient } from "@effect/sql"
import { ServiceUnavailable } from "@switchyard/domain"
import { Context, Duration, Effect, Layer, Option, Queue } from "effect"
import * as ApiKeyFormat from "./ApiKeyFormat.ts"
import { ApiKeyRepo } from "./ApiKeyRepo.ts"
import { toVerified, type VerifiedKey } from "./ApiKeys.ts"
import { ChangeFeed } from "./ChangeFeed.ts"
import * as TtlCache from "./internal/TtlCache.ts"

export type { VerifiedKey } from "./ApiKeys.ts"

/** Cache tuning. */
export interface ApiKeyVerifierOptions {
  /**
   * How long a valid key is trusted without re-reading it: a safety net only, since changes
   * arrive on the feed. Default 10 minutes.
   */
  readonly positiveTtl?: Duration.DurationInput
  /** How long an unknown or disabled key is remembered. Default 5 seconds. */
  readonly negativeTtl?: Duration.DurationInput
  /** Most keys held. Default 100 000. */
  readonly capacity?: number
  /**
   * Longest a database read may take before the request gets `ServiceUnavailable`. It also frees
   * the key's one lookup slot, so a database that hangs cannot hold a key's requests forever.
   * Default 10 seconds.
   */
  readonly lookupTimeout?: Duration.DurationInput
}

/** The cached API-key verifier. */
export class ApiKeyVerifier extends Context.Tag("@switchyard/auth/ApiKeyVerifier")<
  ApiKeyVerifier,
  {
    /**
     * `Some` for a valid, enabled key (with its limits). Fails with `ServiceUnavailable` when the
     * database cannot be read on a cache miss (an outage must not look like a wrong key).
     */
    readonly verify: (rawKey: string) => Effect.Effect<Option.Option<VerifiedKey>, ServiceUnavailable>
    /**
     * `verify`'s answer when the cache holds it, else `undefined` (then call `verify`): lets the
     * router's hot path skip running an effect for the common case, a cached key.
     */
    readonly verifyCached: (rawKey: string) => Option.Option<VerifiedKey> | undefined
  }
>() {
  /** A verifier over any `ApiKeyRepo`, kept current by the `ChangeFeed`. */
  static readonly make = (options?: ApiKeyVerifierOptions) =>
    Effect.gen(function* () {
      const repo = yield* ApiKeyRepo
      const clock = yield* Effect.clock
      const feed = yield* ChangeFeed
      const positive = Duration.toMillis(options?.positiveTtl ?? Duration.minutes(10))
      const negative = Duration.toMillis(options?.negativeTtl ?? Duration.seconds(5))
      const cache = yield* TtlCache.make<Option.Option<VerifiedKey>>({
        capacity: options?.capacity ?? 100_000
      })

      // Subscribed before the first lookup, so no change can slip between a read and the feed.
      const changes = yield* feed.subscribe
      yield* Effect.forkScoped(
        Effect.forever(
          Effect.flatMap(Queue.take(changes), (change) => {
            switch (change._tag) {
              case "ApiKeyChanged":
                return cache.invalidate(change.keyHash)
              case "Resync":
                return cache.invalidateAll
              default:
                return Effect.void
            }
          })
        )
      )

      const lookupTimeout = options?.lookupTimeout ?? Duration.seconds(10)
      const lookup = (keyHash: string) =>
        repo.findByHash(keyHash).pipe(
          Effect.timeoutFail({ duration: lookupTimeout, onTimeout: ServiceUnavailable.database }),
          Effect.map((record) => {
            const value = toVerified(record)
            return { value, ttlMillis: Option.isSome(value) ? positive : negative }
          })
        )
      const verify = (rawKey: string): Effect.Effect<Option.Option<VerifiedKey>, ServiceUnavailable> => {
        if (!ApiKeyFormat.isWellFormed(rawKey)) return Effect.succeedNone
        const keyHash = ApiKeyFormat.hash(rawKey)
        return cache.get(keyHash, lookup(keyHash))
      }
      const verifyCached = (rawKey: string): Option.Option<VerifiedKey> | undefined =>
        ApiKeyFormat.isWellFormed(rawKey)
          ? cache.peek(ApiKeyFormat.hash(rawKey), clock.unsafeCurrentTimeMillis(), lookup)
          : Option.none()
      return { verify, verifyCached }
    })

  /** Over any `ApiKeyRepo` (e.g. `ApiKeyRepo.layerMemory` in tests). */
  static readonly layerWithRepo = (
    options?: ApiKeyVerifierOptions
  ): Layer.Layer<ApiKeyVerifier, never, ApiKeyRepo | ChangeFeed> =>
    Layer.scoped(ApiKeyVerifier, ApiKeyVerifier.make(options))

  /** PostgreSQL, with default tuning. */
  static readonly layer: Layer.Layer<ApiKeyVerifier, never, SqlClient.SqlClient | ChangeFeed> =
    ApiKeyVerifier.layerWithRepo().pipe(Layer.provide(ApiKeyRepo.layerPg))
}
