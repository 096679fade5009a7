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
import { SHIPPED_PRICES } from "./PriceTable.ts"
import {
  Counter,
  type CounterSeries,
  Histogram,
  type HistogramSeries,
  MAX_SERIES_PER_METRIC,
  Registry,
  Sampled
} from "./Prometheus.ts"

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
  /** Events PostgreSQL refused for their data, stored in `usage_dead_letters` instead. */
  readonly deadLettered: number
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
    /**
     * Adds model names that may be label values (the router's advertised models and aliases; the
     * shipped price list's are known from the start). Any other model is counted under its known
     * family (`gpt-4o-2024-08-06` → `gpt-4o`) or as `other`: a client cannot mint series.
     */
    readonly recognize: (models: Iterable<string>) => void
    /** The Prometheus text exposition. */
    readonly render: Effect.Effect<string>
  }
>() {
  /** A fresh registry. */
  static readonly layer: Layer.Layer<UsageMetrics> = Layer.sync(UsageMetrics, () => make())
}

const SECONDS_BOUNDS = LATENCY_BUCKET_BOUNDS_MS.map((ms) => ms / 1000)

/**
 * Every series one (provider, model) updates, bound once so that a steady-state `observe` does
 * no label lookups and allocates nothing.
 */
interface ModelSeries {
  readonly latency: HistogramSeries
  readonly ttft: HistogramSeries
  readonly input: CounterSeries
  readonly output: CounterSeries
  readonly cachedInput: CounterSeries
  readonly cacheCreation: CounterSeries
  readonly reasoning: CounterSeries
  readonly cost: CounterSeries
  readonly estimated: CounterSeries
  /** `requests` by status, then outcome; absent on a bundle that is not kept (cache full). */
  readonly requests: Map<number, Map<string, CounterSeries>> | undefined
}

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
    deadLettered: 0,
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
      "switchyard_ledger_dead_letter_events_total",
      "Usage events PostgreSQL refused for their data, isolated and stored in usage_dead_letters.",
      "counter",
      () => ledger().deadLettered
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

  // A bound series resolves on its first update, exactly when a lookup would have created the
  // series, so caching them changes neither the series order nor what folds into `other`. The
  // cache is capped like the series: past the cap, a new (provider, model) or status/outcome is
  // bound afresh per event, and the registry folds it into `other` as before.
  const byProvider = new Map<string, Map<string, ModelSeries>>()
  let keptModels = 0
  let keptRequests = 0

  const modelSeries = (provider: string, model: string): ModelSeries => {
    let byModel = byProvider.get(provider)
    const found = byModel?.get(model)
    if (found !== undefined) return found
    const keep = keptModels < MAX_SERIES_PER_METRIC
    const pm = [provider, model]
    const series: ModelSeries = {
      latency: latency.bind(pm),
      ttft: ttft.bind(pm),
      input: tokens.bind([provider, model, "input"]),
      output: tokens.bind([provider, model, "output"]),
      cachedInput: tokens.bind([provider, model, "cached_input"]),
      cacheCreation: tokens.bind([provider, model, "cache_creation"]),
      reasoning: tokens.bind([provider, model, "reasoning"]),
      cost: cost.bind(pm),
      estimated: estimated.bind(pm),
      requests: keep ? new Map() : undefined
    }
    if (keep) {
      if (byModel === undefined) {
        byModel = new Map()
        byProvider.set(provider, byModel)
      }
      byModel.set(model, series)
      keptModels++
    }
    return series
  }

  const requestSeries = (
    series: ModelSeries,
    provider: string,
    model: string,
    status: number,
    outcome: string
  ): CounterSeries => {
    let byOutcome = series.requests?.get(status)
    const found = byOutcome?.get(outcome)
    if (found !== undefined) return found
    const bound = requests.bind([provider, model, String(status), outcome])
    if (series.requests !== undefined && keptRequests < MAX_SERIES_PER_METRIC) {
      if (byOutcome === undefined) {
        byOutcome = new Map()
        series.requests.set(status, byOutcome)
      }
      byOutcome.set(outcome, bound)
      keptRequests++
    }
    return bound
  }

  // Model label values: known names as themselves, a known family's members as the family, the
  // rest as `other`. Cached per name (bounded: names are validated but unlimited in number).
  const known = new Set<string>()
  for (const models of Object.values(SHIPPED_PRICES)) for (const name of Object.keys(models)) known.add(name)
  const labels = new Map<string, string>()
  const labelOf = (model: string): string => {
    const hit = labels.get(model)
    if (hit !== undefined) return hit
    let label = "other"
    if (known.has(model)) label = model
    else {
      let best = 0
      for (const family of known) {
        if (family.length > best && model.startsWith(`${family}-`)) {
          label = family
          best = family.length
        }
      }
    }
    if (labels.size >= 10_000) labels.clear()
    labels.set(model, label)
    return label
  }

  return {
    observe: (event) => {
      // Only resolved models become label values, and only known ones (`labelOf`): a requested
      // model name is client input and would let any client create series at will.
      const provider = event.provider ?? "none"
      const model = event.provider === null ? "none" : labelOf(event.upstreamModel ?? event.requestedModel)
      const series = modelSeries(provider, model)
      requestSeries(series, provider, model, event.status, event.outcome).inc()
      series.latency.observe(event.latencyMs / 1000)
      if (event.ttftMs !== null) series.ttft.observe(event.ttftMs / 1000)
      const u = event.usage
      series.input.inc(u.inputTokens)
      series.output.inc(u.outputTokens)
      series.cachedInput.inc(u.cachedInputTokens)
      series.cacheCreation.inc(u.cacheCreationTokens)
      series.reasoning.inc(u.reasoningTokens)
      series.cost.inc(event.costMicros)
      if (u.estimated) series.estimated.inc()
      for (const field of event.droppedFields) dropped.inc([provider, field])
    },
    attachLedger: (read) => {
      ledger = read
    },
    recognize: (models) => {
      for (const model of models) known.add(model)
      labels.clear()
    },
    render: Effect.sync(() => registry.render())
  }
}
