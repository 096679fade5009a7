/**
 * `GET /health`: the database answers, every migration is applied, the change feed listens (on
 * each of its transports, named in the detail).
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { SqlClient } from "@effect/sql"
import { ChangeFeed } from "@switchyard/auth"
import { Migrations } from "@switchyard/db"
import { ControlPlaneApi, Healthy, Unhealthy } from "@switchyard/domain"
import { Effect } from "effect"
import { AppMigrations } from "../ControlPlaneMigrations.ts"

type Check = { readonly ok: boolean; readonly detail?: string }

const failed = (detail: string): Check => ({ ok: false, detail })

/** The health group. */
export const HealthLive = HttpApiBuilder.group(ControlPlaneApi, "health", (handlers) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const migrations = yield* AppMigrations
    const feed = yield* ChangeFeed
    const bounded = <A, E>(effect: Effect.Effect<A, E>) =>
      effect.pipe(Effect.timeoutFail({ duration: "2 seconds", onTimeout: () => new Error("timed out") }))

    return handlers.handle("health", () =>
      Effect.gen(function* () {
        const database = yield* bounded(sql`SELECT 1`).pipe(
          Effect.as<Check>({ ok: true }),
          Effect.catchAll(() => Effect.succeed(failed("the database does not answer")))
        )
        const migrated: Check = !database.ok
          ? failed("unknown: the database does not answer")
          : yield* bounded(
              Effect.provideService(Migrations.isCurrent(migrations), SqlClient.SqlClient, sql)
            ).pipe(
              Effect.map(
                (current): Check => (current ? { ok: true } : failed("pending migrations; restart to apply"))
              ),
              Effect.catchAll(() => Effect.succeed(failed("could not read the migration tables")))
            )
        const transports = yield* feed.transports
        const state = transports
          .map((t) => `${t.name} ${t.listening ? "listening" : "reconnecting"}`)
          .join(", ")
        const changeFeed: Check = transports.every((t) => t.listening)
          ? { ok: true, detail: state }
          : failed(`not listening for every key and secret change (${state})`)
        const checks = { database, migrations: migrated, changeFeed }
        const failing = Object.entries(checks)
          .filter(([, check]) => !check.ok)
          .map(([name]) => name)
        if (failing.length === 0) return new Healthy({ status: "ok", checks })
        return yield* new Unhealthy({
          status: "unhealthy",
          message: `Unhealthy: ${failing.map((name) => `${name} (${checks[name as keyof typeof checks].detail})`).join(", ")}`,
          failing,
          checks
        })
      })
    )
  })
)
