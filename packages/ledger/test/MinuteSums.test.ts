/**
 * The writer sums each batch's rollups itself (`MinuteSums`), and migration 0007's function adds
 * those sums when every event was new. These tests hold the two to what 0006's SQL computes from
 * the stored rows, and show which sums the function trusts and when.
 */
import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import type { UsageEvent } from "@switchyard/domain"
import { Effect } from "effect"
import { LatencyBuckets } from "../src/index.ts"
import { SUM_COLUMNS, sumMinutes } from "../src/MinuteSums.ts"
import { rollupCtes, SUMS } from "../src/migrations/0006_insert_batch_function.ts"
import { insertBatch } from "../src/UsageEventsRepo.ts"
import { ledgerTestDatabase, makeEvent } from "./events.ts"

const ROLLUP_TABLES = [
  "usage_rollup_minute",
  "usage_rollup_hour",
  "usage_error_rollup_minute",
  "usage_error_rollup_hour"
]

/** Every rollup row of every table, as text, in a stable order. */
const rollupRows = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const tables: Record<string, ReadonlyArray<string>> = {}
  for (const table of ROLLUP_TABLES) {
    const rows = yield* sql.unsafe<{ row: string }>(`SELECT t::text AS row FROM ${table} t ORDER BY 1`)
    tables[table] = rows.map((r) => r.row)
  }
  return tables
})

const truncateAll = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.unsafe(`TRUNCATE usage_events, ${ROLLUP_TABLES.join(", ")}`)
)

/** Runs an effect on one connection with the session in Asia/Kolkata (+05:30: its hours start at :30 UTC). */
const inKolkata = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.withTransaction(Effect.zipRight(sql`SET LOCAL TIME ZONE 'Asia/Kolkata'`, effect))
  )

/**
 * Every rollup table as stored, and the same tables rebuilt by 0006's SQL from the stored rows in
 * Kolkata's time zone (the rebuilt ones are left in place).
 */
const storedAndComputed = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const stored = yield* rollupRows
  yield* sql.unsafe(`TRUNCATE ${ROLLUP_TABLES.join(", ")}`)
  yield* inKolkata(sql.unsafe(`WITH ${rollupCtes("usage_events")} SELECT 1`))
  return { stored, computed: yield* rollupRows }
})

/**
 * Events that make every sum differ: statuses of each class, a stream cut after 200, no key, no
 * provider, no upstream model, estimated and streamed ones, first-token times, latencies in many
 * buckets, three minutes over two hours (a half-hour zone puts them in different hours).
 */
const variedBatch = (): Array<UsageEvent> => {
  const minutes = [
    new Date("2026-03-01T12:29:10Z"),
    new Date("2026-03-01T12:29:50Z"),
    new Date("2026-03-01T12:31:05Z"),
    new Date("2026-03-01T13:02:00Z")
  ]
  const shapes: Array<Partial<UsageEvent>> = [
    { status: 200, outcome: "success" },
    { status: 429, outcome: "rate_limited", errorType: "rate_limit_error" },
    { status: 502, outcome: "provider_error", errorType: "api_error" },
    { status: 400, outcome: "invalid_request", errorType: null },
    { status: 200, outcome: "client_abort" },
    { status: 503, outcome: "provider_error", errorType: "api_error" }
  ]
  return Array.from({ length: 96 }, (_, i) =>
    makeEvent({
      ...shapes[i % shapes.length],
      userId: i % 5 === 0 ? "user-b" : "user-a",
      apiKeyId: i % 7 === 0 ? null : `key-${i % 2}`,
      provider: i % 11 === 0 ? null : "openai",
      upstreamModel: i % 9 === 0 ? null : "gpt-4o-2024",
      requestedModel: "gpt-4o",
      stream: i % 3 === 0,
      ttftMs: i % 4 === 0 ? null : 12.345 + i,
      latencyMs: LatencyBuckets.LATENCY_BUCKET_BOUNDS_MS[i % 21]! + (i % 2) * 0.001,
      costMicros: 1000 + i,
      usage: {
        inputTokens: 100 + i,
        outputTokens: 200 + 2 * i,
        cachedInputTokens: i,
        cacheCreationTokens: 3 * i,
        reasoningTokens: i % 10,
        estimated: i % 8 === 0
      },
      createdAt: minutes[i % minutes.length]!
    })
  )
}

describe("rollups summed by the writer", () => {
  it("sums the columns the function reads, in its order", () => {
    expect(SUM_COLUMNS).toEqual(SUMS.map(([column]) => column))
  })

  it("groups events per minute and rollup key, and failed ones per status and error type", () => {
    const at = new Date("2026-03-01T12:00:30Z")
    const { errors, groups } = sumMinutes([
      makeEvent({ createdAt: at, apiKeyId: null, provider: null, upstreamModel: null, costMicros: 5 }),
      makeEvent({
        createdAt: new Date("2026-03-01T12:00:59.999Z"),
        apiKeyId: null,
        provider: null,
        upstreamModel: null,
        costMicros: 7,
        status: 502,
        outcome: "provider_error"
      }),
      makeEvent({ createdAt: new Date("2026-03-01T12:01:00Z"), costMicros: 11 })
    ])
    expect(
      groups.map(({ apiKeyId, minute, model, provider, userId }) => ({
        apiKeyId,
        minute,
        model,
        provider,
        userId
      }))
    ).toEqual([
      {
        minute: Date.parse("2026-03-01T12:00:00Z"),
        userId: "user-a",
        apiKeyId: "",
        provider: "",
        model: "gpt-4o"
      },
      {
        minute: Date.parse("2026-03-01T12:01:00Z"),
        userId: "user-a",
        apiKeyId: "key-a",
        provider: "openai",
        model: "gpt-4o"
      }
    ])
    expect(groups.map((g) => g.sums[SUM_COLUMNS.indexOf("cost_micros")])).toEqual([12, 11])
    expect(errors).toEqual([{ group: 0, status: 502, errorType: "provider_error", count: 1 }])
  })

  it.layer(ledgerTestDatabase("ledger_minute_sums"))((it) => {
    it.effect(
      "stores the same rollups as 0006's SQL computes from the stored rows, in a half-hour zone",
      () =>
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          yield* truncateAll
          const events = variedBatch()
          expect(yield* inKolkata(insertBatch(events))).toBe(events.length)
          const { computed, stored } = yield* storedAndComputed
          expect(stored).toEqual(computed)
          // The batch spans what it should: 2 users, several keys, 4 minutes, and Kolkata's hours
          // (which start at half past in UTC: 12:29 and 12:31 UTC fall in different ones).
          expect(computed["usage_rollup_minute"]!.length).toBeGreaterThan(8)
          expect(computed["usage_error_rollup_hour"]!.length).toBeGreaterThan(4)
          const hours = yield* sql<{ hour: Date }>`SELECT DISTINCT hour FROM usage_rollup_hour ORDER BY hour`
          expect(hours.map((h) => h.hour.toISOString())).toEqual([
            "2026-03-01T11:30:00.000Z",
            "2026-03-01T12:30:00.000Z"
          ])
        })
    )

    it.effect("a retried batch with new events in it counts the new ones once, in a half-hour zone", () =>
      Effect.gen(function* () {
        yield* truncateAll
        const events = variedBatch()
        const [first, rest] = [events.slice(0, 40), events.slice(40)]
        expect(yield* inKolkata(insertBatch(first))).toBe(first.length)
        // The first batch again, with the rest: 0006's statement skips the stored ids.
        expect(yield* inKolkata(insertBatch([...first, ...rest]))).toBe(rest.length)
        const { computed, stored } = yield* storedAndComputed
        expect(stored).toEqual(computed)
        expect(computed["usage_rollup_minute"]!.length).toBeGreaterThan(8)
      })
    )

    it.effect("sums that could pass 2^53 are left to PostgreSQL, which adds them exactly", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* truncateAll
        const at = new Date("2026-03-01T12:00:00Z")
        const events = [
          makeEvent({ createdAt: at, costMicros: 2 ** 53 - 1, usage: { inputTokens: 2 ** 53 - 1 } }),
          makeEvent({ createdAt: at, costMicros: 2, usage: { inputTokens: 2 } })
        ]
        expect(sumMinutes(events).exact).toBe(false)
        expect(sumMinutes(events.slice(1)).exact).toBe(true)
        expect(yield* insertBatch(events)).toBe(2)
        for (const table of ["usage_rollup_minute", "usage_rollup_hour"]) {
          const rows = yield* sql.unsafe<{ cost: string; input: string }>(
            `SELECT cost_micros::text AS cost, input_tokens::text AS input FROM ${table}`
          )
          expect(rows).toEqual([{ cost: "9007199254740993", input: "9007199254740993" }])
        }
      })
    )

    it.effect("minutes of a zone whose offset has seconds are the zone's, as 0006's SQL makes them", () =>
      Effect.gen(function* () {
        yield* truncateAll
        // In 1900 Kolkata's offset was +05:21:10: its minutes start 10 s past UTC's.
        const events = [
          makeEvent({ createdAt: new Date("1900-01-01T12:00:55Z"), costMicros: 3 }),
          makeEvent({ createdAt: new Date("1900-01-01T12:00:05Z"), costMicros: 5 })
        ]
        expect(yield* inKolkata(insertBatch(events))).toBe(2)
        const { computed, stored } = yield* storedAndComputed
        expect(stored).toEqual(computed)
        expect(computed["usage_rollup_minute"]!.length).toBe(2)
      })
    )

    it.effect("0006's function still stores a batch, for the previous release's routers", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* truncateAll
        const [row] = yield* sql<{ inserted: number }>`
          SELECT usage_insert_batch(
            ARRAY['old-router-1'], ARRAY['user-a'], ARRAY['key-a'], ARRAY['gpt-4o'], ARRAY['openai'], ARRAY['gpt-4o'],
            ARRAY['success'], ARRAY[200]::smallint[], ARRAY[NULL]::text[], ARRAY[3]::bigint[], ARRAY[4]::bigint[],
            ARRAY[0]::bigint[], ARRAY[0]::bigint[], ARRAY[0]::bigint[], ARRAY[false], ARRAY[11]::bigint[],
            ARRAY[120000]::bigint[], ARRAY[NULL]::bigint[], ARRAY[false], ARRAY['{}'],
            ARRAY['2026-03-01T12:00:00Z']::timestamptz[]) AS inserted`
        expect(row!.inserted).toBe(1)
        const rollups = yield* sql<{ requests: number; costMicros: number }>`
          SELECT requests::int, cost_micros::int FROM usage_rollup_hour`
        expect(rollups).toEqual([{ requests: 1, costMicros: 11 }])
      })
    )

    it.effect("a batch of new events adds the writer's sums; a retried one counts only its new rows", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* truncateAll
        const first = makeEvent({ costMicros: 5, createdAt: new Date("2026-03-01T12:00:00Z") })
        expect(yield* insertBatch([first])).toBe(1)
        // A retry of that event with a new one: the stored id is skipped and the rollups are
        // computed from the row actually inserted.
        const second = makeEvent({ costMicros: 7, createdAt: new Date("2026-03-01T12:00:10Z") })
        expect(yield* insertBatch([first, second])).toBe(1)
        const rows = yield* sql<{ requests: number; costMicros: number }>`
          SELECT requests::int, cost_micros::int FROM usage_rollup_minute`
        expect(rows).toEqual([{ requests: 2, costMicros: 12 }])
      })
    )

    it.effect("the function adds the sums it is sent for new events, and ignores them for a retry", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* truncateAll
        const event = makeEvent({ costMicros: 5, createdAt: new Date("2026-03-01T12:00:00Z") })
        // The writer's parameters for the event, with its cost sum replaced by 1 000 000: the
        // function trusts the sums when every event is new, so the rollup shows the sent sum.
        const call = (costSum: number) =>
          Effect.gen(function* () {
            const { groups } = sumMinutes([event])
            const sums = [...groups[0]!.sums]
            sums[SUM_COLUMNS.indexOf("cost_micros")] = costSum
            const [row] = yield* sql<{ inserted: number }>`
              SELECT usage_insert_batch_presummed(
                ARRAY[${event.requestId}], ARRAY[${event.userId}], ARRAY[${event.apiKeyId}], ARRAY[${event.requestedModel}],
                ARRAY[${event.provider}], ARRAY[${event.upstreamModel}], ARRAY[${event.outcome}], ARRAY[200]::smallint[],
                ARRAY[NULL]::text[], ARRAY[0]::bigint[], ARRAY[0]::bigint[], ARRAY[0]::bigint[], ARRAY[0]::bigint[],
                ARRAY[0]::bigint[], ARRAY[false], ARRAY[5]::bigint[], ARRAY[120000]::bigint[], ARRAY[NULL]::bigint[],
                ARRAY[false], ARRAY['{}'], ARRAY[${event.createdAt}]::timestamptz[],
                ARRAY[${event.createdAt}]::timestamptz[], ARRAY[${event.userId}], ARRAY[${groups[0]!.apiKeyId}],
                ARRAY[${groups[0]!.provider}], ARRAY[${groups[0]!.model}], ${`{{${sums.join(",")}}}`}::bigint[],
                '{}'::int[], '{}'::smallint[], '{}'::text[], '{}'::bigint[]) AS inserted`
            return row!.inserted
          })
        expect(yield* call(1_000_000)).toBe(1)
        expect(yield* call(2_000_000)).toBe(0)
        const minute = yield* sql<{ costMicros: number }>`SELECT cost_micros::int FROM usage_rollup_minute`
        const hour = yield* sql<{ costMicros: number }>`SELECT cost_micros::int FROM usage_rollup_hour`
        expect(minute).toEqual([{ costMicros: 1_000_000 }])
        expect(hour).toEqual([{ costMicros: 1_000_000 }])
      })
    )
  })
})
