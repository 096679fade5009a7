/**
 * Migrations 0001 and 0003 spell the latency bucket columns out (a migration never changes with
 * the code): the columns they create must be the ones the writer and the analytics read.
 */
import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Database, Migrations } from "@switchyard/db"
import { TestDatabase } from "@switchyard/db/testing"
import { Effect, Layer } from "effect"
import { LatencyBuckets, ledgerMigrations } from "../src/index.ts"

const Migrated = Layer.unwrapScoped(
  Effect.map(TestDatabase.createDatabase("ledger_bucket_columns"), (url) => Database.layerFromUrl(url))
)

describe("latency bucket columns", () => {
  it.layer(Migrated)((it) => {
    it.effect("the migrated rollup tables have exactly the code's bucket columns", () =>
      Effect.gen(function* () {
        yield* Migrations.run([ledgerMigrations])
        const sql = yield* SqlClient.SqlClient
        for (const table of ["usage_rollup_minute", "usage_rollup_hour"]) {
          const columns = yield* sql<{ columnName: string }>`
            SELECT column_name FROM information_schema.columns
            WHERE table_name = ${table} AND column_name LIKE 'lat\\_b%' ORDER BY column_name`
          expect(columns.map((c) => c.columnName)).toEqual(LatencyBuckets.BUCKET_COLUMNS)
        }
      })
    )
  })
})
