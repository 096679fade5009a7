import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Database, Migrations } from "../src/index.ts"
import { TestDatabase } from "../src/testing.ts"

const widgets = Migrations.define("widgets", {
  "0001_create_widgets": Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql`CREATE TABLE widgets (id serial PRIMARY KEY, widget_name text NOT NULL)`
  ),
  "0002_add_colour": Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql`ALTER TABLE widgets ADD COLUMN colour text`
  )
})

const EmptyDatabase = Layer.unwrapScoped(
  Effect.map(TestDatabase.createDatabase("migrations"), (url) =>
    Layer.merge(Database.layerFromUrl(url), Layer.succeed(TestDatabase.TestDatabaseUrl, url))
  )
)

describe("Migrations", () => {
  it.layer(EmptyDatabase)((it) => {
    it.effect("applies pending migrations once, and from concurrent runs without error", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        expect(yield* Migrations.isCurrent([widgets])).toBe(false)
        // Three concurrent runs on separate connections: exactly one applies the migrations.
        const url = yield* TestDatabase.TestDatabaseUrl
        const runs = yield* Effect.all(
          [1, 2, 3].map(() => Migrations.run([widgets]).pipe(Effect.provide(Database.layerFromUrl(url)))),
          { concurrency: "unbounded" }
        )
        expect(runs.flat().sort()).toEqual(["widgets/1_create_widgets", "widgets/2_add_colour"])
        expect(yield* Migrations.run([widgets])).toEqual([])
        expect(yield* Migrations.isCurrent([widgets])).toBe(true)
        yield* sql`INSERT INTO widgets ${sql.insert({ widgetName: "a", colour: "red" })}`
        const rows = yield* sql<{ widgetName: string }>`SELECT widget_name FROM widgets`
        expect(rows).toEqual([{ widgetName: "a" }])
      })
    )
  })
})
