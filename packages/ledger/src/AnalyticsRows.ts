/**
 * What the analytics read from the rollups, whatever stores them: sums of one group of rollup rows
 * as a flat record (`requests`, `errors`, `inputTokens`, …, `latB00` … `latB21`), plus the group's
 * keys (`provider`, `model`, `day`, `bucketStart`, `status`, `errorType`). The PostgreSQL source
 * returns exactly these keys from SQL; the memory source computes them from events.
 */

import type { ServiceUnavailable } from "@switchyard/domain"
import type { Effect } from "effect"

/** Rollup resolutions: every event is counted in its minute AND its hour. */
export type Grain = "minute" | "hour"

/** One aggregated group. */
export type Row = Readonly<Record<string, unknown>>

/** Whose rows, over which rollup and time range (inclusive, in rollup time units). */
export interface RollupQuery {
  readonly userId: string
  readonly apiKeyId: string | null
  readonly grain: Grain
  readonly from: Date
  readonly to: Date
  /** Width of a time-series bucket. */
  readonly bucketSeconds: number
}

/** The groupings the analytics need. */
export interface RollupSource {
  /** Sums and latency buckets of the whole range (one row). */
  readonly totals: (q: RollupQuery) => Effect.Effect<Row | undefined, ServiceUnavailable>
  /** Sums per time bucket, every bucket from `from` (aligned down) to `to` present, ascending. */
  readonly series: (q: RollupQuery) => Effect.Effect<ReadonlyArray<Row>, ServiceUnavailable>
  /** Sums and latency buckets per provider and model, most errors first, then provider, model. */
  readonly byModel: (q: RollupQuery) => Effect.Effect<ReadonlyArray<Row>, ServiceUnavailable>
  /** Sums per UTC day (`YYYY-MM-DD`), provider and model: day ascending, costliest first. */
  readonly byDayAndModel: (q: RollupQuery) => Effect.Effect<ReadonlyArray<Row>, ServiceUnavailable>
  /** Failed requests per HTTP status (`status`, `count`), most first. */
  readonly errorsByStatus: (q: RollupQuery) => Effect.Effect<ReadonlyArray<Row>, ServiceUnavailable>
  /** Failed requests per error type (`errorType`, `count`), most first. */
  readonly errorsByType: (q: RollupQuery) => Effect.Effect<ReadonlyArray<Row>, ServiceUnavailable>
}

/** Names of the summed fields of a row, in the order the rollups hold them. */
export const SUM_FIELDS = [
  "requests",
  "errors",
  "rateLimited",
  "streams",
  "estimated",
  "inputTokens",
  "outputTokens",
  "cachedInputTokens",
  "cacheCreationTokens",
  "reasoningTokens",
  "costMicros",
  "latencySumUs",
  "ttftSumUs",
  "ttftCount"
] as const

/** Row field of latency bucket `i` (`lat_b03` as the SQL client returns it: `latB03`). */
export const bucketField = (i: number) => `latB${String(i).padStart(2, "0")}`
