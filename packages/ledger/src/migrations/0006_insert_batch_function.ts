/**
 * The writer's statement as a function, `usage_insert_batch`, so PostgreSQL keeps its plan on each
 * connection instead of planning it for every batch.
 *
 * The statement (insert the events, skip request ids already stored, add the new rows to the four
 * rollup tables) is one large `WITH`. Sent as text, PostgreSQL parsed and planned it again for every
 * batch, with the batch's arrays as constants: about 5 ms of its CPU per batch whatever the size, as
 * much as writing 500 rows (bench/README.md, twelfth pass). PL/pgSQL caches the plan of each
 * statement of a function on the connection and, after five calls, settles on a generic plan (it
 * plans again only when the tables' definitions or statistics change). `@effect/sql-pg` sends no
 * named prepared statements, so a function is how the plan is kept.
 *
 * Parameters, in order: one array per column of `usage_events` (the writer's `COLUMNS`), all of
 * the batch's length. Returns how many events were new. Safe to call again with the same events:
 * the rollups are built only from the rows the insert returned.
 *
 * Everything the SQL names is written out here as of this migration (a migration never changes
 * with the code). Migration 0007's `usage_insert_batch_presummed`, which the writer calls now,
 * runs this statement, built from these exports, whenever it cannot use the writer's sums; the
 * benchmark and the tests rebuild rollups from stored events with the same `rollupCtes`. This
 * function stays for the previous release's routers during a rolling upgrade.
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/** The columns of `usage_events` the writer fills, with their types, in parameter order. */
export const EVENT_COLUMNS: ReadonlyArray<readonly [name: string, type: string]> = [
  ["request_id", "text"],
  ["user_id", "text"],
  ["api_key_id", "text"],
  ["requested_model", "text"],
  ["provider", "text"],
  ["upstream_model", "text"],
  ["outcome", "text"],
  ["status", "smallint"],
  ["error_type", "text"],
  ["input_tokens", "bigint"],
  ["output_tokens", "bigint"],
  ["cached_input_tokens", "bigint"],
  ["cache_creation_tokens", "bigint"],
  ["reasoning_tokens", "bigint"],
  ["estimated", "boolean"],
  ["cost_micros", "bigint"],
  ["latency_us", "bigint"],
  ["ttft_us", "bigint"],
  ["stream", "boolean"],
  // Each row's `text[]` travels as one text literal (rows differ in length; no 2-D array).
  ["dropped_fields", "text"],
  ["created_at", "timestamptz"]
]

/** Upper bounds of the latency buckets in microseconds (0001's bounds), and one more for `+Inf`. */
const BOUNDS_US = [
  10, 25, 50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 4000, 5000, 7500, 10000, 15000, 20000, 30000,
  60000, 120000
].map((ms) => ms * 1000)
const BUCKETS = Array.from({ length: BOUNDS_US.length + 1 }, (_, i) => `lat_b${String(i).padStart(2, "0")}`)

/** Failed: status ≥ 400, or any outcome but success (a stream cut after a 200 counts too). */
const IS_ERROR = "(status >= 400 OR outcome <> 'success')"

/** Each rollup column and what it sums over events. */
export const SUMS: ReadonlyArray<readonly [column: string, sum: string]> = [
  ["requests", "count(*)"],
  ["error_count", `count(*) FILTER (WHERE ${IS_ERROR})`],
  ["client_error_count", "count(*) FILTER (WHERE status BETWEEN 400 AND 499)"],
  ["server_error_count", "count(*) FILTER (WHERE status >= 500)"],
  ["rate_limited_count", "count(*) FILTER (WHERE status = 429)"],
  ["stream_count", "count(*) FILTER (WHERE stream)"],
  ["estimated_count", "count(*) FILTER (WHERE estimated)"],
  ["input_tokens", "sum(input_tokens)"],
  ["output_tokens", "sum(output_tokens)"],
  ["cached_input_tokens", "sum(cached_input_tokens)"],
  ["cache_creation_tokens", "sum(cache_creation_tokens)"],
  ["reasoning_tokens", "sum(reasoning_tokens)"],
  ["cost_micros", "sum(cost_micros)"],
  ["latency_sum_us", "sum(latency_us)"],
  ["ttft_sum_us", "coalesce(sum(ttft_us), 0)"],
  ["ttft_count", "count(ttft_us)"],
  ...BUCKETS.map((column, i) => [column, `count(*) FILTER (WHERE lat_bucket = ${i})`] as const)
]
const SUM_COLUMNS = SUMS.map(([column]) => column).join(", ")

/**
 * A latency's bucket: `width_bucket` treats its thresholds as inclusive LOWER bounds, so
 * `bound + 1` makes them inclusive upper bounds.
 */
const BUCKET_OF_LATENCY = `width_bucket(latency_us, ARRAY[${BOUNDS_US.map((b) => b + 1).join(",")}]::bigint[])`

/** The key of a rollup row, from an event ('' for "none": unique constraints treat NULLs as distinct). */
const ROLLUP_KEY =
  "user_id, coalesce(api_key_id, '') AS api_key_id, coalesce(provider, '') AS provider, coalesce(upstream_model, requested_model) AS model"
const KEY_NAMES = "user_id, api_key_id, provider, model"
/** The key after user and time, as each table's unique constraint lists it. */
const KEY_REST = "api_key_id, provider, model"

export const addOnConflict = (table: string) =>
  SUMS.map(([column]) => `${column} = ${table}.${column} + excluded.${column}`).join(", ")

/**
 * The `WITH` items that add a set of events (`source`, columns as in `usage_events`) to every
 * rollup table: the events grouped per minute once (`minutes`, `error_minutes`), the minute
 * rollups upserted from those groups, and the hour rollups from the same groups summed per hour.
 */
export const rollupCtes = (source: string): string => `minutes AS (
  SELECT date_trunc('minute', created_at) AS minute, ${ROLLUP_KEY},
    ${SUMS.map(([column, sum]) => `${sum} AS ${column}`).join(",\n    ")}
  FROM (SELECT *, ${BUCKET_OF_LATENCY} AS lat_bucket FROM ${source}) AS events
  GROUP BY 1, 2, 3, 4, 5
), rollup_minute AS (
  INSERT INTO usage_rollup_minute (minute, ${KEY_NAMES}, ${SUM_COLUMNS})
  SELECT minute, ${KEY_NAMES}, ${SUM_COLUMNS} FROM minutes
  ON CONFLICT (user_id, minute, ${KEY_REST}) DO UPDATE SET
    ${addOnConflict("usage_rollup_minute")}
), rollup_hour AS (
  INSERT INTO usage_rollup_hour (hour, ${KEY_NAMES}, ${SUM_COLUMNS})
  SELECT date_trunc('hour', minute), ${KEY_NAMES}, ${SUMS.map(([column]) => `sum(${column})`).join(", ")}
  FROM minutes GROUP BY 1, 2, 3, 4, 5
  ON CONFLICT (user_id, hour, ${KEY_REST}) DO UPDATE SET
    ${addOnConflict("usage_rollup_hour")}
), error_minutes AS (
  SELECT date_trunc('minute', created_at) AS minute, ${ROLLUP_KEY}, status,
    coalesce(error_type, outcome) AS error_type, count(*) AS count
  FROM ${source} WHERE ${IS_ERROR}
  GROUP BY 1, 2, 3, 4, 5, 6, 7
), errors_minute AS (
  INSERT INTO usage_error_rollup_minute (minute, ${KEY_NAMES}, status, error_type, count)
  SELECT minute, ${KEY_NAMES}, status, error_type, count FROM error_minutes
  ON CONFLICT (user_id, minute, ${KEY_REST}, status, error_type) DO UPDATE SET
    count = usage_error_rollup_minute.count + excluded.count
), errors_hour AS (
  INSERT INTO usage_error_rollup_hour (hour, ${KEY_NAMES}, status, error_type, count)
  SELECT date_trunc('hour', minute), ${KEY_NAMES}, status, error_type, sum(count) FROM error_minutes
  GROUP BY 1, 2, 3, 4, 5, 6, 7
  ON CONFLICT (user_id, hour, ${KEY_REST}, status, error_type) DO UPDATE SET
    count = usage_error_rollup_hour.count + excluded.count
)`

const NAMES = EVENT_COLUMNS.map(([name]) => name).join(", ")

// Parameters are unnamed (read as $1…$21): named ones would clash with the column names.
const CREATE_FUNCTION = `CREATE FUNCTION usage_insert_batch(${EVENT_COLUMNS.map(([, type]) => `${type}[]`).join(", ")})
RETURNS integer LANGUAGE plpgsql AS $function$
DECLARE
  inserted integer;
BEGIN
  WITH ins AS (
    INSERT INTO usage_events (${NAMES})
    SELECT ${EVENT_COLUMNS.map(([name]) => (name === "dropped_fields" ? "dropped_fields::text[]" : name)).join(", ")}
    FROM unnest(${EVENT_COLUMNS.map((_, i) => `$${i + 1}`).join(", ")}) AS input(${NAMES})
    ON CONFLICT (request_id) DO NOTHING
    RETURNING *
  ), ${rollupCtes("ins")}
  SELECT count(*)::int INTO inserted FROM ins;
  RETURN inserted;
END
$function$`

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(CREATE_FUNCTION)
})
