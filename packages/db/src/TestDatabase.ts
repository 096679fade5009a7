/**
 * A fresh, migrated PostgreSQL database per test suite, so suites never see each other's rows and
 * can run in parallel. The server comes from `TEST_DATABASE_URL` (the root `bun run test` sets it
 * after finding 127.0.0.1:5432 or starting an embedded server), else 127.0.0.1:5432/test.
 */
import { Config, Context, Effect, Layer, Redacted } from "effect"
import pg from "pg"
import * as Database from "./Database.ts"
import * as Migrations from "./Migrations.ts"

/** The connection string of the suite's own database (for pools a library opens itself). */
export class TestDatabaseUrl extends Context.Tag("@switchyard/db/TestDatabaseUrl")<
  TestDatabaseUrl,
  Redacted.Redacted<string>
>() {}

/** The server tests run against. */
export const serverUrl = Config.string("TEST_DATABASE_URL").pipe(
  Config.withDefault("postgres://postgres@127.0.0.1:5432/test")
)

const withDatabase = (url: string, database: string) => {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

const adminQuery = (url: string, text: string) =>
  Effect.acquireUseRelease(
    Effect.promise(async () => {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      return client
    }),
    (client) => Effect.promise(() => client.query(text)),
    (client) => Effect.promise(() => client.end())
  )

/** Creates an empty database named after the suite; drops it when the scope closes. */
export const createDatabase = (suite: string) =>
  Effect.gen(function* () {
    const server = yield* serverUrl
    const name = `sy_${suite.replace(/[^a-z0-9]/gi, "_").toLowerCase()}_${crypto.randomUUID().slice(0, 8)}`
    yield* Effect.acquireRelease(adminQuery(server, `CREATE DATABASE "${name}"`), () =>
      adminQuery(server, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).pipe(Effect.ignore)
    )
    return Redacted.make(withDatabase(server, name))
  })

/**
 * A migrated database of its own for one suite: provides `SqlClient`, `PgClient` and the
 * database's URL.
 */
export const layer = (suite: string, packages: ReadonlyArray<Migrations.PackageMigrations>) =>
  Layer.unwrapScoped(
    Effect.gen(function* () {
      const url = yield* createDatabase(suite)
      const client = Database.layerFromUrl(url, { maxConnections: 5 })
      const migrated = Layer.effectDiscard(Migrations.run(packages)).pipe(Layer.provide(client))
      return Layer.mergeAll(client, migrated, Layer.succeed(TestDatabaseUrl, url))
    })
  ).pipe(Layer.orDie)
