/**
 * The auth package's tables: better-auth's own, then the API keys and their limits, then the
 * sign-in attempts behind the per-account lockout, then session tokens hashed.
 */
import * as Migrations from "@switchyard/db/migrations"
import betterAuth from "./migrations/0001_better_auth.ts"
import apiKey from "./migrations/0002_api_key.ts"
import apiKeyLimits from "./migrations/0003_api_key_limits.ts"
import signInAttempts from "./migrations/0004_sign_in_attempts.ts"
import hashedSessionTokens from "./migrations/0005_hashed_session_tokens.ts"

/** Run at start-up by both apps, with the other packages' migrations. */
export const authMigrations = Migrations.define("auth", {
  "0001_better_auth": betterAuth,
  "0002_api_key": apiKey,
  "0003_api_key_limits": apiKeyLimits,
  "0004_sign_in_attempts": signInAttempts,
  "0005_hashed_session_tokens": hashedSessionTokens
})
