/**
 * Sign-in attempts per account (the SHA-256 of the normalised email, not the email itself), for
 * the per-account lockout when Redis is not configured. One row per account that failed lately;
 * a successful sign-in deletes it. Read and written by primary key only.
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE IF NOT EXISTS sign_in_attempts (
    account text PRIMARY KEY,
    attempts integer NOT NULL DEFAULT 0,
    locked_until timestamptz,
    last_attempt_at timestamptz NOT NULL DEFAULT now()
  )`
})
