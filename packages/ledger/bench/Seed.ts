/**
 * Synthetic usage generated inside PostgreSQL (`generate_series`, no row leaves the server), and
 * the rollups rebuilt from it with one `INSERT … SELECT`, the same SQL as the writer's function.
 *
 * Shape: 20 % of the events belong to one heavy user (`heavy`: the worst case for a per-user
 * query), the rest to 997 users; 3 API keys, 6 models of 4 providers; 90 % success, 4 % 429, 3 %
 * 502, 3 % 400; half streamed; latencies 0.15–30 s skewed short; spread over the last 7 days.
 */
import { Effect } from "effect"
import { LedgerSql } from "../src/LedgerDatabase.ts"
// The rollup SQL of 0006, which 0007 runs for a retried batch and the tests hold the writer's sums to.
import { rollupCtes } from "../src/migrations/0006_insert_batch_function.ts"

/** Inserts events `first`..`last` (request ids `bench-<i>`), created over the 7 days before `now`. */
export const seedEvents = (first: number, last: number, now: Date) =>
  Effect.flatMap(LedgerSql, (sql) =>
    sql.unsafe(
      `INSERT INTO usage_events (request_id, user_id, api_key_id, requested_model, provider, upstream_model,
         outcome, status, error_type, input_tokens, output_tokens, cached_input_tokens, cache_creation_tokens,
         reasoning_tokens, estimated, cost_micros, latency_us, ttft_us, stream, dropped_fields, created_at)
       SELECT 'bench-' || i,
         CASE WHEN i % 5 = 0 THEN 'heavy' ELSE 'user-' || (i % 997) END,
         'key-' || (i % 3),
         (ARRAY['gpt-4o','gpt-4o-mini','claude-sonnet-4-5','claude-haiku-4-5','gemini-2.5-flash','grok-4'])[1 + i % 6],
         (ARRAY['openai','openai','anthropic','anthropic','google','xai'])[1 + i % 6],
         (ARRAY['gpt-4o','gpt-4o-mini','claude-sonnet-4-5','claude-haiku-4-5','gemini-2.5-flash','grok-4'])[1 + i % 6],
         CASE WHEN r < 0.90 THEN 'success' WHEN r < 0.94 THEN 'rate_limited' WHEN r < 0.97 THEN 'provider_error'
              ELSE 'invalid_request' END,
         CASE WHEN r < 0.90 THEN 200 WHEN r < 0.94 THEN 429 WHEN r < 0.97 THEN 502 ELSE 400 END,
         CASE WHEN r < 0.90 THEN NULL WHEN r < 0.94 THEN 'rate_limit_error' WHEN r < 0.97 THEN 'api_error'
              ELSE 'invalid_request_error' END,
         (random() * 4000)::int, out, (random() * 1000)::int, (random() * 200)::int, least(out, (random() * 300)::int),
         random() < 0.05,
         (random() * 20000)::int,
         (150000 + random() ^ 3 * 30000000)::bigint,
         CASE WHEN i % 2 = 0 THEN (50000 + random() * 2000000)::bigint END,
         i % 2 = 0,
         '{}',
         $3::timestamptz - random() * interval '7 days'
       FROM (SELECT i, random() AS r, (random() * 2000)::int AS out FROM generate_series($1::bigint, $2::bigint) AS i) g`,
      [first, last, now]
    )
  )

const ROLLUP_TABLES =
  "usage_rollup_minute, usage_error_rollup_minute, usage_rollup_hour, usage_error_rollup_hour"

/** Rebuilds every rollup table from every stored event, in one statement, as the writer adds them. */
export const rebuildRollups = Effect.gen(function* () {
  const sql = yield* LedgerSql
  yield* sql.unsafe(`TRUNCATE ${ROLLUP_TABLES}`)
  yield* sql.unsafe(`WITH ${rollupCtes("usage_events")} SELECT 1`)
  yield* sql.unsafe(`VACUUM ANALYZE ${ROLLUP_TABLES}`)
})

/** Row counts of the ledger tables. */
export const tableSizes = Effect.gen(function* () {
  const sql = yield* LedgerSql
  const [row] = yield* sql<{
    events: number
    rollups: number
    errorRollups: number
    heavyRollups7d: number
    hourRollups: number
  }>`
    SELECT (SELECT count(*) FROM usage_events)::int AS events,
      (SELECT count(*) FROM usage_rollup_minute)::int AS rollups,
      (SELECT count(*) FROM usage_error_rollup_minute)::int AS error_rollups,
      (SELECT count(*) FROM usage_rollup_minute WHERE user_id = 'heavy')::int AS heavy_rollups7d,
      (SELECT count(*) FROM usage_rollup_hour)::int AS hour_rollups`
  return row!
})
