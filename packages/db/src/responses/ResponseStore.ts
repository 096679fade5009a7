/**
 * The Responses API's conversation state, per user: stored responses (`store`), the conversation a
 * `previous_response_id` continues, and output items by id (`item_reference`). Kept for
 * `RESPONSES_RETENTION_DAYS` (default 30, OpenAI's own retention; 0 keeps nothing), then no longer
 * returned and deleted by an hourly sweep. Every read is by primary key, scoped to its owner: another
 * user's id is simply not found. A database failure is an expected failure
 * (`ResponseStoreUnavailable`, 503), never a defect.
 */
import { SqlClient, type SqlError } from "@effect/sql"
import { ResponseStoreUnavailable } from "@switchyard/domain"
import { Config, Context, Duration, Effect, Layer, Option, Schedule } from "effect"
import * as ResponseStoreMemory from "./ResponseStoreMemory.ts"

/** A JSON object. */
export type JsonObject = Record<string, unknown>

/** A response as stored. */
export interface StoredResponse {
  readonly id: string
  readonly userId: string
  /** The response this one continued, if any. */
  readonly previousResponseId: string | null
  /** The turn's own input items (item references already resolved). */
  readonly input: ReadonlyArray<unknown>
  /** The Response object as the client received it. */
  readonly response: JsonObject
}

/** Longest chain of `previous_response_id` links followed when rebuilding a conversation. */
export const MAX_CHAIN = 1000

/** Most item ids looked up at once. */
export const MAX_ITEM_LOOKUP = 1000

/** Settings of the store. */
export interface ResponseStoreSettings {
  /** How long a response is kept, in milliseconds; 0 keeps nothing. */
  readonly retentionMs: number
}

/** `RESPONSES_RETENTION_DAYS` (default 30; fractions allowed; 0 keeps nothing). */
export const settingsConfig = Config.number("RESPONSES_RETENTION_DAYS").pipe(
  Config.withDefault(30),
  Config.validate({ message: "must be a number of days >= 0", validation: (days) => days >= 0 }),
  Config.map((days): ResponseStoreSettings => ({ retentionMs: Math.round(days * 86_400_000) }))
)

/** The output items of a Response object that carry an id (what `item_reference` can name). */
export const outputItems = (response: JsonObject): ReadonlyArray<{ id: string; item: unknown }> => {
  const output = response.output
  if (!Array.isArray(output)) return []
  const found: Array<{ id: string; item: unknown }> = []
  for (const item of output) {
    if (typeof item === "object" && item !== null && typeof (item as JsonObject).id === "string")
      found.push({ id: (item as JsonObject).id as string, item })
  }
  return found
}

/** The stored responses. */
export class ResponseStore extends Context.Tag("@switchyard/db/ResponseStore")<
  ResponseStore,
  {
    /** Stores a response (a second store of the same id is ignored). */
    readonly put: (response: StoredResponse) => Effect.Effect<void, ResponseStoreUnavailable>
    /** The user's response, within its retention. */
    readonly get: (
      userId: string,
      id: string
    ) => Effect.Effect<Option.Option<StoredResponse>, ResponseStoreUnavailable>
    /**
     * The conversation `id` ends: each response's input items then its output items, oldest
     * first (following `previous_response_id` while the responses are kept, at most `MAX_CHAIN`).
     * None when `id` is not one of the user's kept responses.
     */
    readonly history: (
      userId: string,
      id: string
    ) => Effect.Effect<Option.Option<ReadonlyArray<unknown>>, ResponseStoreUnavailable>
    /** Output items of the user's kept responses, by item id (the ids found). */
    readonly items: (
      userId: string,
      ids: ReadonlyArray<string>
    ) => Effect.Effect<ReadonlyMap<string, unknown>, ResponseStoreUnavailable>
    /** Deletes the user's response; false when there was none. */
    readonly remove: (userId: string, id: string) => Effect.Effect<boolean, ResponseStoreUnavailable>
    /** Deletes responses past their retention; returns how many. */
    readonly sweep: Effect.Effect<number, ResponseStoreUnavailable>
  }
>() {
  /** In process memory (tests). */
  static readonly layerMemory = (settings: ResponseStoreSettings = { retentionMs: 30 * 86_400_000 }) =>
    Layer.sync(ResponseStore, () => ResponseStoreMemory.make(settings))

  /** PostgreSQL (tables from `responsesMigrations`), with the hourly retention sweep. */
  static readonly layerPg = Layer.scoped(
    ResponseStore,
    Effect.gen(function* () {
      const store = yield* make(yield* settingsConfig)
      // The first sweep an hour after start-up: never before the migrations ran.
      yield* store.sweep.pipe(
        Effect.catchAll(() => Effect.void),
        Effect.schedule(Schedule.spaced(Duration.hours(1))),
        Effect.forkScoped
      )
      return store
    })
  )
}

interface Row {
  readonly id: string
  readonly userId: string
  readonly previousResponseId: string | null
  readonly inputItems: string
  readonly body: string
}

const parsed = (row: Row): StoredResponse => ({
  id: row.id,
  userId: row.userId,
  previousResponseId: row.previousResponseId,
  input: JSON.parse(row.inputItems) as ReadonlyArray<unknown>,
  response: JSON.parse(row.body) as JsonObject
})

/** The store over PostgreSQL. */
export const make = (settings: ResponseStoreSettings) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const unavailable = <A, R>(effect: Effect.Effect<A, SqlError.SqlError, R>) =>
      effect.pipe(
        Effect.tapError((error) => Effect.logError("responses: database call failed", error.message)),
        Effect.mapError(
          () =>
            new ResponseStoreUnavailable({
              message: "The stored responses are unavailable; try again shortly"
            })
        )
      )
    const retention = `${settings.retentionMs} milliseconds`

    const put = (response: StoredResponse) => {
      if (settings.retentionMs <= 0) return Effect.void
      const items = outputItems(response.response).map(({ id, item }) => ({
        userId: response.userId,
        itemId: id,
        responseId: response.id,
        item: JSON.stringify(item)
      }))
      return sql
        .withTransaction(
          Effect.gen(function* () {
            const inserted = yield* sql<{ id: string }>`
              INSERT INTO responses (id, user_id, previous_response_id, input_items, body, expires_at)
              VALUES (${response.id}, ${response.userId}, ${response.previousResponseId},
                      ${JSON.stringify(response.input)}, ${JSON.stringify(response.response)},
                      now() + ${retention}::interval)
              ON CONFLICT (id) DO NOTHING RETURNING id`
            if (inserted.length > 0 && items.length > 0)
              yield* sql`INSERT INTO response_items ${sql.insert(items)} ON CONFLICT DO NOTHING`
          })
        )
        .pipe(unavailable)
    }

    const get = (userId: string, id: string) =>
      sql<Row>`SELECT id, user_id, previous_response_id, input_items, body FROM responses
               WHERE id = ${id} AND user_id = ${userId} AND expires_at > now()`.pipe(
        Effect.map((rows) => Option.map(Option.fromNullable(rows[0]), parsed)),
        unavailable
      )

    const history = (userId: string, id: string) =>
      sql<{ inputItems: string; body: string }>`
        WITH RECURSIVE chain AS (
          SELECT id, previous_response_id, input_items, body, 0 AS depth FROM responses
          WHERE id = ${id} AND user_id = ${userId} AND expires_at > now()
          UNION ALL
          SELECT r.id, r.previous_response_id, r.input_items, r.body, c.depth + 1
          FROM responses r JOIN chain c ON r.id = c.previous_response_id
          WHERE r.user_id = ${userId} AND r.expires_at > now() AND c.depth < ${MAX_CHAIN - 1}
        )
        SELECT input_items, body FROM chain ORDER BY depth DESC`.pipe(
        Effect.map((rows) => {
          if (rows.length === 0) return Option.none()
          const items: Array<unknown> = []
          for (const row of rows) {
            for (const item of JSON.parse(row.inputItems) as Array<unknown>) items.push(item)
            const output = (JSON.parse(row.body) as JsonObject).output
            if (Array.isArray(output)) for (const item of output) items.push(item)
          }
          return Option.some(items as ReadonlyArray<unknown>)
        }),
        unavailable
      )

    const items = (userId: string, ids: ReadonlyArray<string>) => {
      if (ids.length === 0) return Effect.succeed(new Map<string, unknown>() as ReadonlyMap<string, unknown>)
      return sql<{ itemId: string; item: string }>`
        SELECT i.item_id, i.item FROM response_items i JOIN responses r ON r.id = i.response_id
        WHERE i.user_id = ${userId} AND i.item_id IN ${sql.in(ids.slice(0, MAX_ITEM_LOOKUP))}
          AND r.expires_at > now()`.pipe(
        Effect.map(
          (rows) =>
            new Map(rows.map((row) => [row.itemId, JSON.parse(row.item) as unknown])) as ReadonlyMap<
              string,
              unknown
            >
        ),
        unavailable
      )
    }

    const remove = (userId: string, id: string) =>
      sql<{ id: string }>`DELETE FROM responses WHERE id = ${id} AND user_id = ${userId}
                          AND expires_at > now() RETURNING id`.pipe(
        Effect.map((rows) => rows.length > 0),
        unavailable
      )

    // In slices, so one sweep never holds a long lock over a large backlog.
    const sweep = Effect.gen(function* () {
      let total = 0
      for (;;) {
        const rows = yield* sql<{ id: string }>`
          DELETE FROM responses WHERE id IN (
            SELECT id FROM responses WHERE expires_at <= now() LIMIT 1000
          ) RETURNING id`
        total += rows.length
        if (rows.length < 1000) return total
      }
    }).pipe(unavailable)

    return ResponseStore.of({ put, get, history, items, remove, sweep })
  })
