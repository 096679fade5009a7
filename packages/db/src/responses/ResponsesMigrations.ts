/**
 * The stored responses' tables, applied at start-up by `Migrations.run` (bookkeeping table
 * `responses_migrations`).
 */
import * as Migrations from "../Migrations.ts"
import responses from "./migrations/0001_responses.ts"

/** Every migration of the stored responses, in order. */
export const responsesMigrations: Migrations.PackageMigrations = Migrations.define("responses", {
  "0001_responses": responses
})
