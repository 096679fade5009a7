/**
 * The database the ledger writes to and reads from.
 *
 * By default it is the app's main database (`SqlClient`). Seed 002 lets the operator put analytics in
 * a database of their own: when `LEDGER_PG_CONNECTION_STRING` is set, the ledger opens its own pool
 * there and applies its own migrations to it at start-up.
 */
import { SqlClient } from "@effect/sql"
import type { MigrationError } from "@effect/sql/Migrator"
import type { SqlError } from "@effect/sql/SqlError"
import * as Migrations from "@switchyard/db/migrations"
import { Config, type ConfigError, Context, Effect, Layer, Option } from "effect"
import { ledgerMigrations } from "./LedgerMigrations.ts"

/** The SQL client of the ledger database. */
export class LedgerSql extends Context.Tag("@switchyard/ledger/LedgerSql")<
  LedgerSql,
  SqlClient.SqlClient
>() {}

/** Uses the app's own `SqlClient` (the caller runs `ledgerMigrations` with its other migrations). */
export const layerFromSqlClient: Layer.Layer<LedgerSql, never, SqlClient.SqlClient> = Layer.effect(
  LedgerSql,
  SqlClient.SqlClient
)

/**
 * `LEDGER_PG_CONNECTION_STRING` when set (own pool of `LEDGER_PG_MAX_CONNECTIONS`, default 5, and
 * ledger migrations applied to it), else the app's `SqlClient`.
 */
export const layer: Layer.Layer<
  LedgerSql,
  ConfigError.ConfigError | SqlError | MigrationError,
  SqlClient.SqlClient
> = Layer.unwrapEffect(
  Effect.gen(function* () {
    const url = yield* Config.option(Config.redacted("LEDGER_PG_CONNECTION_STRING"))
    const maxConnections = yield* Config.integer("LEDGER_PG_MAX_CONNECTIONS").pipe(Config.withDefault(5))
    if (Option.isNone(url)) return layerFromSqlClient
    return Layer.scoped(
      LedgerSql,
      Effect.gen(function* () {
        // The pool's package (and pg with it) is imported only here: every router thread loads the
        // ledger's index, and only an owner with a separate ledger database opens a pool for it.
        const { Database } = yield* Effect.promise(() => import("@switchyard/db"))
        const context = yield* Layer.build(Database.layerFromUrl(url.value, { maxConnections }))
        const sql = Context.get(context, SqlClient.SqlClient)
        yield* Migrations.run([ledgerMigrations]).pipe(Effect.provideService(SqlClient.SqlClient, sql))
        return sql
      })
    )
  })
)

/** True when the ledger database has every ledger migration (for `/health`). */
export const isCurrent = Effect.flatMap(LedgerSql, (sql) =>
  Migrations.isCurrent([ledgerMigrations]).pipe(Effect.provideService(SqlClient.SqlClient, sql))
)
