/**
 * Usage events PostgreSQL refused as data (a value it cannot store: NUL in text, an index row too
 * large, a fractional count for a bigint…). The writer isolates them by splitting the failing
 * batch, so one bad event never holds back the others; they land here with the database's reason,
 * for an operator to inspect or replay. `payload` is the event as the JSON the writer sends
 * (escaped text, so it stores whatever the event held).
 *
 * Negative counts make no sense and would lower a user's totals: a CHECK refuses them (as a row
 * fault, so they become dead letters too). `NOT VALID`: rows already stored are not scanned.
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE usage_dead_letters (
    id bigserial PRIMARY KEY,
    request_id text,
    user_id text,
    reason text NOT NULL,
    sqlstate text,
    payload text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`
  yield* sql`ALTER TABLE usage_events ADD CONSTRAINT usage_events_counts_not_negative CHECK (
    input_tokens >= 0 AND output_tokens >= 0 AND cached_input_tokens >= 0 AND cache_creation_tokens >= 0
    AND reasoning_tokens >= 0 AND cost_micros >= 0
  ) NOT VALID`
  yield* sql`CREATE INDEX usage_dead_letters_created ON usage_dead_letters USING brin (created_at)`
})
