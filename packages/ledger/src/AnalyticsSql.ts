/**
 * The rollup groupings the analytics need, read from PostgreSQL. Every query is one index range
 * scan of one user's rows (`user_id`, time) in the minute or hour rollup tables.
 */

import { ServiceUnavailable } from "@switchyard/domain"
import type { Context } from "effect"
import { Effect } from "effect"
import type { Grain, RollupQuery, RollupSource, Row } from "./AnalyticsRows.ts"
import { BUCKET_COLUMNS } from "./LatencyBuckets.ts"
import type { LedgerSql } from "./LedgerDatabase.ts"

// Named so the client's snake→camel transform yields the `Row` field names.
const SUMS = `coalesce(sum(requests), 0)::float8 AS requests,
  coalesce(sum(error_count), 0)::float8 AS errors,
  coalesce(sum(rate_limited_count), 0)::float8 AS rate_limited,
  coalesce(sum(stream_count), 0)::float8 AS streams,
  coalesce(sum(estimated_count), 0)::float8 AS estimated,
  coalesce(sum(input_tokens), 0)::float8 AS input_tokens,
  coalesce(sum(output_tokens), 0)::float8 AS output_tokens,
  coalesce(sum(cached_input_tokens), 0)::float8 AS cached_input_tokens,
  coalesce(sum(cache_creation_tokens), 0)::float8 AS cache_creation_tokens,
  coalesce(sum(reasoning_tokens), 0)::float8 AS reasoning_tokens,
  coalesce(sum(cost_micros), 0)::float8 AS cost_micros,
  coalesce(sum(latency_sum_us), 0)::float8 AS latency_sum_us,
  coalesce(sum(ttft_sum_us), 0)::float8 AS ttft_sum_us,
  coalesce(sum(ttft_count), 0)::float8 AS ttft_count`

const BUCKET_SUMS = BUCKET_COLUMNS.map((c) => `coalesce(sum(${c}), 0)::float8 AS ${c}`).join(", ")

/** `$1` user, `$2` from, `$3` to, `$4` API key or null, over the rollup's time column. */
const scopeOf = (time: Grain) =>
  `user_id = $1 AND ${time} >= $2 AND ${time} <= $3 AND ($4::text IS NULL OR api_key_id = $4)`

/** Buckets aligned to UTC; `$5` is the bucket width. */
const BIN = (column: string) => `date_bin($5::interval, ${column}, TIMESTAMPTZ '2000-01-01 00:00:00+00')`

/** The queries of one rollup resolution. */
const queriesFor = (grain: Grain) => {
  const rollup = `usage_rollup_${grain}`
  const errorRollup = `usage_error_rollup_${grain}`
  const scope = scopeOf(grain)
  return {
    totals: `SELECT ${SUMS}, ${BUCKET_SUMS} FROM ${rollup} WHERE ${scope}`,
    series: `WITH agg AS (SELECT ${BIN(grain)} AS bucket, ${SUMS} FROM ${rollup} WHERE ${scope} GROUP BY 1)
      SELECT b AS bucket_start, agg.*
      FROM generate_series(${BIN("$2::timestamptz")}, $3::timestamptz, $5::interval) AS b
      LEFT JOIN agg ON agg.bucket = b ORDER BY b`,
    byModel: `SELECT provider, model, ${SUMS}, ${BUCKET_SUMS} FROM ${rollup} WHERE ${scope}
      GROUP BY provider, model ORDER BY sum(error_count) DESC, provider, model`,
    byDayAndModel: `SELECT to_char(${grain} AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, provider, model, ${SUMS}
      FROM ${rollup} WHERE ${scope}
      GROUP BY 1, provider, model ORDER BY 1, sum(cost_micros) DESC, provider, model`,
    errorsByStatus: `SELECT status, sum(count)::float8 AS count FROM ${errorRollup} WHERE ${scope}
      GROUP BY status ORDER BY count DESC, status`,
    errorsByType: `SELECT error_type, sum(count)::float8 AS count FROM ${errorRollup} WHERE ${scope}
      GROUP BY error_type ORDER BY count DESC, error_type`
  }
}

const QUERIES: Readonly<Record<Grain, ReturnType<typeof queriesFor>>> = {
  minute: queriesFor("minute"),
  hour: queriesFor("hour")
}

const unavailable = (error: unknown) =>
  new ServiceUnavailable({
    message: `analytics are unavailable right now (${error instanceof Error ? error.message : String(error)})`
  })

/** Rollup groupings from the ledger database. */
export const make = (sql: Context.Tag.Service<LedgerSql>): RollupSource => {
  const run = (name: keyof ReturnType<typeof queriesFor>) => (q: RollupQuery) => {
    const params: Array<unknown> = [q.userId, q.from, q.to, q.apiKeyId]
    // Only the time series binds `$5`: PostgreSQL rejects a parameter no query uses.
    if (name === "series") params.push(`${q.bucketSeconds} seconds`)
    return sql.unsafe<Row>(QUERIES[q.grain][name], params).pipe(Effect.mapError(unavailable))
  }
  return {
    totals: (q) => Effect.map(run("totals")(q), (rows) => rows[0]),
    series: run("series"),
    byModel: run("byModel"),
    byDayAndModel: run("byDayAndModel"),
    errorsByStatus: run("errorsByStatus"),
    errorsByType: run("errorsByType")
  }
}
