/**
 * The SQL that stores a batch of usage events and maintains the per-minute rollups, in ONE
 * statement: the raw insert skips request ids already stored (`ON CONFLICT DO NOTHING`), and the
 * rollups are built only from the rows that insert actually returned. A batch retried after an
 * ambiguous failure (committed, but the answer was lost) therefore changes nothing the second time,
 * and a statement is atomic, so rows and rollups never disagree.
 *
 * Rows travel as one JSON parameter expanded by `json_to_recordset`: one round trip, no parameter
 * limit, and far cheaper to plan than a multi-row VALUES list of thousands of rows.
 */
import type { UsageEvent } from "@switchyard/domain"
import { Effect } from "effect"
import { BUCKET_COLUMNS, bucketIndexSql } from "./LatencyBuckets.ts"
import { LedgerSql } from "./LedgerDatabase.ts"

/** One event as the JSON row the statement reads. */
interface EventRow {
  readonly request_id: string
  readonly user_id: string
  readonly api_key_id: string | null
  readonly requested_model: string
  readonly provider: string | null
  readonly upstream_model: string | null
  readonly outcome: string
  readonly status: number
  readonly error_type: string | null
  readonly input_tokens: number
  readonly output_tokens: number
  readonly cached_input_tokens: number
  readonly cache_creation_tokens: number
  readonly reasoning_tokens: number
  readonly estimated: boolean
  readonly cost_micros: number
  readonly latency_us: number
  readonly ttft_us: number | null
  readonly stream: boolean
  readonly dropped_fields: ReadonlyArray<string>
  readonly created_at: string
}

/** Latencies are stored as integer microseconds so sums in rollups are exact. */
const toMicros = (ms: number) => Math.round(ms * 1000)

const toRow = (e: UsageEvent): EventRow => ({
  request_id: e.requestId,
  user_id: e.userId,
  api_key_id: e.apiKeyId,
  requested_model: e.requestedModel,
  provider: e.provider,
  upstream_model: e.upstreamModel,
  outcome: e.outcome,
  status: e.status,
  error_type: e.errorType,
  input_tokens: e.usage.inputTokens,
  output_tokens: e.usage.outputTokens,
  cached_input_tokens: e.usage.cachedInputTokens,
  cache_creation_tokens: e.usage.cacheCreationTokens,
  reasoning_tokens: e.usage.reasoningTokens,
  estimated: e.usage.estimated,
  cost_micros: e.costMicros,
  latency_us: toMicros(e.latencyMs),
  ttft_us: e.ttftMs === null ? null : toMicros(e.ttftMs),
  stream: e.stream,
  dropped_fields: e.droppedFields,
  created_at: e.createdAt.toISOString()
})

const EVENT_COLUMNS = `request_id text, user_id text, api_key_id text, requested_model text, provider text,
  upstream_model text, outcome text, status smallint, error_type text, input_tokens bigint, output_tokens bigint,
  cached_input_tokens bigint, cache_creation_tokens bigint, reasoning_tokens bigint, estimated boolean,
  cost_micros bigint, latency_us bigint, ttft_us bigint, stream boolean, dropped_fields text[], created_at timestamptz`

const EVENT_NAMES = EVENT_COLUMNS.split(",").map((c) => c.trim().split(/\s+/)[0]!)

/** Failed: status ≥ 400, or any outcome but success (a stream cut after a 200 counts too). */
export const IS_ERROR_SQL = "(status >= 400 OR outcome <> 'success')"

/** Rollup resolutions: every event is counted in its minute AND its hour. */
export type Grain = "minute" | "hour"
export const GRAINS: ReadonlyArray<Grain> = ["minute", "hour"]

/** Columns every rollup row sums, in order (the key columns come first in each table). */
export const ROLLUP_SUM_COLUMNS: ReadonlyArray<string> = [
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
  ...BUCKET_COLUMNS
]

/**
 * `INSERT INTO usage_rollup_<grain> … SELECT … FROM <source>`: the rollup rows of a set of events
 * (columns as in `usage_events`), added to existing rows. Shared by the writer and the benchmark's
 * bulk seeding so both maintain rollups the same way.
 */
export const rollupInsertSql = (source: string, grain: Grain) => {
  const table = `usage_rollup_${grain}`
  const bucketSums = BUCKET_COLUMNS.map((_, i) => `count(*) FILTER (WHERE lat_bucket = ${i})`).join(", ")
  return `INSERT INTO ${table} (${grain}, user_id, api_key_id, provider, model, ${ROLLUP_SUM_COLUMNS.join(", ")})
SELECT date_trunc('${grain}', created_at), user_id, coalesce(api_key_id, ''), coalesce(provider, ''),
  coalesce(upstream_model, requested_model),
  count(*), count(*) FILTER (WHERE ${IS_ERROR_SQL}), count(*) FILTER (WHERE status BETWEEN 400 AND 499),
  count(*) FILTER (WHERE status >= 500), count(*) FILTER (WHERE status = 429), count(*) FILTER (WHERE stream),
  count(*) FILTER (WHERE estimated),
  sum(input_tokens), sum(output_tokens), sum(cached_input_tokens), sum(cache_creation_tokens),
  sum(reasoning_tokens), sum(cost_micros), sum(latency_us), coalesce(sum(ttft_us), 0), count(ttft_us),
  ${bucketSums}
FROM (SELECT *, ${bucketIndexSql("latency_us")} AS lat_bucket FROM ${source}) AS events
GROUP BY 1, 2, 3, 4, 5
ON CONFLICT (user_id, ${grain}, api_key_id, provider, model) DO UPDATE SET
  ${ROLLUP_SUM_COLUMNS.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(",\n  ")}`
}

/** `INSERT INTO usage_error_rollup_<grain> … SELECT … FROM <source>` for the failed events. */
export const errorRollupInsertSql = (source: string, grain: Grain) => {
  const table = `usage_error_rollup_${grain}`
  return `INSERT INTO ${table} (${grain}, user_id, api_key_id, provider, model, status, error_type, count)
SELECT date_trunc('${grain}', created_at), user_id, coalesce(api_key_id, ''), coalesce(provider, ''),
  coalesce(upstream_model, requested_model), status, coalesce(error_type, outcome), count(*)
FROM ${source}
WHERE ${IS_ERROR_SQL}
GROUP BY 1, 2, 3, 4, 5, 6, 7
ON CONFLICT (user_id, ${grain}, api_key_id, provider, model, status, error_type) DO UPDATE SET
  count = ${table}.count + excluded.count`
}

const INSERT_BATCH_SQL = `WITH input AS (
  SELECT * FROM json_to_recordset($1::json) AS x(${EVENT_COLUMNS})
), ins AS (
  INSERT INTO usage_events (${EVENT_NAMES.join(", ")})
  SELECT ${EVENT_NAMES.join(", ")} FROM input
  ON CONFLICT (request_id) DO NOTHING
  RETURNING *
)${GRAINS.map(
  (grain) => `, rollup_${grain} AS (
  ${rollupInsertSql("ins", grain)}
), errors_${grain} AS (
  ${errorRollupInsertSql("ins", grain)}
)`
).join("")}
SELECT count(*)::int AS inserted FROM ins`

/**
 * One event as the JSON object `insertRows` expects. The writer serialises each event when it is
 * recorded: spread over requests this costs the same as serialising a batch at once, but does not
 * stall the event loop for milliseconds every time a batch of thousands is written.
 */
export const serializeEvent = (event: UsageEvent): string => JSON.stringify(toRow(event))

/**
 * Stores serialised events (`serializeEvent`) and updates the rollups for the rows that were new;
 * returns how many were new. Safe to run again with the same events.
 */
export const insertRows = (rows: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const sql = yield* LedgerSql
    const inserted = yield* sql.unsafe<{ inserted: number }>(INSERT_BATCH_SQL, [`[${rows.join(",")}]`])
    return inserted[0]?.inserted ?? 0
  })

/** `insertRows` for events. */
export const insertBatch = (events: ReadonlyArray<UsageEvent>) => insertRows(events.map(serializeEvent))
