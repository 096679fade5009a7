/**
 * Responses API conversation state: each stored response with its owner, the turn's input items
 * and the Response object, and its output items by id (for `item_reference` inputs). JSON is
 * kept as `text`, not `jsonb`: model output and client input may carry NUL characters or lone
 * surrogates, which `jsonb` refuses and `JSON.stringify` escapes.
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE responses (
      id text PRIMARY KEY,
      user_id text NOT NULL,
      previous_response_id text,
      input_items text NOT NULL,
      body text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL
    )`
  // The retention sweep.
  yield* sql`CREATE INDEX responses_expires_at ON responses (expires_at)`
  yield* sql`
    CREATE TABLE response_items (
      user_id text NOT NULL,
      item_id text NOT NULL,
      response_id text NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
      item text NOT NULL,
      PRIMARY KEY (user_id, item_id)
    )`
  // Deleting a response removes its items (the cascade looks them up by response).
  yield* sql`CREATE INDEX response_items_response ON response_items (response_id)`
})
