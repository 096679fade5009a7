/**
 * Raw events are written at every request and read by no hot query (analytics read rollups): the
 * per-user B-tree index cost a write per event for nothing. A BRIN index on `created_at` (a few
 * pages for millions of rows, since events arrive in time order) still serves time-range scans
 * such as retention clean-up and audits.
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`DROP INDEX IF EXISTS usage_events_user_time`
  yield* sql`CREATE INDEX usage_events_created_brin ON usage_events USING brin (created_at)`
})
