/**
 * A small Prometheus text-format (0.0.4) registry: labelled counters, histograms with fixed
 * buckets, and gauges read at scrape time. Synchronous and allocation-light, because the router
 * updates it once per request on its hot path.
 */

/** Label values in the order the metric declares its label names. */
export type LabelValues = ReadonlyArray<string>

const escapeLabel = (value: string) => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")

const formatLabels = (names: ReadonlyArray<string>, values: LabelValues, extra?: string) => {
  const parts = names.map((name, i) => `${name}="${escapeLabel(values[i] ?? "")}"`)
  if (extra !== undefined) parts.push(extra)
  return parts.length === 0 ? "" : `{${parts.join(",")}}`
}

const formatNumber = (n: number) =>
  Number.isFinite(n) ? String(n) : n > 0 ? "+Inf" : Number.isNaN(n) ? "NaN" : "-Inf"

/**
 * Label sets beyond this many per metric are folded into one series whose label values are all
 * `other`, so a client sending endless distinct model names cannot grow memory without bound.
 */
export const MAX_SERIES_PER_METRIC = 2_000

const OVERFLOW = "other"

interface Metric {
  render(out: Array<string>): void
}

abstract class Labelled<S> implements Metric {
  protected readonly series = new Map<string, { readonly labels: LabelValues; readonly state: S }>()
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: ReadonlyArray<string>
  ) {}
  protected abstract initial(): S
  private overflow: S | undefined
  /**
   * The state of the series of `labels`, created on first use; past the cap, the overflow
   * series'. The series map never shrinks, so the answer for a label set never changes once
   * given: bound series (`bind`) rely on that to keep it.
   */
  protected get(labels: LabelValues): S {
    const key = labels.join("\u0000")
    const entry = this.series.get(key)
    if (entry !== undefined) return entry.state
    if (this.series.size < MAX_SERIES_PER_METRIC) {
      const state = this.initial()
      this.series.set(key, { labels: [...labels], state })
      return state
    }
    // The overflow series is the one allowed past the cap.
    if (this.overflow === undefined) {
      this.overflow = this.initial()
      this.series.set("\u0001overflow", { labels: this.labelNames.map(() => OVERFLOW), state: this.overflow })
    }
    return this.overflow
  }
  abstract render(out: Array<string>): void
}

/** A monotonically increasing count per label set. */
export class Counter extends Labelled<{ value: number }> {
  protected initial() {
    return { value: 0 }
  }
  /** Adds `amount` (≥ 0) to the series of `labels`. */
  inc(labels: LabelValues, amount = 1) {
    if (amount > 0) this.get(labels).value += amount
  }
  /**
   * The series of `labels` as a handle whose `inc(amount)` is `inc(labels, amount)` without the
   * per-call lookup. Like `inc`, it creates the series (or takes the overflow one) only on the
   * first positive amount, so binding ahead of use changes neither the output nor the cap.
   */
  bind(labels: LabelValues): CounterSeries {
    const bound = [...labels]
    return new BoundCounter(() => this.get(bound))
  }
  /** The current value of one series (0 when never incremented). */
  value(labels: LabelValues) {
    return this.series.get(labels.join("\u0000"))?.state.value ?? 0
  }
  render(out: Array<string>) {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`)
    for (const { labels, state } of this.series.values()) {
      out.push(`${this.name}${formatLabels(this.labelNames, labels)} ${formatNumber(state.value)}`)
    }
  }
}

/** One counter series bound to its label values (`Counter.bind`). */
export interface CounterSeries {
  /** Adds `amount` (≥ 0, default 1). */
  inc(amount?: number): void
}

// Bound series are class instances rather than closures: measurably faster on the hot path.
class BoundCounter implements CounterSeries {
  private state: { value: number } | undefined = undefined
  constructor(private readonly resolve: () => { value: number }) {}
  inc(amount = 1) {
    if (amount > 0) {
      if (this.state === undefined) this.state = this.resolve()
      this.state.value += amount
    }
  }
}

interface HistogramState {
  readonly counts: Array<number>
  sum: number
  count: number
}

const record = (state: HistogramState, bounds: ReadonlyArray<number>, value: number) => {
  // The first bound not below `value`, by binary search; NaN ends in bucket 0, as it did with
  // the linear scan this replaced.
  let lo = 0
  let hi = bounds.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (value > bounds[mid]!) lo = mid + 1
    else hi = mid
  }
  state.counts[lo]!++
  state.sum += value
  state.count++
}

/** One histogram series bound to its label values (`Histogram.bind`). */
export interface HistogramSeries {
  /** Records one observation. */
  observe(value: number): void
}

class BoundHistogram implements HistogramSeries {
  private state: HistogramState | undefined = undefined
  constructor(
    private readonly bounds: ReadonlyArray<number>,
    private readonly resolve: () => HistogramState
  ) {}
  observe(value: number) {
    if (this.state === undefined) this.state = this.resolve()
    record(this.state, this.bounds, value)
  }
}

/** A histogram with fixed upper bounds (inclusive, `le`) per label set. */
export class Histogram extends Labelled<HistogramState> {
  constructor(
    name: string,
    help: string,
    labelNames: ReadonlyArray<string>,
    readonly bounds: ReadonlyArray<number>
  ) {
    super(name, help, labelNames)
  }
  protected initial(): HistogramState {
    return { counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 }
  }
  /** Records one observation. */
  observe(labels: LabelValues, value: number) {
    record(this.get(labels), this.bounds, value)
  }
  /**
   * The series of `labels` as a handle whose `observe(value)` is `observe(labels, value)` without
   * the per-call lookup; the series is created (or the overflow one taken) on the first observation.
   */
  bind(labels: LabelValues): HistogramSeries {
    const bound = [...labels]
    return new BoundHistogram(this.bounds, () => this.get(bound))
  }
  render(out: Array<string>) {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`)
    for (const { labels, state } of this.series.values()) {
      let cumulative = 0
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += state.counts[i]!
        const le = i < this.bounds.length ? formatNumber(this.bounds[i]!) : "+Inf"
        out.push(`${this.name}_bucket${formatLabels(this.labelNames, labels, `le="${le}"`)} ${cumulative}`)
      }
      out.push(`${this.name}_sum${formatLabels(this.labelNames, labels)} ${formatNumber(state.sum)}`)
      out.push(`${this.name}_count${formatLabels(this.labelNames, labels)} ${state.count}`)
    }
  }
}

/** A value read when scraped (queue depth, totals kept elsewhere). */
export class Sampled implements Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "gauge" | "counter",
    readonly read: () => number
  ) {}
  render(out: Array<string>) {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`)
    out.push(`${this.name} ${formatNumber(this.read())}`)
  }
}

/** An ordered set of metrics rendered together. */
export class Registry {
  private readonly metrics: Array<Metric> = []
  /** Adds a metric; returns it for chaining. */
  register<M extends Metric>(metric: M): M {
    this.metrics.push(metric)
    return metric
  }
  /** The Prometheus text exposition of every metric, newline-terminated. */
  render(): string {
    const out: Array<string> = []
    for (const metric of this.metrics) metric.render(out)
    return `${out.join("\n")}\n`
  }
}
