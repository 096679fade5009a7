/**
 * Hourly rollups beside the per-minute ones, so day and week windows read at most 168 rows per
 * (API key, provider, model) instead of 10 080. Backfilled from the minute rollups; from here on the
 * writer maintains both in the same statement.
 *
 * Rollup rows are updated in place on every batch: a fill factor of 70 leaves room on each page for
 * the new row version, so updates stay HOT (no index writes).
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

// The summed columns as of this migration, written out (a migration never changes with the code).
const SUMS = [
  "requests",
  "error_count",
  "client_error_count",
  "server_error_count",
  "rate_limited_count",
  "stream_count",
  "estimated_count",
  "input_tokens",
  "output_tokens",
  "cached_input_tokens",
  "cache_creation_tokens",
  "reasoning_tokens",
  "cost_micros",
  "latency_sum_us",
  "ttft_sum_us",
  "ttft_count",
  "lat_b00",
  "lat_b01",
  "lat_b02",
  "lat_b03",
  "lat_b04",
  "lat_b05",
  "lat_b06",
  "lat_b07",
  "lat_b08",
  "lat_b09",
  "lat_b10",
  "lat_b11",
  "lat_b12",
  "lat_b13",
  "lat_b14",
  "lat_b15",
  "lat_b16",
  "lat_b17",
  "lat_b18",
  "lat_b19",
  "lat_b20",
  "lat_b21"
]

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  for (const kind of ["rollup", "error_rollup"]) {
    const minute = `usage_${kind}_minute`
    const hour = `usage_${kind}_hour`
    yield* sql.unsafe(`CREATE TABLE ${hour} (LIKE ${minute} INCLUDING ALL) WITH (fillfactor = 70)`)
    yield* sql.unsafe(`ALTER TABLE ${hour} RENAME COLUMN minute TO hour`)
    yield* sql.unsafe(`ALTER TABLE ${minute} SET (fillfactor = 70)`)
  }
  yield* sql.unsafe(`INSERT INTO usage_rollup_hour (hour, user_id, api_key_id, provider, model, ${SUMS.join(", ")})
    SELECT date_trunc('hour', minute), user_id, api_key_id, provider, model, ${SUMS.map((c) => `sum(${c})`).join(", ")}
    FROM usage_rollup_minute GROUP BY 1, 2, 3, 4, 5`)
  yield* sql.unsafe(`INSERT INTO usage_error_rollup_hour (hour, user_id, api_key_id, provider, model, status, error_type, count)
    SELECT date_trunc('hour', minute), user_id, api_key_id, provider, model, status, error_type, sum(count)
    FROM usage_error_rollup_minute GROUP BY 1, 2, 3, 4, 5, 6, 7`)
})
