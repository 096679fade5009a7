/**
 * Per-key usage limits, set by the key's owner with `PATCH /v1/apikey`. The column holds the
 * encoded `LimitsConfig` (budgets as `amountMicros`); NULL means the operator's defaults apply.
 * Read only together with the row the router already looks up by `key_hash`: no new index.
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE api_key ADD COLUMN IF NOT EXISTS limits jsonb
    CONSTRAINT api_key_limits_object CHECK (limits IS NULL OR jsonb_typeof(limits) = 'object')`
})
