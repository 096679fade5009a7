/**
 * The rate windows (`rpm`, `tpm`) as token buckets holding one minute's worth, refilled
 * continuously. The in-memory limiter uses these functions; the Redis scripts (`LimitScripts.ts`)
 * implement the same arithmetic in Lua, so both backends admit exactly the same requests.
 *
 * A bucket of capacity `c` admits a burst of `c` at once, then `c` per minute spread evenly, and
 * is never above `c`. A token bucket can go below zero: when a request used more tokens than it
 * reserved, the debt is repaid by the refill before anything else passes.
 */

/** The window every rate limit is expressed in. */
export const WINDOW_MS = 60_000

/** The stored state of one bucket: its level at time `at` (milliseconds). */
export interface BucketState {
  readonly level: number
  readonly at: number
}

/** The level of a bucket at `now`; a bucket never seen is full. */
export const levelAt = (capacity: number, state: BucketState | undefined, now: number): number => {
  if (state === undefined) return capacity
  const refilled = state.level + (Math.max(0, now - state.at) * capacity) / WINDOW_MS
  return Math.min(refilled, capacity)
}

/**
 * Whether a bucket at `level` admits a request needing `need` units. A need above the capacity is
 * admitted by a full bucket (a request larger than one minute's allowance is not refused forever;
 * it leaves the bucket in debt instead), and a bucket in debt or empty admits nothing.
 */
export const admits = (capacity: number, level: number, need: number): boolean =>
  level > 0 && level >= Math.min(need, capacity)

/** Milliseconds until a bucket at `level` holds `target` units (0 when it already does). */
export const msUntil = (capacity: number, level: number, target: number): number =>
  level >= target ? 0 : Math.ceil(((target - level) * WINDOW_MS) / capacity)

/** Whole units left, as reported in `x-ratelimit-remaining-*`. */
export const remaining = (level: number): number => (level > 0 ? Math.floor(level) : 0)
