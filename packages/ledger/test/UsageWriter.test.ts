import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Clock, ConfigProvider, Effect, Layer } from "effect"
import { UsageMetrics, UsageRecorder } from "../src/index.ts"
import { insertBatch } from "../src/UsageEventsRepo.ts"
import { config } from "../src/UsageWriter.ts"
import { ledgerTestDatabase, makeEvent } from "./events.ts"

const options = {
  batchSize: 50,
  flushIntervalMs: 20,
  maxBuffered: 10_000,
  retryBaseMs: 10,
  retryMaxMs: 100,
  shutdownTimeoutMs: 10_000
}

/** Raw rows and rollup sums that must agree. */
const totals = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const [raw] = yield* sql<{ n: number; cost: number; input: number; errors: number }>`
    SELECT count(*)::int AS n, coalesce(sum(cost_micros), 0)::float8 AS cost,
      coalesce(sum(input_tokens), 0)::float8 AS input,
      count(*) FILTER (WHERE status >= 400 OR outcome <> 'success')::int AS errors
    FROM usage_events`
  const [rolled] = yield* sql<{ n: number; cost: number; input: number; errors: number }>`
    SELECT coalesce(sum(requests), 0)::int AS n, coalesce(sum(cost_micros), 0)::float8 AS cost,
      coalesce(sum(input_tokens), 0)::float8 AS input, coalesce(sum(error_count), 0)::int AS errors
    FROM usage_rollup_minute`
  const [errorRolled] = yield* sql<{ errors: number }>`
    SELECT coalesce(sum(count), 0)::int AS errors FROM usage_error_rollup_minute`
  // The hourly rollups hold exactly the same totals.
  const [hourly] = yield* sql<{ n: number; cost: number; input: number; errors: number }>`
    SELECT coalesce(sum(requests), 0)::int AS n, coalesce(sum(cost_micros), 0)::float8 AS cost,
      coalesce(sum(input_tokens), 0)::float8 AS input, coalesce(sum(error_count), 0)::int AS errors
    FROM usage_rollup_hour`
  const [hourlyErrors] = yield* sql<{ errors: number }>`
    SELECT coalesce(sum(count), 0)::int AS errors FROM usage_error_rollup_hour`
  expect(hourly).toEqual(rolled)
  expect(hourlyErrors!.errors).toBe(errorRolled!.errors)
  return { raw: raw!, rolled: rolled!, errorRolled: errorRolled!.errors }
})

/** The writer's options as the environment `env` gives them. */
const configFrom = (env: Record<string, string>) =>
  Effect.withConfigProvider(config, ConfigProvider.fromMap(new Map(Object.entries(env))))

describe("UsageWriter options", () => {
  it.effect("default when unset, read when set", () =>
    Effect.gen(function* () {
      expect(yield* configFrom({})).toEqual({
        batchSize: 2000,
        flushIntervalMs: 200,
        maxBuffered: 200_000,
        retryBaseMs: 100,
        retryMaxMs: 5000,
        shutdownTimeoutMs: 15_000,
        writers: 2
      })
      expect(
        yield* configFrom({ LEDGER_FLUSH_INTERVAL_MS: "50", LEDGER_SHUTDOWN_TIMEOUT_MS: "0" })
      ).toMatchObject({
        flushIntervalMs: 50,
        shutdownTimeoutMs: 0
      })
    })
  )

  it.effect("refuses a value out of range, naming the variable", () =>
    Effect.gen(function* () {
      for (const [name, value] of [
        ["LEDGER_FLUSH_INTERVAL_MS", "0"],
        ["LEDGER_BATCH_SIZE", "0"],
        ["LEDGER_WRITERS", "-1"],
        ["LEDGER_SHUTDOWN_TIMEOUT_MS", "-5"]
      ] as const) {
        const error = yield* Effect.flip(configFrom({ [name]: value }))
        expect(String(error)).toContain(`${name} must be at least`)
      }
      // Not a whole number at all: refused too, not defaulted.
      const error = yield* Effect.flip(configFrom({ LEDGER_FLUSH_INTERVAL_MS: "fast" }))
      expect(String(error)).toContain("LEDGER_FLUSH_INTERVAL_MS")
    })
  )
})

describe("UsageWriter", () => {
  it.layer(ledgerTestDatabase("ledger_writer"))((it) => {
    it.effect("a batch stored twice (a retry after a lost commit) leaves one row and unchanged rollups", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql`TRUNCATE usage_events, usage_rollup_minute, usage_error_rollup_minute, usage_rollup_hour, usage_error_rollup_hour`
        const batch = [
          makeEvent({ usage: { inputTokens: 10 }, costMicros: 25 }),
          makeEvent({ usage: { inputTokens: 20 }, costMicros: 50, status: 502, outcome: "provider_error" }),
          makeEvent({
            usage: { inputTokens: 30 },
            costMicros: 75,
            errorType: "rate_limit_error",
            status: 429
          })
        ]
        expect(yield* insertBatch(batch)).toBe(3)
        const first = yield* totals
        expect(yield* insertBatch(batch)).toBe(0)
        // The same request ids again inside a larger batch: only the new one counts.
        expect(yield* insertBatch([...batch, makeEvent({ usage: { inputTokens: 1 }, costMicros: 1 })])).toBe(
          1
        )
        const after = yield* totals
        expect(first.raw).toEqual({ n: 3, cost: 150, input: 60, errors: 2 })
        expect(first.rolled).toEqual(first.raw)
        expect(first.errorRolled).toBe(2)
        expect(after.raw).toEqual({ n: 4, cost: 151, input: 61, errors: 2 })
        expect(after.rolled).toEqual(after.raw)
        expect(after.errorRolled).toBe(2)
      })
    )

    it.effect("a batch that repeats a request id stores it once", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql`TRUNCATE usage_events, usage_rollup_minute, usage_error_rollup_minute, usage_rollup_hour, usage_error_rollup_hour`
        const event = makeEvent({ costMicros: 7 })
        expect(yield* insertBatch([event, event, { ...event, costMicros: 9 }])).toBe(1)
        const { raw, rolled } = yield* totals
        expect(raw).toEqual({ n: 1, cost: 7, input: 0, errors: 0 })
        expect(rolled).toEqual(raw)
      })
    )

    it.effect("stores text that array literals must escape exactly as it was sent", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql`TRUNCATE usage_events, usage_rollup_minute, usage_error_rollup_minute, usage_rollup_hour, usage_error_rollup_hour`
        // Quotes, backslashes, commas, braces, spaces at the edges, the word NULL, an empty string,
        // a surrogate pair: each means something in PostgreSQL's array syntax or its encoding.
        const awkward = [' a "quoted", {braced} \\back\\slashed\\ model ', "NULL", "", "emoji 😀 ✓", "{}"]
        const events = awkward.map((text, i) =>
          makeEvent({
            userId: `user "${i}"`,
            requestedModel: text,
            upstreamModel: i === 2 ? null : text,
            errorType: text,
            droppedFields: [text, "top_k", 'a,"b"']
          })
        )
        expect(yield* insertBatch(events)).toBe(events.length)
        const rows = yield* sql<{
          requestId: string
          userId: string
          requestedModel: string
          upstreamModel: string | null
          errorType: string
          droppedFields: Array<string>
        }>`
          SELECT request_id, user_id, requested_model, upstream_model, error_type, dropped_fields FROM usage_events`
        const byId = new Map(rows.map((row) => [row.requestId, row]))
        for (const event of events) {
          expect(byId.get(event.requestId)).toEqual({
            requestId: event.requestId,
            userId: event.userId,
            requestedModel: event.requestedModel,
            upstreamModel: event.upstreamModel,
            errorType: event.errorType,
            droppedFields: event.droppedFields
          })
        }
        // The upstream model names the rollup row; the empty one falls back to the requested "".
        const models = yield* sql<{ model: string }>`SELECT model FROM usage_rollup_hour ORDER BY model`
        expect(models.map((m) => m.model)).toEqual([...awkward].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
      })
    )

    it.effect("keeps token classes, flags and dropped fields apart in rows and rollups", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql`TRUNCATE usage_events, usage_rollup_minute, usage_error_rollup_minute, usage_rollup_hour, usage_error_rollup_hour`
        const at = new Date("2026-01-02T03:04:05.678Z")
        const usage = {
          inputTokens: 11,
          outputTokens: 22,
          cachedInputTokens: 33,
          cacheCreationTokens: 44,
          reasoningTokens: 5,
          estimated: true
        }
        const event = makeEvent({
          usage,
          createdAt: at,
          stream: true,
          ttftMs: 12.5,
          latencyMs: 345.678,
          droppedFields: ["cache_control", "top_k"],
          apiKeyId: null
        })
        yield* insertBatch([event])
        const [row] = yield* sql<Record<string, unknown>>`
          SELECT input_tokens::int, output_tokens::int, cached_input_tokens::int, cache_creation_tokens::int,
            reasoning_tokens::int, estimated, stream, latency_us::int, ttft_us::int, dropped_fields, created_at
          FROM usage_events WHERE request_id = ${event.requestId}`
        expect(row).toEqual({
          inputTokens: 11,
          outputTokens: 22,
          cachedInputTokens: 33,
          cacheCreationTokens: 44,
          reasoningTokens: 5,
          estimated: true,
          stream: true,
          latencyUs: 345678,
          ttftUs: 12500,
          droppedFields: ["cache_control", "top_k"],
          createdAt: at
        })
        const [rollup] = yield* sql<Record<string, unknown>>`
          SELECT minute, api_key_id, input_tokens::int, output_tokens::int, cached_input_tokens::int,
            cache_creation_tokens::int, reasoning_tokens::int, estimated_count::int, stream_count::int,
            ttft_count::int, ttft_sum_us::int, latency_sum_us::int, lat_b05::int
          FROM usage_rollup_minute`
        expect(rollup).toEqual({
          minute: new Date("2026-01-02T03:04:00.000Z"),
          apiKeyId: "",
          inputTokens: 11,
          outputTokens: 22,
          cachedInputTokens: 33,
          cacheCreationTokens: 44,
          reasoningTokens: 5,
          estimatedCount: 1,
          streamCount: 1,
          ttftCount: 1,
          ttftSumUs: 12500,
          latencySumUs: 345678,
          // 345.678 ms falls in (300, 500]: the 7th bucket, index 6 — so index 5 is empty.
          latB05: 0
        })
      })
    )

    it.effect(
      "writes every recorded event once, in batches, and flushes the rest when its scope closes",
      () =>
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          yield* sql`TRUNCATE usage_events, usage_rollup_minute, usage_error_rollup_minute, usage_rollup_hour, usage_error_rollup_hour`
          const events = Array.from({ length: 537 }, (_, i) =>
            makeEvent({ costMicros: i, userId: `user-${i % 13}` })
          )
          const stats = yield* Effect.scoped(
            Effect.gen(function* () {
              const recorder = yield* UsageRecorder
              for (const event of events) recorder.record(event)
              // Recording the same request twice does not write it twice.
              for (const event of events.slice(0, 40)) recorder.record(event)
              return recorder.stats
            }).pipe(
              Effect.provide(
                UsageRecorder.layerPgWith({ ...options, flushIntervalMs: 60_000 }).pipe(
                  Layer.provideMerge(UsageMetrics.layer)
                )
              )
            )
          )
          const { raw, rolled } = yield* totals
          const expectedCost = (536 * 537) / 2
          expect(raw).toEqual({ n: 537, cost: expectedCost, input: 0, errors: 0 })
          expect(rolled).toEqual(raw)
          expect(yield* stats).toMatchObject({ queued: 0, written: 537, dropped: 0, lastError: null })
        })
    )
    it.effect("writes partial batches on every flush tick, and a full batch without waiting for one", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql`TRUNCATE usage_events, usage_rollup_minute, usage_error_rollup_minute, usage_rollup_hour, usage_error_rollup_hour`
        const stored = Effect.map(
          sql<{ n: number }>`SELECT count(*)::int AS n FROM usage_events`,
          ([row]) => row!.n
        )
        /** True once `n` rows are stored, false if they are not within 5 s (the writer's scope still open). */
        const storedSoon = (n: number) =>
          Effect.gen(function* () {
            for (let waited = 0; waited < 5_000; waited += 10) {
              if ((yield* stored) >= n) return true
              yield* Effect.sleep("10 millis")
            }
            return false
          })
        const recording = <A, E, R>(
          flushIntervalMs: number,
          use: (recorder: UsageRecorder["Type"]) => Effect.Effect<A, E, R>
        ) =>
          Effect.scoped(
            Effect.flatMap(UsageRecorder, use).pipe(
              Effect.provide(
                UsageRecorder.layerPgWith({ ...options, batchSize: 4, flushIntervalMs }).pipe(
                  Layer.provideMerge(UsageMetrics.layer)
                )
              )
            )
          )
        // Partial batches, one after the other, in two shards: each tick writes what is waiting.
        const ticked = yield* recording(100, (recorder) =>
          Effect.forEach([1, 2, 3], (n) => {
            recorder.record(makeEvent({ userId: `user-${n}` }))
            return storedSoon(n)
          })
        )
        expect(ticked).toEqual([true, true, true])
        // With the next tick a minute away, only a full batch's wake-up can write it in time (once
        // the loops wait: a loop that starts with a full batch writes it straight away).
        const woken = yield* recording(60_000, (recorder) =>
          Effect.zipRight(
            Effect.sleep("200 millis"),
            Effect.suspend(() => {
              for (let i = 0; i < 4; i++) recorder.record(makeEvent({ userId: "user-9" }))
              return storedSoon(7)
            })
          )
        )
        expect(woken).toBe(true)
      }).pipe(
        // Real time: the writer's ticks and this test's polling sleep on the clock.
        Effect.withClock(Clock.make())
      )
    )
  })
})
