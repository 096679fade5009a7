/**
 * Ingest through the real writer (`UsageRecorder.layerPgWith`, rollups maintained in the same
 * statement), two ways:
 * - drain: `count` events offered at once; events/s = count / time until all are committed;
 * - paced: events offered at `rate`/s for `seconds`; the queue must stay bounded (max depth and
 *   the lag after the last event are reported).
 */
import type { UsageEvent } from "@switchyard/domain"
import { Effect, Layer } from "effect"
import { UsageMetrics } from "../src/UsageMetrics.ts"
import { UsageRecorder } from "../src/UsageRecorder.ts"
import type { WriterOptions } from "../src/UsageWriter.ts"

const MODELS = [
  ["openai", "gpt-4o"],
  ["anthropic", "claude-sonnet-4-5"],
  ["google", "gemini-2.5-flash"],
  ["xai", "grok-4"]
] as const

let sequence = 0

/** A realistic event with a fresh request id. */
const event = (i: number): UsageEvent => {
  const [provider, model] = MODELS[i % MODELS.length]!
  sequence++
  return {
    requestId: `ingest-${process.pid}-${sequence}`,
    userId: `user-${i % 500}`,
    apiKeyId: `key-${i % 3}`,
    requestedModel: model,
    provider,
    upstreamModel: model,
    outcome: i % 20 === 0 ? "provider_error" : "success",
    status: i % 20 === 0 ? 502 : 200,
    errorType: i % 20 === 0 ? "api_error" : null,
    usage: {
      inputTokens: 1000 + (i % 900),
      outputTokens: 200 + (i % 300),
      cachedInputTokens: i % 400,
      cacheCreationTokens: i % 50,
      reasoningTokens: i % 100,
      estimated: false
    },
    costMicros: 1500 + (i % 1000),
    latencyMs: 300 + (i % 4000),
    ttftMs: i % 2 === 0 ? 120 + (i % 300) : null,
    stream: i % 2 === 0,
    droppedFields: [],
    createdAt: new Date()
  }
}

const writer = (options: WriterOptions) =>
  UsageRecorder.layerPgWith(options).pipe(Layer.provideMerge(UsageMetrics.layer))

/** Offers `count` events at once and waits until all are written; returns events/s. */
export const drain = (count: number, options: WriterOptions) =>
  Effect.scoped(
    Effect.gen(function* () {
      const events = Array.from({ length: count }, (_, i) => event(i))
      const recorder = yield* UsageRecorder
      const start = performance.now()
      const recordStart = performance.now()
      for (const e of events) recorder.record(e)
      const recordNs = ((performance.now() - recordStart) * 1e6) / count
      while ((yield* recorder.stats).written < count) yield* Effect.sleep("5 millis")
      const seconds = (performance.now() - start) / 1000
      const stats = yield* recorder.stats
      return { count, seconds, eventsPerSecond: count / seconds, recordNsPerEvent: recordNs, stats }
    }).pipe(Effect.provide(writer({ ...options, maxBuffered: Math.max(options.maxBuffered, count) })))
  )

/** Offers events at `rate` per second for `seconds`; reports queue depth and the final lag. */
export const paced = (rate: number, seconds: number, options: WriterOptions) =>
  Effect.scoped(
    Effect.gen(function* () {
      const recorder = yield* UsageRecorder
      const tickMs = 10
      const perTick = Math.round((rate * tickMs) / 1000)
      const total = perTick * Math.round((seconds * 1000) / tickMs)
      let offered = 0
      let maxQueued = 0
      const start = performance.now()
      while (offered < total) {
        // Catch up to the schedule (timers are coarse), never run ahead of it.
        const due = Math.min(total, Math.floor(((performance.now() - start) / tickMs) * perTick))
        while (offered < due) recorder.record(event(offered++))
        maxQueued = Math.max(maxQueued, (yield* recorder.stats).queued)
        yield* Effect.sleep(`${tickMs} millis`)
      }
      const offeredSeconds = (performance.now() - start) / 1000
      const doneAt = performance.now()
      while ((yield* recorder.stats).written < total) yield* Effect.sleep("5 millis")
      const lagMs = performance.now() - doneAt
      return {
        rate,
        total,
        offeredPerSecond: total / offeredSeconds,
        maxQueued,
        lagAfterLastMs: lagMs,
        stats: yield* recorder.stats
      }
    }).pipe(Effect.provide(writer(options)))
  )
