/**
 * Session tokens are stored as their SHA-256 (hex) from now on (`HashedSessionTokens.ts`): hash
 * the ones already stored, so sessions opened before the upgrade keep working (their clients still
 * send the token, which is now looked up by its hash). Stored hashes are 64 hex characters and
 * better-auth's tokens 32 alphanumerics, so running this twice changes nothing.
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`UPDATE "session" SET "token" = encode(sha256(convert_to("token", 'UTF8')), 'hex')
             WHERE "token" !~ '^[0-9a-f]{64}$'`
})
