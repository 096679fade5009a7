/**
 * The ledger's migrations (bookkeeping table `ledger_migrations`).
 */
import * as Migrations from "@switchyard/db/migrations"
import usage from "./migrations/0001_usage.ts"
import failedRequests from "./migrations/0002_failed_requests.ts"
import hourlyRollups from "./migrations/0003_hourly_rollups.ts"
import eventsTimeIndex from "./migrations/0004_events_time_index.ts"
import deadLetters from "./migrations/0005_dead_letters.ts"
import insertBatchFunction from "./migrations/0006_insert_batch_function.ts"
import insertBatchPresummed from "./migrations/0007_insert_batch_presummed.ts"

/**
 * Every table the ledger owns (usage events, minute and hour rollups, failed requests, dead letters)
 * and the functions the writer stores batches with.
 */
export const ledgerMigrations: Migrations.PackageMigrations = Migrations.define("ledger", {
  "0001_usage": usage,
  "0002_failed_requests": failedRequests,
  "0003_hourly_rollups": hourlyRollups,
  "0004_events_time_index": eventsTimeIndex,
  "0005_dead_letters": deadLetters,
  "0006_insert_batch_function": insertBatchFunction,
  "0007_insert_batch_presummed": insertBatchPresummed
})
