/**
 * Switchyard API keys: one per user, stored only as a SHA-256 hash. `key_hash` is unique (and so
 * indexed): it is the router's lookup. Prefix and last 4 characters are kept for the masked view.
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE api_key (
    id text PRIMARY KEY,
    user_id text NOT NULL UNIQUE REFERENCES "user" ("id") ON DELETE CASCADE,
    key_hash text NOT NULL UNIQUE,
    prefix text NOT NULL,
    last4 text NOT NULL,
    enabled boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz
  )`
})
