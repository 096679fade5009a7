/**
 * The fixed latency histogram every rollup row and the Prometheus metrics share.
 *
 * Percentiles (p50, p95) are read from these buckets, never from raw rows, so the analytics cost
 * does not grow with the number of events. The bounds are frozen in migration 0001 (the columns)
 * and 0006 (whose statement buckets the events of a retried batch with them; the writer buckets
 * the others with `bucketIndexOfMicros`): changing them needs new migrations, because old rows were
 * counted against the old bounds.
 */

/** Upper bounds (inclusive, Prometheus `le`) in milliseconds; a final `+Inf` bucket follows. */
export const LATENCY_BUCKET_BOUNDS_MS: ReadonlyArray<number> = [
  10, 25, 50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 4000, 5000, 7500, 10000, 15000, 20000, 30000,
  60000, 120000
]

/** Number of buckets including `+Inf`. */
export const LATENCY_BUCKET_COUNT = LATENCY_BUCKET_BOUNDS_MS.length + 1

/** Rollup column of bucket `i` (0-based): `lat_b00` … `lat_b21`. */
export const bucketColumn = (i: number) => `lat_b${String(i).padStart(2, "0")}`

/** All bucket columns in order. */
export const BUCKET_COLUMNS: ReadonlyArray<string> = Array.from({ length: LATENCY_BUCKET_COUNT }, (_, i) =>
  bucketColumn(i)
)

/** The bucket index of a latency in microseconds: the first bound it does not exceed. */
export const bucketIndexOfMicros = (latencyUs: number): number => {
  for (let i = 0; i < LATENCY_BUCKET_BOUNDS_MS.length; i++) {
    if (latencyUs <= LATENCY_BUCKET_BOUNDS_MS[i]! * 1000) return i
  }
  return LATENCY_BUCKET_BOUNDS_MS.length
}

/**
 * The `q` quantile (0..1) from per-bucket counts, interpolated linearly inside the bucket that holds
 * it (as Prometheus' `histogram_quantile` does). The `+Inf` bucket answers its lower bound.
 * Returns null when there are no observations.
 */
export const quantileFromBuckets = (counts: ReadonlyArray<number>, q: number): number | null => {
  const total = counts.reduce((a, b) => a + b, 0)
  if (total === 0) return null
  const rank = q * total
  let seen = 0
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i]!
    if (count > 0 && seen + count >= rank) {
      const lower = i === 0 ? 0 : LATENCY_BUCKET_BOUNDS_MS[i - 1]!
      if (i >= LATENCY_BUCKET_BOUNDS_MS.length) return lower
      const upper = LATENCY_BUCKET_BOUNDS_MS[i]!
      return lower + ((upper - lower) * (rank - seen)) / count
    }
    seen += count
  }
  return LATENCY_BUCKET_BOUNDS_MS[LATENCY_BUCKET_BOUNDS_MS.length - 1]!
}
