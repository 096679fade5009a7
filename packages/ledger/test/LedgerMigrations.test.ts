import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Database, Migrations } from "@switchyard/db"
import { TestDatabase } from "@switchyard/db/testing"
import { Effect, Layer } from "effect"
import { ledgerMigrations } from "../src/index.ts"
import usage from "../src/migrations/0001_usage.ts"
import failedRequests from "../src/migrations/0002_failed_requests.ts"

const EmptyDatabase = Layer.unwrapScoped(
  Effect.map(TestDatabase.createDatabase("ledger_migrations"), (url) => Database.layerFromUrl(url))
)

describe("ledger migrations", () => {
  it.layer(EmptyDatabase)((it) => {
    it.effect("0003 backfills hourly rollups from the minute rollups of an existing ledger", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        // A ledger as it was before 0003.
        yield* Migrations.run([
          Migrations.define("ledger", { "0001_usage": usage, "0002_failed_requests": failedRequests })
        ])
        for (const [minute, requests, cost] of [
          ["2026-01-01T10:05:00Z", 2, 30],
          ["2026-01-01T10:59:00Z", 3, 40],
          ["2026-01-01T11:00:00Z", 1, 5]
        ] as const) {
          yield* sql`INSERT INTO usage_rollup_minute (minute, user_id, model, requests, cost_micros, lat_b03)
            VALUES (${new Date(minute)}, 'u', 'm', ${requests}, ${cost}, ${requests})`
          yield* sql`INSERT INTO usage_error_rollup_minute (minute, user_id, model, status, error_type, count)
            VALUES (${new Date(minute)}, 'u', 'm', 502, 'api_error', ${requests})`
        }
        expect(yield* Migrations.run([ledgerMigrations])).toEqual([
          "ledger/3_hourly_rollups",
          "ledger/4_events_time_index",
          "ledger/5_dead_letters",
          "ledger/6_insert_batch_function",
          "ledger/7_insert_batch_presummed"
        ])
        const hours = yield* sql<{ hour: Date; requests: number; costMicros: number; latB03: number }>`
          SELECT hour, requests::int, cost_micros::int, lat_b03::int FROM usage_rollup_hour ORDER BY hour`
        expect(hours).toEqual([
          { hour: new Date("2026-01-01T10:00:00Z"), requests: 5, costMicros: 70, latB03: 5 },
          { hour: new Date("2026-01-01T11:00:00Z"), requests: 1, costMicros: 5, latB03: 1 }
        ])
        const errors = yield* sql<{ count: number }>`
          SELECT count::int FROM usage_error_rollup_hour ORDER BY hour`
        expect(errors).toEqual([{ count: 5 }, { count: 1 }])
        expect(yield* Migrations.isCurrent([ledgerMigrations])).toBe(true)
      })
    )
  })
})
