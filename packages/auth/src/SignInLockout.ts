/**
 * Per-account sign-in lockout, beside better-auth's per-address limit (which an attacker with a
 * few addresses gets around): every sign-in attempt for an account counts, whatever address it
 * comes from; after `maxAttempts` without a success the account is locked for `baseLockSeconds`,
 * doubling with each further failed attempt up to `maxLockSeconds`. A successful sign-in resets it;
 * a quiet `windowSeconds` forgets the count. Attempts are counted when they start, so parallel
 * guesses cannot all slip in before the first failure is recorded.
 *
 * The count lives in Redis when `REDIS_URL` is set, else in PostgreSQL, so every control-plane
 * instance sees the same lock. If the store cannot be reached the attempt is let through (and
 * logged): the per-address limit still applies, and an outage must not lock everyone out.
 */
import { SqlClient } from "@effect/sql"
import { Config, Context, Effect, Layer, Option, Redacted } from "effect"
import type { Redis } from "ioredis"
import { hash } from "./ApiKeyFormat.ts"

/** The lockout's tuning. */
export interface LockoutPolicy {
  readonly maxAttempts: number
  readonly baseLockSeconds: number
  readonly maxLockSeconds: number
  readonly windowSeconds: number
}

/** Five attempts, then 60 s doubling up to 15 min; forgotten after 15 quiet minutes. */
export const defaultPolicy: LockoutPolicy = {
  maxAttempts: 5,
  baseLockSeconds: 60,
  maxLockSeconds: 900,
  windowSeconds: 900
}

/** Whether a sign-in attempt may go ahead. */
export type Admission =
  | { readonly _tag: "Allowed" }
  | { readonly _tag: "Locked"; readonly retryAfterSeconds: number }

/** What the store holds for an account, as seen at the store's own clock. */
export interface AttemptState {
  readonly attempts: number
  /** Seconds the current lock still runs (≤ 0: not locked). */
  readonly lockedForSeconds: number
  /** Seconds since the last attempt. */
  readonly idleSeconds: number
}

/** The decision for one attempt, and the state to store when it is allowed. */
export const decide = (
  state: AttemptState,
  policy: LockoutPolicy
): { readonly admission: Admission; readonly attempts: number; readonly lockSeconds: number } => {
  if (state.lockedForSeconds > 0) {
    return {
      admission: { _tag: "Locked", retryAfterSeconds: Math.max(1, Math.ceil(state.lockedForSeconds)) },
      attempts: state.attempts,
      lockSeconds: 0
    }
  }
  const attempts = (state.idleSeconds > policy.windowSeconds ? 0 : state.attempts) + 1
  const lockSeconds =
    attempts >= policy.maxAttempts
      ? Math.min(policy.baseLockSeconds * 2 ** (attempts - policy.maxAttempts), policy.maxLockSeconds)
      : 0
  return { admission: { _tag: "Allowed" }, attempts, lockSeconds }
}

/** The store key of an account: never the email itself. */
export const accountKey = (email: string): string => hash(email.trim().toLowerCase())

const allowed: Admission = { _tag: "Allowed" }

/** The lockout. */
export class SignInLockout extends Context.Tag("@switchyard/auth/SignInLockout")<
  SignInLockout,
  {
    /** Counts an attempt for the account of `email`; `Locked` when it must be refused. */
    readonly attempt: (email: string) => Effect.Effect<Admission>
    /** The account signed in: forget its attempts. */
    readonly succeeded: (email: string) => Effect.Effect<void>
  }
>() {
  /** In PostgreSQL (`sign_in_attempts`, from `authMigrations`). */
  static readonly layerPg = (
    policy: LockoutPolicy = defaultPolicy
  ): Layer.Layer<SignInLockout, never, SqlClient.SqlClient> =>
    Layer.effect(
      SignInLockout,
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const attempt = (email: string) => {
          const account = accountKey(email)
          return sql
            .withTransaction(
              Effect.gen(function* () {
                yield* sql`INSERT INTO sign_in_attempts (account) VALUES (${account}) ON CONFLICT DO NOTHING`
                const rows = yield* sql<{ attempts: number; lockedFor: number | null; idle: number }>`
                  SELECT attempts,
                         extract(epoch FROM (locked_until - now()))::float8 AS "lockedFor",
                         extract(epoch FROM (now() - last_attempt_at))::float8 AS idle
                  FROM sign_in_attempts WHERE account = ${account} FOR UPDATE`
                const row = rows[0] ?? { attempts: 0, lockedFor: null, idle: 0 }
                const decision = decide(
                  { attempts: row.attempts, lockedForSeconds: row.lockedFor ?? 0, idleSeconds: row.idle },
                  policy
                )
                if (decision.admission._tag === "Allowed") {
                  yield* sql`UPDATE sign_in_attempts SET attempts = ${decision.attempts},
                    locked_until = CASE WHEN ${decision.lockSeconds}::float8 > 0
                      THEN now() + make_interval(secs => ${decision.lockSeconds}::float8) END,
                    last_attempt_at = now()
                    WHERE account = ${account}`
                }
                return decision.admission
              })
            )
            .pipe((effect) => orAllow(effect, "PostgreSQL", allowed))
        }
        return {
          attempt,
          succeeded: (email) =>
            orAllow(
              sql`DELETE FROM sign_in_attempts WHERE account = ${accountKey(email)}`.pipe(Effect.asVoid),
              "PostgreSQL",
              undefined
            )
        }
      })
    )

  /** In Redis at `url` (`prefix` separates deployments and test runs sharing a server). */
  static readonly layerRedis = (
    url: Redacted.Redacted<string>,
    policy: LockoutPolicy = defaultPolicy,
    prefix = "switchyard:signin:"
  ): Layer.Layer<SignInLockout> =>
    Layer.scoped(
      SignInLockout,
      Effect.gen(function* () {
        // Imported here, not at the top: the router's serving thread loads this package's index
        // and never a lockout, so it does not carry ioredis.
        const { Redis: RedisClient } = yield* Effect.promise(() => import("ioredis"))
        const redis: Redis = yield* Effect.acquireRelease(
          Effect.sync(() => {
            const client = new RedisClient(Redacted.value(url), {
              lazyConnect: true,
              maxRetriesPerRequest: 1
            })
            client.on("error", () => undefined) // failures surface on the commands that hit them
            return client
          }),
          (client) => Effect.promise(() => client.quit().catch(() => client.disconnect()))
        )
        const args = [policy.maxAttempts, policy.baseLockSeconds, policy.maxLockSeconds, policy.windowSeconds]
        const attempt = (email: string) =>
          Effect.tryPromise(
            () =>
              redis.eval(ATTEMPT_SCRIPT, 1, `${prefix}${accountKey(email)}`, ...args) as Promise<
                [number, string]
              >
          ).pipe(
            Effect.map(
              ([ok, lockedFor]): Admission =>
                ok === 1
                  ? allowed
                  : { _tag: "Locked", retryAfterSeconds: Math.max(1, Math.ceil(Number(lockedFor))) }
            ),
            (effect) => orAllow(effect, "Redis", allowed)
          )
        return {
          attempt,
          succeeded: (email) =>
            orAllow(
              Effect.tryPromise(() => redis.del(`${prefix}${accountKey(email)}`)).pipe(Effect.asVoid),
              "Redis",
              undefined
            )
        }
      })
    )

  /**
   * Redis when `REDIS_URL` is set, else PostgreSQL; `SIGN_IN_MAX_ATTEMPTS` (5) and
   * `SIGN_IN_LOCKOUT_SECONDS` (60, the first lock; it doubles up to 15 minutes).
   */
  static readonly layerFromConfig: Layer.Layer<SignInLockout, never, SqlClient.SqlClient> =
    Layer.unwrapEffect(
      Effect.gen(function* () {
        const redisUrl = yield* Config.option(Config.redacted(Config.nonEmptyString("REDIS_URL")))
        const maxAttempts = yield* Config.integer("SIGN_IN_MAX_ATTEMPTS").pipe(
          Config.validate({ message: "SIGN_IN_MAX_ATTEMPTS must be at least 1", validation: (n) => n >= 1 }),
          Config.withDefault(defaultPolicy.maxAttempts)
        )
        const baseLockSeconds = yield* Config.integer("SIGN_IN_LOCKOUT_SECONDS").pipe(
          Config.validate({
            message: "SIGN_IN_LOCKOUT_SECONDS must be at least 1",
            validation: (n) => n >= 1
          }),
          Config.withDefault(defaultPolicy.baseLockSeconds)
        )
        const policy: LockoutPolicy = {
          ...defaultPolicy,
          maxAttempts,
          baseLockSeconds,
          maxLockSeconds: Math.max(defaultPolicy.maxLockSeconds, baseLockSeconds)
        }
        return Option.match(redisUrl, {
          onNone: () => SignInLockout.layerPg(policy),
          onSome: (url) => SignInLockout.layerRedis(url, policy)
        })
      }).pipe(Effect.orDie)
    )
}

/** An unreachable store lets the attempt through (or skips the reset), loudly. */
const orAllow = <A, E>(effect: Effect.Effect<A, E>, store: string, fallback: A): Effect.Effect<A> =>
  effect.pipe(
    Effect.catchAll(() =>
      Effect.as(
        Effect.logWarning(
          `sign-in lockout: ${store} unavailable; attempt allowed (per-address limit still applies)`
        ),
        fallback
      )
    )
  )

/**
 * `decide`, in Redis, atomically, on the server's clock. KEYS[1] the account; ARGV max attempts,
 * base lock, max lock, window (seconds). Returns {1, "0"} when allowed, {0, seconds} when locked.
 */
const ATTEMPT_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local max, base, cap, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local h = redis.call('HMGET', KEYS[1], 'attempts', 'lockedUntil', 'last')
local attempts = tonumber(h[1]) or 0
local lockedUntil = tonumber(h[2]) or 0
local last = tonumber(h[3]) or now
if lockedUntil > now then return {0, tostring(lockedUntil - now)} end
if now - last > window then attempts = 0 end
attempts = attempts + 1
local lock = 0
if attempts >= max then lock = math.min(base * 2 ^ (attempts - max), cap) end
local untilAt = 0
if lock > 0 then untilAt = now + lock end
redis.call('HSET', KEYS[1], 'attempts', attempts, 'lockedUntil', tostring(untilAt), 'last', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(lock + window))
return {1, '0'}
`
