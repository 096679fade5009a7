/**
 * Where the router hands one usage event per request. `record` never waits for a database: the
 * PostgreSQL layer queues the event and a background writer batches it (see `UsageWriter.ts`).
 *
 * The caller fills `costMicros` (with `Pricing.cost`), because the router needs the cost anyway for
 * spend budgets; the ledger stores what it is given.
 *
 * Every layer also feeds `UsageMetrics`, so one `record` call updates both.
 */
import type { UsageEvent } from "@switchyard/domain"
import { type ConfigError, Context, Effect, Layer } from "effect"
import type { LedgerSql } from "./LedgerDatabase.ts"
import { type LedgerStats, UsageMetrics } from "./UsageMetrics.ts"
import * as UsageWriter from "./UsageWriter.ts"

/** Accepts usage events. */
export class UsageRecorder extends Context.Tag("@switchyard/ledger/UsageRecorder")<
  UsageRecorder,
  {
    /**
     * Accepts one event and returns at once: plain code, so the router's hot path runs no effect
     * per request (in an effect: `Effect.sync(() => recorder.record(event))`). Idempotent on
     * `requestId` once written.
     */
    readonly record: (event: UsageEvent) => void
    /** The writer's counters (also in `/metrics` and `/health`). */
    readonly stats: Effect.Effect<LedgerStats>
  }
>() {
  /**
   * The batching PostgreSQL writer (configured by `LEDGER_*` variables, see `UsageWriter.config`).
   * Flushes what it holds when its scope closes.
   */
  static readonly layerPg: Layer.Layer<UsageRecorder, ConfigError.ConfigError, LedgerSql | UsageMetrics> =
    Layer.scoped(UsageRecorder, Effect.flatMap(UsageWriter.config, UsageWriter.make))
  /** The writer with explicit options (tests, benchmarks). */
  static readonly layerPgWith = (
    options: UsageWriter.WriterOptions
  ): Layer.Layer<UsageRecorder, never, LedgerSql | UsageMetrics> =>
    Layer.scoped(UsageRecorder, UsageWriter.make(options))
  /** Keeps events in memory (fast tests); read them back through `RecordedUsage`. */
  static readonly layerMemory: Layer.Layer<UsageRecorder | RecordedUsage, never, UsageMetrics> =
    Layer.effectContext(
      Effect.gen(function* () {
        const metrics = yield* UsageMetrics
        const events = new Map<string, UsageEvent>()
        const stats = (): LedgerStats => ({
          queued: 0,
          written: events.size,
          retries: 0,
          failedBatches: 0,
          dropped: 0,
          deadLettered: 0,
          lastError: null
        })
        metrics.attachLedger(stats)
        const record = (event: UsageEvent) => {
          metrics.observe(event)
          if (!events.has(event.requestId)) events.set(event.requestId, event)
        }
        return Context.make(UsageRecorder, {
          record,
          stats: Effect.sync(stats)
        }).pipe(Context.add(RecordedUsage, { events: Effect.sync(() => [...events.values()]) }))
      })
    )
}

/** The events the in-memory recorder holds, in arrival order (one per request id). */
export class RecordedUsage extends Context.Tag("@switchyard/ledger/RecordedUsage")<
  RecordedUsage,
  { readonly events: Effect.Effect<ReadonlyArray<UsageEvent>> }
>() {}
