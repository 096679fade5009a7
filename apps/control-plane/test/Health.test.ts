import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import pg from "pg"
import { call, Server, serverLayer } from "./harness.ts"

const sql = (url: string, text: string) =>
  Effect.acquireUseRelease(
    Effect.promise(async () => {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      return client
    }),
    (client) => Effect.promise(() => client.query(text)),
    (client) => Effect.promise(() => client.end())
  )

describe("GET /health", () => {
  layer(serverLayer("cp_health"), { excludeTestServices: true })((it) => {
    it.effect("503 naming the failing part when a migration is missing, 200 again once it is back", () =>
      Effect.gen(function* () {
        const { databaseUrl } = yield* Server
        expect((yield* call("GET", "/health")).status).toBe(200)
        yield* sql(
          databaseUrl!,
          // The auth package's latest migration looks as if it never ran.
          "UPDATE auth_migrations SET migration_id = -migration_id WHERE migration_id = (SELECT max(migration_id) FROM auth_migrations)"
        )
        const sick = yield* call("GET", "/health")
        expect(sick.status).toBe(503)
        expect(sick.body).toMatchObject({ _tag: "Unhealthy", status: "unhealthy", failing: ["migrations"] })
        expect(sick.body.message).toContain("migrations")
        expect(sick.body.checks.database.ok).toBe(true)
        yield* sql(
          databaseUrl!,
          "UPDATE auth_migrations SET migration_id = -migration_id WHERE migration_id < 0"
        )
        expect((yield* call("GET", "/health")).status).toBe(200)
      })
    )
  })
})
