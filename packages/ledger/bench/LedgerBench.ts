/**
 * `bun run bench:ledger`: analytics latency at 100 k and 10 M events, and ingest through the real
 * writer. Runs in a database of its own (`sy_bench_ledger`, dropped and created on the server of
 * `BENCH_DATABASE_URL` / `TEST_DATABASE_URL`, default 127.0.0.1:5432; dropped at the end unless
 * `--keep`), so it never touches test databases.
 */

import { mkdirSync, writeFileSync } from "node:fs"
import { cpus, loadavg } from "node:os"
import { parseArgs } from "node:util"
import { SqlClient } from "@effect/sql"
import { Database, Migrations } from "@switchyard/db"
import { Effect, Layer, Redacted } from "effect"
import { Analytics } from "../src/Analytics.ts"
import { layerFromSqlClient } from "../src/LedgerDatabase.ts"
import { ledgerMigrations } from "../src/LedgerMigrations.ts"
import { drain, paced } from "./Ingest.ts"
import { rebuildRollups, seedEvents, tableSizes } from "./Seed.ts"
import { ENDPOINTS, INTERVALS, type Timing, timeAll } from "./Timing.ts"

/** What to run. */
export interface BenchOptions {
  /** Event counts to time analytics at, ascending. */
  readonly sizes: ReadonlyArray<number>
  /** Timed calls per endpoint and interval. */
  readonly runs: number
  /** Events offered at once in the drain test. */
  readonly ingestCount: number
  /** Rate and duration of the paced test. */
  readonly pacedRate: number
  readonly pacedSeconds: number
  readonly keep: boolean
  /** Where results go (JSON). */
  readonly resultsDir: string
}

const DATABASE = "sy_bench_ledger"
const CHUNK = 1_000_000

const say = (line: string) => Effect.sync(() => console.log(line))
const fmt = (ms: number) => ms.toFixed(ms < 10 ? 2 : 1).padStart(7)

const withDatabase = (server: string, database: string) => {
  const url = new URL(server)
  url.pathname = `/${database}`
  return url.toString()
}

/** Time an effect, in seconds. */
const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const start = performance.now()
    const value = yield* effect
    return { value, seconds: (performance.now() - start) / 1000 }
  })

const admin = (server: string, statement: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(statement)).pipe(
    Effect.provide(Database.layerFromUrl(Redacted.make(server), { maxConnections: 1 }))
  )

const table = (size: number, timings: ReadonlyArray<Timing>) => {
  const users = [...new Set(timings.map((t) => t.user))]
  const lines = [
    `analytics at ${size.toLocaleString("en")} events: ms per call (p50 / p95), ${users.join(" | ")}`,
    `${"endpoint".padEnd(11)}${"interval".padEnd(9)}${users.map((u) => `${u.padStart(8)} p50     p95`).join("   ")}`
  ]
  for (const endpoint of ENDPOINTS) {
    for (const interval of INTERVALS) {
      const cells = users.map((user) => {
        const t = timings.find((x) => x.user === user && x.endpoint === endpoint && x.interval === interval)!
        return `${fmt(t.p50)} ${fmt(t.p95)}`
      })
      lines.push(`${endpoint.padEnd(11)}${interval.padEnd(9)}${cells.join("      ")}`)
    }
  }
  const worst = timings.reduce((a, b) => (b.p95 > a.p95 ? b : a))
  lines.push(`worst p95: ${worst.p95.toFixed(1)} ms (${worst.user} ${worst.endpoint} ${worst.interval})`)
  return lines.join("\n")
}

/** Runs the benchmark; returns the results it also writes to `resultsDir`. */
export const run = (options: BenchOptions) =>
  Effect.gen(function* () {
    const server =
      process.env.BENCH_DATABASE_URL ??
      process.env.TEST_DATABASE_URL ??
      "postgres://postgres@127.0.0.1:5432/postgres"
    const url = withDatabase(server, DATABASE)
    yield* say(
      `database ${DATABASE} on ${new URL(server).host} (dropped and created); load average ` +
        `${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores (other work on the machine slows every figure)`
    )
    yield* admin(server, `DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`)
    yield* admin(server, `CREATE DATABASE ${DATABASE}`)

    const client = Database.layerFromUrl(Redacted.make(url), { maxConnections: 10 })
    const ledger = Layer.fresh(Analytics.layerPg).pipe(
      Layer.provideMerge(layerFromSqlClient),
      Layer.provideMerge(client)
    )

    const body = Effect.gen(function* () {
      yield* Migrations.run([ledgerMigrations])
      const now = new Date()
      const analytics: Array<{
        size: number
        seedSeconds: number
        rollupSeconds: number
        timings: Array<Timing>
      }> = []
      let seeded = 0
      for (const size of options.sizes) {
        const seed = yield* timed(
          Effect.gen(function* () {
            while (seeded < size) {
              const last = Math.min(size, seeded + CHUNK)
              yield* seedEvents(seeded + 1, last, now)
              seeded = last
              yield* say(`  seeded ${seeded.toLocaleString("en")} events`)
            }
          })
        )
        const rollup = yield* timed(rebuildRollups)
        const sizes = yield* tableSizes
        yield* say(
          `${size.toLocaleString("en")} events: seeded in ${seed.seconds.toFixed(1)} s, rollups rebuilt in ` +
            `${rollup.seconds.toFixed(1)} s (${sizes.rollups.toLocaleString("en")} minute rows, ` +
            `${sizes.heavyRollups7d.toLocaleString("en")} of them the heavy user's)`
        )
        // `heavy`: 20 % of all events; `user-1`: one of 997 ordinary users.
        const timings = [
          ...(yield* timeAll("heavy", options.runs)),
          ...(yield* timeAll("user-1", options.runs))
        ]
        yield* say(table(size, timings))
        analytics.push({ size, seedSeconds: seed.seconds, rollupSeconds: rollup.seconds, timings })
      }

      // The writer's defaults (UsageWriter.config).
      const writerOptions = {
        batchSize: 2000,
        writers: 2,
        flushIntervalMs: 200,
        maxBuffered: 200_000,
        retryBaseMs: 100,
        retryMaxMs: 5000,
        shutdownTimeoutMs: 60_000
      }
      yield* say(
        `ingest through the writer (${writerOptions.writers} writers, batch ${writerOptions.batchSize}, ` +
          `every ${writerOptions.flushIntervalMs} ms, minute + hour rollups on), table holds ` +
          `${seeded.toLocaleString("en")} events; load average ${loadavg()[0]!.toFixed(1)}`
      )
      const drained = yield* drain(options.ingestCount, writerOptions)
      yield* say(
        `  drain: ${drained.count.toLocaleString("en")} events in ${drained.seconds.toFixed(2)} s = ` +
          `${Math.round(drained.eventsPerSecond).toLocaleString("en")} events/s ` +
          `(record() ${drained.recordNsPerEvent.toFixed(0)} ns per event; retries ${drained.stats.retries})`
      )
      const steady = yield* paced(options.pacedRate, options.pacedSeconds, writerOptions)
      yield* say(
        `  paced: ${steady.total.toLocaleString("en")} events offered at ` +
          `${Math.round(steady.offeredPerSecond).toLocaleString("en")}/s for ${options.pacedSeconds} s: ` +
          `max queue ${steady.maxQueued.toLocaleString("en")}, all written ${steady.lagAfterLastMs.toFixed(0)} ms after the last, ` +
          `dropped ${steady.stats.dropped}`
      )
      return { analytics, ingest: { writerOptions, drain: drained, paced: steady } }
    }).pipe(Effect.provide(ledger))

    const results = yield* body.pipe(
      Effect.ensuring(
        options.keep
          ? say(`kept database ${DATABASE}`)
          : admin(server, `DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`).pipe(Effect.ignore)
      )
    )
    mkdirSync(options.resultsDir, { recursive: true })
    const file = `${options.resultsDir}/ledger-${new Date().toISOString().replace(/[:.]/g, "-")}.json`
    writeFileSync(file, JSON.stringify({ options, ...results }, null, 2))
    yield* say(`results: ${file}`)
    return results
  })

/** Command-line entry: parses the options, runs, exits non-zero on failure. */
export const main = (argv: ReadonlyArray<string>, resultsDir: string) => {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      sizes: { type: "string", default: "100000,10000000" },
      runs: { type: "string", default: "30" },
      ingest: { type: "string", default: "200000" },
      rate: { type: "string", default: "20000" },
      seconds: { type: "string", default: "15" },
      keep: { type: "boolean", default: false }
    }
  })
  return Effect.runPromise(
    run({
      sizes: values.sizes
        .split(",")
        .map(Number)
        .sort((a, b) => a - b),
      runs: Number(values.runs),
      ingestCount: Number(values.ingest),
      pacedRate: Number(values.rate),
      pacedSeconds: Number(values.seconds),
      keep: values.keep,
      resultsDir
    })
  ).then(
    () => undefined,
    (error: unknown) => {
      console.error(error)
      process.exitCode = 1
    }
  )
}
