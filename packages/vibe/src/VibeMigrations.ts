/**
 * The vibe package's tables, applied at start-up by `Migrations.run` from `@switchyard/db`
 * (bookkeeping table `vibe_migrations`).
 */
import * as Migrations from "@switchyard/db/migrations"
import vibeApps from "./migrations/0001_vibe_apps.ts"

/** Every migration of the vibe package, in order. */
export const vibeMigrations = Migrations.define("vibe", {
  "0001_vibe_apps": vibeApps
})
