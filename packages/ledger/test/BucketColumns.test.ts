/**
 * Migrations 0001, 0003, 0006 and 0007 spell the latency buckets and the writer's columns out (a
 * migration never changes with the code): what they create must be what the writer sends and the
 * analytics read. (MinuteSums.test holds the writer's own sums to 0006's SQL.)
 */
import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Database, Migrations } from "@switchyard/db"
import { TestDatabase } from "@switchyard/db/testing"
import { Effect, Layer } from "effect"
import { LatencyBuckets, LedgerSql, ledgerMigrations } from "../src/index.ts"
import { BATCH_PARAMETER_TYPES, insertBatch } from "../src/UsageEventsRepo.ts"
import { makeEvent } from "./events.ts"

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

    it.effect("the writer's function takes the writer's columns, in order", () =>
      Effect.gen(function* () {
        yield* Migrations.run([ledgerMigrations])
        const sql = yield* SqlClient.SqlClient
        const [declared] = yield* sql<{ types: ReadonlyArray<string> }>`
          SELECT array_agg(argument::regtype::text ORDER BY position) AS types
          FROM pg_proc, unnest(proargtypes) WITH ORDINALITY AS a(argument, position)
          WHERE proname = 'usage_insert_batch_presummed'`
        const [sent] = yield* sql<{ types: ReadonlyArray<string> }>`
          SELECT array_agg(name::regtype::text ORDER BY position) AS types
          FROM unnest(${BATCH_PARAMETER_TYPES}::text[]) WITH ORDINALITY AS t(name, position)`
        expect(declared!.types).toEqual(sent!.types)
      })
    )

    it.effect("the writer's function counts each latency in the bucket the code computes", () =>
      Effect.gen(function* () {
        yield* Migrations.run([ledgerMigrations])
        const sql = yield* SqlClient.SqlClient
        // Each bound exactly (its own bucket) and one microsecond above it (the next one).
        const latenciesMs = LatencyBuckets.LATENCY_BUCKET_BOUNDS_MS.flatMap((bound) => [bound, bound + 0.001])
        const createdAt = new Date("2026-03-01T12:00:00Z")
        const events = latenciesMs.map((latencyMs) =>
          makeEvent({ userId: "bucket-user", latencyMs, createdAt })
        )
        yield* insertBatch(events).pipe(Effect.provideService(LedgerSql, sql))
        const expected = LatencyBuckets.BUCKET_COLUMNS.map(
          (_, i) =>
            latenciesMs.filter((ms) => LatencyBuckets.bucketIndexOfMicros(Math.round(ms * 1000)) === i).length
        )
        for (const table of ["usage_rollup_minute", "usage_rollup_hour"]) {
          const rows = yield* sql.unsafe<{ counts: ReadonlyArray<number> }>(
            `SELECT ARRAY[${LatencyBuckets.BUCKET_COLUMNS.join(", ")}]::int[] AS counts FROM ${table} WHERE user_id = 'bucket-user'`
          )
          expect(rows.map((row) => row.counts)).toEqual([expected])
        }
      })
    )
  })
})
