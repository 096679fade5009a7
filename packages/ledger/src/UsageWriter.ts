/**
 * The batching writer behind `UsageRecorder.layerPg`.
 *
 * `record` appends to an in-memory buffer and returns. The buffer is split into `writers` shards by
 * user; each shard has one background fiber that writes it in batches of up to `batchSize`, as soon
 * as a batch is full or every `flushIntervalMs`, on a connection of its own. Shards never share a
 * user, so they never update the same rollup row and cannot deadlock each other, while PostgreSQL
 * works on several batches at once.
 *
 * A batch leaves its shard only once PostgreSQL has committed it, so while the database is down
 * events accumulate (and count against `maxBuffered`, over all shards) and the same batch is
 * retried with jittered, capped exponential backoff. Retrying is safe: the insert is idempotent on
 * request id, and rollups only count rows the insert actually added.
 *
 * A batch PostgreSQL refuses for its data (`WriteFailure.rowFault`: a NUL, a value too large for
 * an index, a fractional count) is never retried as is: it is split in halves until the rows at
 * fault are alone, and those go to `usage_dead_letters` with the reason (logged, and counted in
 * `switchyard_ledger_dead_letter_events_total`); every other row is written. The router validates
 * what it records, so this is the last line, not the first.
 *
 * When the buffer is full, new events are refused, counted (`dropped`, and the
 * `switchyard_ledger_dropped_events_total` metric) and logged at error level (at most once a
 * second, with the running count): never silently.
 *
 * Closing the scope (shutdown) stops the loops and writes everything left, for at most
 * `shutdownTimeoutMs`; whatever could not be written by then is reported in the log.
 */
import type { UsageEvent } from "@switchyard/domain"
import { Cause, Config, type Context, Duration, Effect, Fiber, Queue, Runtime, Schedule } from "effect"
import { insertDeadLetter, requestIdOf } from "./DeadLetters.ts"
import type { LedgerSql } from "./LedgerDatabase.ts"
import { insertBatch, serializeEvent } from "./UsageEventsRepo.ts"
import type { LedgerStats } from "./UsageMetrics.ts"
import { UsageMetrics } from "./UsageMetrics.ts"
import type { UsageRecorder } from "./UsageRecorder.ts"
import { type RowFault, rowFault } from "./WriteFailure.ts"

/** Tuning of the writer. */
export interface WriterOptions {
  /** Most events per INSERT. */
  readonly batchSize: number
  /** Longest an event waits before a partial batch is written. */
  readonly flushIntervalMs: number
  /** Most events held in memory (queued + in flight, all shards) before new ones are refused. */
  readonly maxBuffered: number
  /** First retry delay after a failed write; doubles up to `retryMaxMs`, jittered. */
  readonly retryBaseMs: number
  readonly retryMaxMs: number
  /** Longest the final flush may take when the scope closes. */
  readonly shutdownTimeoutMs: number
  /** Batches written concurrently (shards by user); each uses one pooled connection. Default 2. */
  readonly writers?: number
}

/**
 * A whole number of at least `least` from `name`, else `fallback` when unset. A value out of range
 * stops start-up naming the variable: a flush interval of 0 would spin the writer's ticker, a
 * batch size of 0 would never write.
 */
const integerAtLeast = (name: string, least: number, fallback: number) =>
  Config.integer(name).pipe(
    Config.validate({ message: `${name} must be at least ${least}`, validation: (n) => n >= least }),
    Config.withDefault(fallback)
  )

/**
 * Options from the environment: `LEDGER_BATCH_SIZE` (2000), `LEDGER_FLUSH_INTERVAL_MS` (200),
 * `LEDGER_MAX_BUFFERED_EVENTS` (200000), `LEDGER_RETRY_BASE_MS` (100), `LEDGER_RETRY_MAX_MS`
 * (5000), `LEDGER_SHUTDOWN_TIMEOUT_MS` (15000, 0 for none), `LEDGER_WRITERS` (2).
 */
export const config: Config.Config<WriterOptions> = Config.all({
  batchSize: integerAtLeast("LEDGER_BATCH_SIZE", 1, 2000),
  flushIntervalMs: integerAtLeast("LEDGER_FLUSH_INTERVAL_MS", 1, 200),
  maxBuffered: integerAtLeast("LEDGER_MAX_BUFFERED_EVENTS", 1, 200_000),
  retryBaseMs: integerAtLeast("LEDGER_RETRY_BASE_MS", 1, 100),
  retryMaxMs: integerAtLeast("LEDGER_RETRY_MAX_MS", 1, 5000),
  shutdownTimeoutMs: integerAtLeast("LEDGER_SHUTDOWN_TIMEOUT_MS", 0, 15_000),
  writers: integerAtLeast("LEDGER_WRITERS", 1, 2)
})

/** FNV-1a: a cheap, stable spread of user ids over shards. */
const shardOf = (userId: string, shards: number) => {
  let hash = 0x811c9dc5
  for (let i = 0; i < userId.length; i++) {
    hash ^= userId.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0) % shards
}

/** Builds the writer; its loops run until the surrounding scope closes, then it flushes. */
export const make = (options: WriterOptions) =>
  Effect.gen(function* () {
    const metrics = yield* UsageMetrics
    const writers = Math.max(1, options.writers ?? 2)
    // Events are held as they came and encoded when their batch is written (`insertBatch`): about
    // 1 µs an event, so a batch of 2 000 holds this thread for some 2 ms. That thread serves no
    // request unless the router runs without its serving thread (SERVING_THREAD=main).
    const shards: Array<Array<UsageEvent>> = Array.from({ length: writers }, () => [])
    let queued = 0
    let written = 0
    let retries = 0
    let failedBatches = 0
    let dropped = 0
    let deadLettered = 0
    let lastError: string | null = null
    let closed = false
    let lastDropLog = 0
    let lastFailureLog = 0

    const stats = (): LedgerStats => ({
      queued,
      written,
      retries,
      failedBatches,
      dropped,
      deadLettered,
      lastError
    })
    metrics.attachLedger(stats)

    // Wakes a shard's loop early when a full batch is waiting; one pending wake-up is enough.
    const wakes = yield* Effect.all(shards.map(() => Queue.sliding<void>(1)))

    const retryPolicy = Schedule.exponential(Duration.millis(options.retryBaseMs)).pipe(
      Schedule.union(Schedule.spaced(Duration.millis(options.retryMaxMs))),
      Schedule.jittered
    )

    const noteFailure = (error: unknown) =>
      Effect.suspend(() => {
        retries++
        lastError = error instanceof Error ? error.message : String(error)
        // One line a second at most while the database is away.
        const now = Date.now()
        if (now - lastFailureLog < 1000) return Effect.void
        lastFailureLog = now
        return Effect.logWarning("ledger write failed; retrying", { queued, retries, error: lastError })
      })

    /** Runs a write, retrying transient failures (never row faults) with backoff until it commits. */
    const untilCommitted = <A>(write: Effect.Effect<A, unknown, LedgerSql>) =>
      write.pipe(
        Effect.tapError((error) => (rowFault(error) === undefined ? noteFailure(error) : Effect.void)),
        Effect.retry({ schedule: retryPolicy, while: (error) => rowFault(error) === undefined })
      )

    /** Stores one event PostgreSQL refused in the dead-letter table, says so in the log. */
    const deadLetter = (event: UsageEvent, fault: RowFault) => {
      const row = serializeEvent(event)
      return untilCommitted(insertDeadLetter(row, fault)).pipe(
        Effect.zipRight(
          Effect.suspend(() => {
            deadLettered++
            return Effect.logError("ledger: usage event refused by PostgreSQL, moved to usage_dead_letters", {
              requestId: requestIdOf(row),
              reason: fault.reason,
              sqlstate: fault.sqlstate,
              deadLetteredTotal: deadLettered
            })
          })
        ),
        // The dead letter itself refused (it is plain escaped text: should not happen): say so.
        Effect.catchAll((error) =>
          Effect.suspend(() => {
            dropped++
            return Effect.logError(
              "ledger: usage event DROPPED: neither it nor its dead letter could be stored",
              {
                requestId: requestIdOf(row),
                reason: fault.reason,
                error: error instanceof Error ? error.message : String(error)
              }
            )
          })
        )
      )
    }

    /**
     * Writes events until they are committed; returns how many were new. A batch PostgreSQL refuses
     * for its data is split in halves, down to the single rows at fault, which become dead letters:
     * one bad event costs about 2·log2(batch) statements and holds back nobody else's.
     */
    const writeEvents = (events: ReadonlyArray<UsageEvent>): Effect.Effect<number, never, LedgerSql> =>
      untilCommitted(insertBatch(events)).pipe(
        Effect.catchAll((error) => {
          const fault = rowFault(error)!
          if (events.length === 1) return Effect.as(deadLetter(events[0]!, fault), 0)
          const half = events.length >> 1
          return Effect.zipWith(
            writeEvents(events.slice(0, half)),
            writeEvents(events.slice(half)),
            (a, b) => a + b
          )
        })
      )

    /** Writes the oldest batch of a shard until it commits; removes it from the shard then. */
    const writeOldest = (shard: Array<UsageEvent>) =>
      Effect.gen(function* () {
        const batch = shard.slice(0, options.batchSize)
        const retriesBefore = retries
        const inserted = yield* writeEvents(batch)
        const failed = retries > retriesBefore
        if (failed) failedBatches++
        shard.splice(0, batch.length)
        queued -= batch.length
        written += inserted
        if (failed) yield* Effect.logInfo("ledger write recovered", { queued })
        lastError = null
      })

    // A shard's loop waits on its wake-up queue alone: a full batch wakes it (`record`), and so
    // does one ticker, every `flushIntervalMs`, for all shards. Racing the take against a sleep on
    // every turn forked two fibers and interrupted one, which cost this thread about 0.3 ms a turn
    // (bench/README.md, thirteenth pass).
    const loop = (index: number) =>
      Effect.gen(function* () {
        const shard = shards[index]!
        while (true) {
          if (shard.length < options.batchSize) yield* Queue.take(wakes[index]!)
          if (shard.length > 0) yield* writeOldest(shard)
        }
      })
    const tick = Effect.sync(() => {
      for (const wake of wakes) wake.unsafeOffer(undefined)
    }).pipe(Effect.delay(Duration.millis(options.flushIntervalMs)), Effect.forever)

    const fibers = yield* Effect.all([
      ...shards.map((_, index) => Effect.forkDaemon(loop(index))),
      Effect.forkDaemon(tick)
    ])

    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        closed = true
        yield* Fiber.interruptAll(fibers)
        // A write interrupted mid-flight may or may not have committed: writing it again is safe.
        // Finalizers run uninterruptibly: the flush must be made interruptible for the timeout to
        // be able to stop it.
        const flushed = yield* Effect.forEach(
          shards,
          (shard) =>
            Effect.gen(function* () {
              while (shard.length > 0) yield* writeOldest(shard)
            }),
          { concurrency: "unbounded", discard: true }
        ).pipe(Effect.interruptible, Effect.timeout(Duration.millis(options.shutdownTimeoutMs)), Effect.exit)
        if (flushed._tag === "Failure") {
          yield* Effect.logError("ledger: usage events NOT written at shutdown", {
            lost: queued,
            reason: Cause.isDie(flushed.cause)
              ? Cause.pretty(flushed.cause)
              : `database unavailable for LEDGER_SHUTDOWN_TIMEOUT_MS (${options.shutdownTimeoutMs} ms): ${lastError}`
          })
        }
      })
    )

    // Refusals are logged on the writer's runtime: `record` is plain code on the hot path.
    const log = Runtime.runFork(yield* Effect.runtime<never>())
    const refuse = (event: UsageEvent, reason: string): void => {
      dropped++
      const now = Date.now()
      if (now - lastDropLog < 1000) return
      lastDropLog = now
      log(
        Effect.logError(`ledger: usage event DROPPED (${reason})`, {
          requestId: event.requestId,
          droppedTotal: dropped,
          queued,
          maxBuffered: options.maxBuffered
        })
      )
    }

    const record = (event: UsageEvent): void => {
      metrics.observe(event)
      if (closed) {
        refuse(event, "ledger closed")
        return
      }
      if (queued >= options.maxBuffered) {
        refuse(event, "LEDGER_MAX_BUFFERED_EVENTS reached while the database is unavailable")
        return
      }
      const index = writers === 1 ? 0 : shardOf(event.userId, writers)
      const shard = shards[index]!
      shard.push(event)
      queued++
      if (shard.length === options.batchSize) wakes[index]!.unsafeOffer(undefined)
    }

    const service: Context.Tag.Service<UsageRecorder> = {
      record,
      stats: Effect.sync(stats)
    }
    return service
  })
