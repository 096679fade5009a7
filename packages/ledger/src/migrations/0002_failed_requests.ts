/**
 * Failed requests synced by offline clients (seed 000), unique per user and request id.
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE failed_requests (
    user_id text NOT NULL,
    request_id text NOT NULL,
    original_timestamp timestamptz NOT NULL,
    request_data jsonb NOT NULL,
    error_message text NOT NULL,
    synced_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, request_id)
  )`
})
