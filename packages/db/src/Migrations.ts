/**
 * Per-package migrations, run at start-up through the @effect/sql Migrator.
 *
 * Each package owns its migrations and its own bookkeeping table (`<name>_migrations`), so packages
 * evolve independently. All runs take one PostgreSQL advisory lock inside a transaction, which makes
 * them safe to run twice and from several processes at once: the Migrator's own table lock does not
 * cover the creation of the bookkeeping table itself.
 */

import { SqlClient } from "@effect/sql"
import * as Migrator from "@effect/sql/Migrator"
import { Effect } from "effect"

/** The migrations a package owns. */
export interface PackageMigrations {
  /** Short package name; the bookkeeping table is `${name}_migrations`. */
  readonly name: string
  /** Migrations as `{ "0001_create_things": Effect }`. */
  readonly migrations: Record<string, Effect.Effect<unknown, unknown, SqlClient.SqlClient>>
}

/** Declares a package's migrations (keys must be `NNNN_snake_name`). */
export const define = (
  name: string,
  migrations: Record<string, Effect.Effect<unknown, unknown, SqlClient.SqlClient>>
): PackageMigrations => ({ name, migrations })

const runMigrator = Migrator.make({})

/** Key of the advisory lock every migration run takes (any fixed 64-bit number). */
const MIGRATION_LOCK_KEY = 7_341_220_917

/**
 * Applies every pending migration of the given packages, in order, under one advisory lock.
 * Returns the applied migrations as `package/id_name`.
 */
export const run = (packages: ReadonlyArray<PackageMigrations>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return yield* sql.withTransaction(
      Effect.gen(function* () {
        yield* sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`
        const applied: Array<string> = []
        for (const pkg of packages) {
          const table = `${pkg.name}_migrations`
          // Created here because the Migrator probes for it with a failing query, which would abort
          // our surrounding transaction.
          yield* sql`CREATE TABLE IF NOT EXISTS ${sql(table)} (
            migration_id integer PRIMARY KEY,
            created_at timestamptz NOT NULL DEFAULT now(),
            name text NOT NULL
          )`
          const done = yield* runMigrator({
            table,
            loader: Migrator.fromRecord(pkg.migrations)
          })
          for (const [id, name] of done) applied.push(`${pkg.name}/${id}_${name}`)
        }
        return applied
      })
    )
  }).pipe(Effect.withSpan("Migrations.run"))

/** True when every migration of the given packages has been applied (for `/health`). */
export const isCurrent = (packages: ReadonlyArray<PackageMigrations>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    for (const pkg of packages) {
      const table = `${pkg.name}_migrations`
      const latest = Math.max(0, ...Object.keys(pkg.migrations).map((key) => Number(key.split("_")[0])))
      if (latest === 0) continue
      const exists = yield* sql<{ exists: boolean }>`SELECT to_regclass(${table}) IS NOT NULL AS exists`
      if (!exists[0]?.exists) return false
      const rows = yield* sql<{ id: number | null }>`SELECT max(migration_id) AS id FROM ${sql(table)}`
      if ((rows[0]?.id ?? 0) < latest) return false
    }
    return true
  })
