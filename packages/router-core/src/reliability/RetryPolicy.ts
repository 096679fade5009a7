/**
 * When and how long to retry an upstream request: which statuses, how many retries per
 * deployment, the jittered exponential backoff, and how long a `Retry-After` may make us wait.
 * The operator's routing file embeds `RetryPolicy` (`retry:`); every field has a default.
 */
import { Schema } from "effect"

/**
 * The retry settings.
 * - `maxRetries`: retries on one deployment after its first attempt (default 2) before falling back.
 * - `baseDelayMs` / `maxDelayMs`: backoff `base × 2^n` capped at `maxDelayMs`, then jittered to
 *   50–100 % of that (defaults 250 ms, 8 s).
 * - `maxRetryAfterMs`: the longest `Retry-After` honoured by waiting (default 30 s). A longer
 *   one moves on to the next deployment at once; with none left, the upstream's answer (and its
 *   `Retry-After`) goes to the client.
 * - `retryOn`: statuses that are retried and fall back (default 429, 500, 502, 503, 504).
 *   Connection errors and timeouts always are.
 */
export const RetryPolicy = Schema.Struct({
  maxRetries: Schema.optionalWith(Schema.NonNegativeInt, { default: () => 2 }),
  baseDelayMs: Schema.optionalWith(Schema.NonNegativeInt, { default: () => 250 }),
  maxDelayMs: Schema.optionalWith(Schema.NonNegativeInt, { default: () => 8000 }),
  maxRetryAfterMs: Schema.optionalWith(Schema.NonNegativeInt, { default: () => 30_000 }),
  retryOn: Schema.optionalWith(Schema.Array(Schema.Int.pipe(Schema.between(100, 599))), {
    default: () => [429, 500, 502, 503, 504]
  })
})
export type RetryPolicy = typeof RetryPolicy.Type

/** The defaults. */
export const defaultPolicy: RetryPolicy = Schema.decodeSync(RetryPolicy)({})

/**
 * The wait before retry number `retry` (0 for the first retry) on the same deployment:
 * `min(maxDelayMs, baseDelayMs × 2^retry)`, jittered to 50–100 % of that ("equal jitter", so
 * retries from many clients spread out but never come back at once), and at least what the
 * upstream asked for in `Retry-After`. Undefined when `Retry-After` asks for more than
 * `maxRetryAfterMs`: then do not wait, move on.
 *
 * A plain function rather than an Effect `Schedule`: the engine runs on Promises (see `Timers.ts`
 * for the measurement), and this is all the schedule would compute.
 */
export const delayFor = (
  policy: RetryPolicy,
  retry: number,
  retryAfterMs: number | undefined,
  random: () => number
): number | undefined => {
  if (retryAfterMs !== undefined && retryAfterMs > policy.maxRetryAfterMs) return undefined
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry)
  const jittered = Math.round(exponential * (0.5 + 0.5 * random()))
  return Math.max(jittered, retryAfterMs ?? 0)
}
