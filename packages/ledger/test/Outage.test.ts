/**
 * The writer against a PostgreSQL server of its own that is REALLY stopped (`pg_ctl stop -m
 * immediate`) and started again while events keep arriving.
 */
import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Database, Migrations } from "@switchyard/db"
import { Effect, Fiber, Layer } from "effect"
import { LedgerDatabase, ledgerMigrations, UsageMetrics, UsageRecorder } from "../src/index.ts"
import { makeEvent } from "./events.ts"
import * as ThrowawayPostgres from "./ThrowawayPostgres.ts"

const writer = (maxBuffered: number) =>
  UsageRecorder.layerPgWith({
    batchSize: 200,
    flushIntervalMs: 20,
    maxBuffered,
    retryBaseMs: 20,
    retryMaxMs: 250,
    shutdownTimeoutMs: 30_000
  }).pipe(Layer.provideMerge(UsageMetrics.layer), Layer.provideMerge(LedgerDatabase.layerFromSqlClient))

/** Rows, distinct request ids and rollup totals in the server's database. */
const counts = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const [row] = yield* sql<{ rows: number; distinctIds: number; rolled: number; cost: number }>`
    SELECT (SELECT count(*) FROM usage_events)::int AS rows,
      (SELECT count(DISTINCT request_id) FROM usage_events)::int AS distinct_ids,
      (SELECT coalesce(sum(requests), 0) FROM usage_rollup_minute)::int AS rolled,
      (SELECT coalesce(sum(cost_micros), 0) FROM usage_rollup_minute)::float8 AS cost`
  return row!
})

/** Polls until `check` holds (real time), failing after `attempts` × 50 ms. */
const eventually = <A>(read: Effect.Effect<A>, check: (a: A) => boolean, attempts = 400) =>
  Effect.gen(function* () {
    for (let i = 0; i < attempts; i++) {
      const value = yield* read
      if (check(value)) return value
      yield* Effect.sleep("50 millis")
    }
    return yield* Effect.dieMessage("condition never held")
  })

describe("UsageWriter with PostgreSQL stopped and restarted", () => {
  it.scopedLive(
    "loses no event and writes none twice across a real outage under load",
    () =>
      Effect.gen(function* () {
        const server = yield* ThrowawayPostgres.make
        const client = Database.layerFromUrl(server.url)
        yield* Migrations.run([ledgerMigrations]).pipe(Effect.provide(client))

        const total = 12_000
        const stats = yield* Effect.scoped(
          Effect.gen(function* () {
            const recorder = yield* UsageRecorder
            // 12 000 events at about 4 000 a second, with the server gone from ~0.5 s to ~2 s.
            const producer = yield* Effect.fork(
              Effect.gen(function* () {
                for (let i = 0; i < total; i++) {
                  recorder.record(makeEvent({ costMicros: 3, userId: `user-${i % 7}` }))
                  if (i % 40 === 39) yield* Effect.sleep("10 millis")
                }
              })
            )
            yield* eventually(recorder.stats, (s) => s.written > 500)
            yield* server.stop
            const during = yield* eventually(recorder.stats, (s) => s.lastError !== null && s.retries >= 3)
            yield* Effect.sleep("1 second")
            const stillDown = yield* recorder.stats
            yield* server.start
            yield* Fiber.join(producer)
            const recovered = yield* eventually(recorder.stats, (s) => s.written === total && s.queued === 0)
            return { during, stillDown, recovered }
          }).pipe(Effect.provide(writer(100_000).pipe(Layer.provide(client))))
        )

        // The outage was real: writes failed and events piled up in memory meanwhile.
        expect(stats.during.lastError).not.toBeNull()
        expect(stats.stillDown.queued).toBeGreaterThan(0)
        expect(stats.stillDown.written).toBeLessThan(total)
        expect(stats.recovered).toMatchObject({ written: total, queued: 0, dropped: 0, lastError: null })

        const result = yield* counts.pipe(Effect.provide(client))
        expect(result).toEqual({ rows: total, distinctIds: total, rolled: total, cost: 3 * total })
      }),
    120_000
  )

  it.scopedLive(
    "refuses events over LEDGER_MAX_BUFFERED_EVENTS loudly (stats + metric) and writes the rest",
    () =>
      Effect.gen(function* () {
        const server = yield* ThrowawayPostgres.make
        const client = Database.layerFromUrl(server.url)
        yield* Migrations.run([ledgerMigrations]).pipe(Effect.provide(client))
        const { metricsText, stats } = yield* Effect.scoped(
          Effect.gen(function* () {
            const recorder = yield* UsageRecorder
            const metrics = yield* UsageMetrics
            yield* server.stop
            for (let i = 0; i < 80; i++) recorder.record(makeEvent())
            const stats = yield* recorder.stats
            const metricsText = yield* metrics.render
            yield* server.start
            return { metricsText, stats }
          }).pipe(Effect.provide(writer(50).pipe(Layer.provide(client))))
        )
        expect(stats).toMatchObject({ queued: 50, dropped: 30 })
        expect(metricsText).toContain("switchyard_ledger_dropped_events_total 30")
        expect(metricsText).toContain("switchyard_ledger_queue_depth 50")
        const result = yield* counts.pipe(Effect.provide(client))
        expect(result).toMatchObject({ rows: 50, rolled: 50 })
      }),
    120_000
  )
})
