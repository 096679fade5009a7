/**
 * `GET /health`: real checks, each named (seed 000's shape): the database answers, every
 * package's migrations are applied, the change feed listens (else revoked keys could keep
 * working), and the ledger writer keeps up. 503 naming the failing part when any fails.
 */
import { SqlClient } from "@effect/sql"
import { authMigrations, ChangeFeed } from "@switchyard/auth"
import { Migrations, responsesMigrations } from "@switchyard/db"
import { LedgerDatabase, UsageRecorder } from "@switchyard/ledger"
import { vaultMigrations } from "@switchyard/vault"
import { Cause, Context, Duration, Effect, Layer } from "effect"

/** One check's verdict: `healthy`, or what is wrong. */
export type Verdict = string

/** The report `/health` answers with. */
export interface HealthReport {
  readonly healthy: boolean
  readonly services: Readonly<Record<string, Verdict>>
}

/** Runs the health checks. */
export class HealthCheck extends Context.Tag("@switchyard/router/HealthCheck")<
  HealthCheck,
  { readonly check: Effect.Effect<HealthReport> }
>() {}

const HEALTHY = "healthy"

const verdict = (effect: Effect.Effect<Verdict, unknown>): Effect.Effect<Verdict> =>
  effect.pipe(
    Effect.timeoutFail({ duration: Duration.seconds(2), onTimeout: () => new Error("timed out after 2 s") }),
    Effect.catchAllCause((cause) => Effect.succeed(`unhealthy: ${short(Cause.pretty(cause))}`))
  )

const short = (text: string) => {
  const line = text.split("\n")[0] ?? text
  return line.length > 200 ? `${line.slice(0, 200)}…` : line
}

/** The production checks. */
export const layer = Layer.effect(
  HealthCheck,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const feed = yield* ChangeFeed
    const recorder = yield* UsageRecorder
    const ledgerSql = yield* LedgerDatabase.LedgerSql
    const check = Effect.all(
      {
        database: verdict(Effect.as(sql`SELECT 1`, HEALTHY)),
        migrations: verdict(
          Effect.gen(function* () {
            const app = yield* Migrations.isCurrent([authMigrations, vaultMigrations, responsesMigrations])
            const ledger = yield* Effect.provideService(
              LedgerDatabase.isCurrent,
              LedgerDatabase.LedgerSql,
              ledgerSql
            )
            return app && ledger ? HEALTHY : "unhealthy: migrations pending"
          }).pipe(Effect.provideService(SqlClient.SqlClient, sql))
        ),
        changeFeed: verdict(
          Effect.map(feed.transports, (transports) => {
            const state = transports.map((t) => `${t.name} ${t.listening ? "listening" : "reconnecting"}`)
            return transports.every((t) => t.listening)
              ? `${HEALTHY} (${state.join(", ")})`
              : `unhealthy: not listening for every change (${state.join(", ")})`
          })
        ),
        ledger: verdict(
          Effect.map(recorder.stats, (stats) =>
            stats.lastError === null
              ? HEALTHY
              : `degraded: ${stats.queued} events queued, last error: ${stats.lastError}`
          )
        )
      },
      { concurrency: "unbounded" }
    ).pipe(
      Effect.map((services) => ({
        healthy: Object.values(services).every((v) => !v.startsWith("unhealthy")),
        services
      }))
    )
    return { check }
  })
)

/** Always healthy (tests without a database). */
export const layerStatic = Layer.succeed(HealthCheck, {
  check: Effect.succeed({ healthy: true, services: { database: HEALTHY } })
})
