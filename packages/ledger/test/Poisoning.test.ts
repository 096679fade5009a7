/**
 * One bad usage event must not stop the ledger: against real PostgreSQL, events PostgreSQL refuses
 * (NUL in the model, a model too large for the rollup index, fractional and negative token counts)
 * are isolated into `usage_dead_letters` with the reason, and every other event — another user's
 * later ones included, on the same writer shard — is written with its rollups.
 */
import { randomBytes } from "node:crypto"
import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import type { UsageEvent } from "@switchyard/domain"
import { Effect, Layer } from "effect"
import { UsageMetrics, UsageRecorder } from "../src/index.ts"
import { ledgerTestDatabase, makeEvent } from "./events.ts"

/** 8 000 characters that do not compress (a repeated letter would fit the index compressed). */
const hugeModel = randomBytes(6000).toString("base64")

const writer = UsageRecorder.layerPgWith({
  batchSize: 50,
  flushIntervalMs: 60_000,
  maxBuffered: 10_000,
  retryBaseMs: 10,
  retryMaxMs: 100,
  shutdownTimeoutMs: 20_000,
  // One shard: the attacker's and the victim's events share the writer that would be poisoned.
  writers: 1
})

describe("UsageWriter against poisoned events", () => {
  it.layer(ledgerTestDatabase("ledger_poison"))((it) => {
    it.effect("dead-letters the bad rows and writes everyone else's", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const poisoned = [
          makeEvent({ userId: "attacker", requestedModel: "gpt\u0000-4o", upstreamModel: "gpt\u0000-4o" }),
          makeEvent({ userId: "attacker", requestedModel: hugeModel, upstreamModel: hugeModel }),
          makeEvent({ userId: "attacker", usage: { inputTokens: 1.5 } }),
          makeEvent({ userId: "attacker", usage: { outputTokens: -40 } }),
          // A lone surrogate has no UTF-8 form: refused, never stored as U+FFFD.
          makeEvent({ userId: "attacker", requestedModel: "gpt-\uD800-4o", upstreamModel: null }),
          makeEvent({ userId: "attacker", droppedFields: ["top_k", "x\uDC00"] }),
          makeEvent({ userId: "attacker", createdAt: new Date(Number.NaN) })
        ]
        const good = [
          ...Array.from({ length: 30 }, (_, i) => makeEvent({ userId: "attacker", costMicros: i })),
          ...Array.from({ length: 70 }, (_, i) => makeEvent({ userId: "victim", costMicros: 1000 + i }))
        ]
        const metricsText = yield* Effect.scoped(
          Effect.gen(function* () {
            const recorder = yield* UsageRecorder
            // The poison first, then the others' later events, interleaved over two batches.
            for (const event of poisoned) recorder.record(event)
            for (const event of good) recorder.record(event)
            return yield* Effect.flatMap(UsageMetrics, (m) => m.render)
          }).pipe(Effect.provide(writer.pipe(Layer.provideMerge(UsageMetrics.layer))))
        )
        expect(metricsText).toContain("switchyard_ledger_dead_letter_events_total")

        const rows = yield* sql<{ userId: string; n: number; cost: number }>`
          SELECT user_id, count(*)::int AS n, sum(cost_micros)::float8 AS cost FROM usage_events
          GROUP BY user_id ORDER BY user_id`
        expect(rows).toEqual([
          { userId: "attacker", n: 30, cost: (29 * 30) / 2 },
          { userId: "victim", n: 70, cost: 70 * 1000 + (69 * 70) / 2 }
        ])
        const [rolled] = yield* sql<{ n: number }>`SELECT sum(requests)::int AS n FROM usage_rollup_minute`
        expect(rolled!.n).toBe(100)

        const letters = yield* sql<{ requestId: string; userId: string; reason: string; sqlstate: string }>`
          SELECT request_id, user_id, reason, sqlstate FROM usage_dead_letters ORDER BY id`
        expect(letters.map((l) => l.requestId).sort()).toEqual(poisoned.map((e) => e.requestId).sort())
        expect(letters.every((l) => l.userId === "attacker" && l.reason.length > 0)).toBe(true)
        const byId = new Map(letters.map((l) => [l.requestId, l]))
        // NUL: invalid byte sequence (22021); index row too large (54000); bigint syntax (22P02);
        // the counts CHECK (23514).
        expect(byId.get(poisoned[0]!.requestId)!.sqlstate).toMatch(/^22/)
        expect(byId.get(poisoned[1]!.requestId)!.sqlstate).toMatch(/^54/)
        expect(byId.get(poisoned[2]!.requestId)!.sqlstate).toMatch(/^22/)
        expect(byId.get(poisoned[3]!.requestId)!.sqlstate).toBe("23514")
        expect(byId.get(poisoned[4]!.requestId)!.sqlstate).toMatch(/^22/)
        expect(byId.get(poisoned[5]!.requestId)!.sqlstate).toMatch(/^22/)
        expect(byId.get(poisoned[6]!.requestId)!.sqlstate).toMatch(/^22/)
      })
    )

    it.effect("dead-letters an event of the wrong shape instead of stopping its shard", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql`TRUNCATE usage_events, usage_dead_letters, usage_rollup_minute, usage_rollup_hour, usage_error_rollup_minute, usage_error_rollup_hour`
        // A bug before the ledger could hand it anything: encoding must not throw the writer away.
        const misshapen = {
          ...makeEvent({ userId: "buggy" }),
          droppedFields: "top_k"
        } as unknown as UsageEvent
        const notADate = {
          ...makeEvent({ userId: "buggy" }),
          createdAt: "yesterday"
        } as unknown as UsageEvent
        // Would be written as its string form ("false" as true) if it were not refused.
        const notABoolean = { ...makeEvent({ userId: "buggy" }), stream: "false" } as unknown as UsageEvent
        const stats = yield* Effect.scoped(
          Effect.gen(function* () {
            const recorder = yield* UsageRecorder
            recorder.record(makeEvent({ userId: "victim" }))
            recorder.record(misshapen)
            recorder.record(notADate)
            recorder.record(notABoolean)
            recorder.record(makeEvent({ userId: "victim" }))
            return recorder.stats
          }).pipe(Effect.provide(writer.pipe(Layer.provideMerge(UsageMetrics.layer))))
        )
        expect(yield* stats).toMatchObject({ queued: 0, written: 2, deadLettered: 3, dropped: 0 })
        const letters = yield* sql<{
          requestId: string
          userId: string
          reason: string
          sqlstate: string | null
        }>`
          SELECT request_id, user_id, reason, sqlstate FROM usage_dead_letters ORDER BY request_id`
        expect(letters).toEqual(
          (
            [
              [misshapen, "dropped_fields: expected an array"],
              [notADate, "created_at"],
              [notABoolean, "stream: expected a boolean"]
            ] as const
          )
            .map(([event, reason]) => ({
              requestId: event.requestId,
              userId: "buggy",
              reason: expect.stringContaining(`could not be encoded: ${reason}`),
              sqlstate: null
            }))
            .sort((a, b) => (a.requestId < b.requestId ? -1 : 1))
        )
        const [written] = yield* sql<{
          n: number
        }>`SELECT count(*)::int AS n FROM usage_events WHERE user_id = 'victim'`
        expect(written!.n).toBe(2)
      })
    )

    it.effect("counts dead letters in its stats and keeps no event queued", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql`TRUNCATE usage_events, usage_dead_letters, usage_rollup_minute, usage_rollup_hour, usage_error_rollup_minute, usage_error_rollup_hour`
        const stats = yield* Effect.scoped(
          Effect.gen(function* () {
            const recorder = yield* UsageRecorder
            recorder.record(makeEvent({ userId: "victim" }))
            recorder.record(makeEvent({ userId: "attacker", usage: { reasoningTokens: 0.25 } }))
            recorder.record(makeEvent({ userId: "victim" }))
            return recorder.stats
          }).pipe(Effect.provide(writer.pipe(Layer.provideMerge(UsageMetrics.layer))))
        )
        expect(yield* stats).toMatchObject({
          queued: 0,
          written: 2,
          deadLettered: 1,
          dropped: 0,
          lastError: null
        })
      })
    )
  })
})
