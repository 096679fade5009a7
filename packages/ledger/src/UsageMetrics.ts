/**
 * Prometheus metrics of the usage the router serves (`GET /metrics`): requests, latency and
 * time-to-first-token histograms, tokens by class, cost, dropped translation fields, and the ledger
 * writer's own health (queue depth, retries, events dropped over the memory bound).
 *
 * Fed by `UsageRecorder.record` (every layer of it), so the router records an event once and both
 * the ledger and the metrics see it.
 */
import type { UsageEvent } from "@switchyard/domain"
import { Context, Effect, Layer } from "effect"
import { LATENCY_BUCKET_BOUNDS_MS } from "./LatencyBuckets.ts"
import { Counter, Histogram, Registry, Sampled } from "./Prometheus.ts"

/** Counts the ledger writer reports (read at scrape time). */
export interface LedgerStats {
  /** Events accepted and not yet durably written. */
  readonly queued: number
  /** Events durably written (duplicates of an already written request id excluded). */
  readonly written: number
  /** Batch write attempts that failed and were retried. */
  readonly retries: number
  /** Batches that failed at least once. */
  readonly failedBatches: number
  /** Events refused because the in-memory bound was full. */
  readonly dropped: number
  /** The last write error, if the last attempt failed. */
  readonly lastError: string | null
}

/** The router's usage metrics. */
export class UsageMetrics extends Context.Tag("@switchyard/ledger/UsageMetrics")<
  UsageMetrics,
  {
    /** Counts one request (synchronous: called on the hot path). */
    readonly observe: (event: UsageEvent) => void
    /** Lets the ledger writer expose its counters (called once by the recorder's layer). */
    readonly attachLedger: (read: () => LedgerStats) => void
    /** The Prometheus text exposition. */
    readonly render: Effect.Effect<string>
  }
>() {
  /** A fresh registry. */
  static readonly layer: Layer.Layer<UsageMetrics> = Layer.sync(UsageMetrics, () => make())
}

const SECONDS_BOUNDS = LATENCY_BUCKET_BOUNDS_MS.map((ms) => ms / 1000)

/** A fresh set of usage metrics. */
export const make = (): Context.Tag.Service<UsageMetrics> => {
  const registry = new Registry()
  const requests = registry.register(
    new Counter(
      "switchyard_requests_total",
      "Requests served, by provider, model, HTTP status and outcome.",
      ["provider", "model", "status", "outcome"]
    )
  )
  const latency = registry.register(
    new Histogram(
      "switchyard_request_duration_seconds",
      "Time from request received to response complete.",
      ["provider", "model"],
      SECONDS_BOUNDS
    )
  )
  const ttft = registry.register(
    new Histogram(
      "switchyard_time_to_first_token_seconds",
      "Time from request received to the first byte of a streamed answer.",
      ["provider", "model"],
      SECONDS_BOUNDS
    )
  )
  const tokens = registry.register(
    new Counter(
      "switchyard_tokens_total",
      "Tokens by class: input (uncached), output (reasoning included), cached_input, cache_creation, reasoning.",
      ["provider", "model", "class"]
    )
  )
  const cost = registry.register(
    new Counter("switchyard_cost_micro_dollars_total", "Cost of requests in micro-dollars (1e-6 USD).", [
      "provider",
      "model"
    ])
  )
  const estimated = registry.register(
    new Counter(
      "switchyard_usage_estimated_total",
      "Requests whose token counts are Switchyard's estimate (the provider reported none).",
      ["provider", "model"]
    )
  )
  const dropped = registry.register(
    new Counter(
      "switchyard_translation_dropped_fields_total",
      "Request fields that could not be carried to the upstream provider.",
      ["provider", "field"]
    )
  )
  let ledger: () => LedgerStats = () => ({
    queued: 0,
    written: 0,
    retries: 0,
    failedBatches: 0,
    dropped: 0,
    lastError: null
  })
  registry.register(
    new Sampled(
      "switchyard_ledger_queue_depth",
      "Usage events waiting to be written.",
      "gauge",
      () => ledger().queued
    )
  )
  registry.register(
    new Sampled(
      "switchyard_ledger_events_written_total",
      "Usage events written to the ledger.",
      "counter",
      () => ledger().written
    )
  )
  registry.register(
    new Sampled(
      "switchyard_ledger_write_retries_total",
      "Ledger batch writes that failed and were retried.",
      "counter",
      () => ledger().retries
    )
  )
  registry.register(
    new Sampled(
      "switchyard_ledger_dropped_events_total",
      "Usage events LOST because the ledger's in-memory bound (LEDGER_MAX_BUFFERED_EVENTS) was full.",
      "counter",
      () => ledger().dropped
    )
  )
  registry.register(
    new Sampled(
      "switchyard_ledger_write_failing",
      "1 while the last ledger write attempt failed, else 0.",
      "gauge",
      () => (ledger().lastError === null ? 0 : 1)
    )
  )

  return {
    observe: (event) => {
      // Only resolved models become label values: a requested model name is client input and
      // would let any client create series at will.
      const provider = event.provider ?? "none"
      const model = event.provider === null ? "none" : (event.upstreamModel ?? event.requestedModel)
      const pm = [provider, model]
      requests.inc([provider, model, String(event.status), event.outcome])
      latency.observe(pm, event.latencyMs / 1000)
      if (event.ttftMs !== null) ttft.observe(pm, event.ttftMs / 1000)
      const u = event.usage
      tokens.inc([provider, model, "input"], u.inputTokens)
      tokens.inc([provider, model, "output"], u.outputTokens)
      tokens.inc([provider, model, "cached_input"], u.cachedInputTokens)
      tokens.inc([provider, model, "cache_creation"], u.cacheCreationTokens)
      tokens.inc([provider, model, "reasoning"], u.reasoningTokens)
      cost.inc(pm, event.costMicros)
      if (u.estimated) estimated.inc(pm)
      for (const field of event.droppedFields) dropped.inc([provider, field])
    },
    attachLedger: (read) => {
      ledger = read
    },
    render: Effect.sync(() => registry.render())
  }
}
