/**
 * PostgreSQL plumbing shared by every package: the connection layer and per-package migrations;
 * and the Responses API's stored responses (their store and migrations).
 * Test databases are in `@switchyard/db/testing`, the embedded server in `@switchyard/db/embedded`:
 * production code never loads them. `@switchyard/db/migrations` is `Migrations` alone, for package
 * indexes the router's serving thread loads (it carries no PostgreSQL driver).
 */
export * as Database from "./Database.ts"
export * as Migrations from "./Migrations.ts"
export {
  ResponseStore,
  type ResponseStoreSettings,
  type StoredResponse
} from "./responses/ResponseStore.ts"
export * from "./responses/ResponsesMigrations.ts"
