/**
 * `usage_insert_batch_presummed`: the writer's statement with the rollups summed by the writer.
 *
 * 0006's function grouped every inserted row into the rollups itself: 38 aggregates per row (one
 * per rollup column, 22 of them latency buckets), about 40 % of PostgreSQL's time per batch, and
 * the `ON CONFLICT` pre-check cost another fifth (bench/README.md, thirteenth pass). The writer
 * sums a batch per minute and rollup key for a fraction of a microsecond an event, and sends one
 * row per group. The rollups must still count exactly the events this call stored, so:
 *
 * - the events are inserted plainly. When every one is new (always, but for a retry), the writer's
 *   sums are exactly theirs: they are added to the minute rollups, and per hour to the hour ones;
 * - when any request id is stored already (a batch retried after a commit whose answer was lost,
 *   or an id repeated inside the batch), the insert fails with `unique_violation`, which rolls it
 *   back, and 0006's statement runs instead: it skips the stored ids and builds the rollups from
 *   the rows it inserted. So does a call without sums (`$22` NULL: the writer could not sum the
 *   batch exactly in doubles) and one whose minutes are not the session time zone's (an offset
 *   with seconds, which only dates before about 1900 have). Any other error leaves the function
 *   with its own SQLSTATE, so the writer can still isolate and dead-letter a row PostgreSQL refuses.
 * - The upserts take their rows in key order, so two routers writing the same user's rollups lock
 *   them in the same order and cannot deadlock each other.
 *
 * Parameters, in order:
 * - `$1`…`$21`: one array per column of `usage_events`, as 0006's (the writer's `COLUMNS`);
 * - `$22`…`$26`: one element per minute group: the minute, user, API key ('' for none), provider
 *   ('' for none) and model (the upstream model, else the requested one);
 * - `$27`: a two-dimensional `bigint` array, one row per group, holding the rollup sums in 0006's
 *   `SUMS` order (requests, error counts, tokens, cost, latency, ttft, the 22 latency buckets);
 * - `$28`…`$31`: one element per error group: its minute group (1-based index into `$22`…), status,
 *   error type (the error's type, else the outcome) and count.
 *
 * Returns how many events were new. 0006's function stays for routers of the previous release
 * during a rolling upgrade. Everything the SQL names is 0006's, frozen with it.
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { addOnConflict, EVENT_COLUMNS, rollupCtes, SUMS } from "./0006_insert_batch_function.ts"

const NAMES = EVENT_COLUMNS.map(([name]) => name).join(", ")
const SUM_COLUMNS = SUMS.map(([column]) => column)
const KEY_NAMES = "user_id, api_key_id, provider, model"
const KEY_REST = "api_key_id, provider, model"

/**
 * The events, from the first 21 parameters. `unnest` in the select list expands the arrays in
 * lockstep, row by row; `unnest($1, …, $21)` in FROM (0006's) first copies each array into a
 * tuplestore of its own, a fifth of PostgreSQL's time per row (thirteenth pass). Both pad shorter
 * arrays with NULLs; the writer's are all the batch's length.
 */
const EVENTS_INPUT = `SELECT ${EVENT_COLUMNS.map(([name], i) => (name === "dropped_fields" ? `unnest($${i + 1})::text[]` : `unnest($${i + 1})`)).join(", ")}`

/** The writer's groups, one row each, with their sums as columns (minutes checked as whole). */
const GROUPS = `SELECT $22[g] AS minute, $23[g] AS user_id, $24[g] AS api_key_id,
      $25[g] AS provider, $26[g] AS model,
      ${SUM_COLUMNS.map((column, i) => `$27[g][${i + 1}] AS ${column}`).join(", ")}
    FROM generate_subscripts($22, 1) AS g`

const ERROR_GROUPS = `SELECT $22[$28[e]] AS minute, $23[$28[e]] AS user_id,
      $24[$28[e]] AS api_key_id, $25[$28[e]] AS provider, $26[$28[e]] AS model,
      $29[e] AS status, $30[e] AS error_type, $31[e] AS count
    FROM generate_subscripts($28, 1) AS e`

const PARAMETER_TYPES = [
  ...EVENT_COLUMNS.map(([, type]) => `${type}[]`),
  "timestamptz[]",
  "text[]",
  "text[]",
  "text[]",
  "text[]",
  "bigint[]",
  "integer[]",
  "smallint[]",
  "text[]",
  "bigint[]"
]

const CREATE_FUNCTION = `CREATE FUNCTION usage_insert_batch_presummed(${PARAMETER_TYPES.join(", ")})
RETURNS integer LANGUAGE plpgsql AS $function$
DECLARE
  inserted integer;
BEGIN
  IF $22 IS NOT NULL AND NOT EXISTS (SELECT FROM unnest($22) AS m WHERE date_trunc('minute', m) <> m) THEN
    BEGIN
      INSERT INTO usage_events (${NAMES})
      ${EVENTS_INPUT};
      GET DIAGNOSTICS inserted = ROW_COUNT;
      -- Every event was new: the writer's sums are exactly theirs.
      WITH minutes AS (
        ${GROUPS}
      ), rollup_minute AS (
        INSERT INTO usage_rollup_minute (minute, ${KEY_NAMES}, ${SUM_COLUMNS.join(", ")})
        SELECT minute, ${KEY_NAMES}, ${SUM_COLUMNS.join(", ")} FROM minutes
        ORDER BY user_id, minute, ${KEY_REST}
        ON CONFLICT (user_id, minute, ${KEY_REST}) DO UPDATE SET
          ${addOnConflict("usage_rollup_minute")}
      ), rollup_hour AS (
        INSERT INTO usage_rollup_hour (hour, ${KEY_NAMES}, ${SUM_COLUMNS.join(", ")})
        SELECT date_trunc('hour', minute), ${KEY_NAMES}, ${SUM_COLUMNS.map((column) => `sum(${column})`).join(", ")}
        FROM minutes GROUP BY 1, 2, 3, 4, 5
        ORDER BY user_id, 1, ${KEY_REST}
        ON CONFLICT (user_id, hour, ${KEY_REST}) DO UPDATE SET
          ${addOnConflict("usage_rollup_hour")}
      ), error_minutes AS (
        ${ERROR_GROUPS}
      ), errors_minute AS (
        INSERT INTO usage_error_rollup_minute (minute, ${KEY_NAMES}, status, error_type, count)
        SELECT minute, ${KEY_NAMES}, status, error_type, count FROM error_minutes
        ORDER BY user_id, minute, ${KEY_REST}, status, error_type
        ON CONFLICT (user_id, minute, ${KEY_REST}, status, error_type) DO UPDATE SET
          count = usage_error_rollup_minute.count + excluded.count
      )
      INSERT INTO usage_error_rollup_hour (hour, ${KEY_NAMES}, status, error_type, count)
      SELECT date_trunc('hour', minute), ${KEY_NAMES}, status, error_type, sum(count) FROM error_minutes
      GROUP BY 1, 2, 3, 4, 5, 6, 7
      ORDER BY user_id, 1, ${KEY_REST}, status, error_type
      ON CONFLICT (user_id, hour, ${KEY_REST}, status, error_type) DO UPDATE SET
        count = usage_error_rollup_hour.count + excluded.count;
      RETURN inserted;
    EXCEPTION WHEN unique_violation THEN
      -- Some request ids are stored already: the statement below stores the others.
      NULL;
    END;
  END IF;
  -- 0006's statement: insert what is new, and build the rollups from the rows it inserted.
  WITH ins AS (
    INSERT INTO usage_events (${NAMES})
    ${EVENTS_INPUT}
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
