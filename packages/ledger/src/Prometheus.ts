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
  protected get(labels: LabelValues): S {
    const entry = this.series.get(labels.join("\u0000"))
    if (entry !== undefined) return entry.state
    if (this.series.size < MAX_SERIES_PER_METRIC) {
      const state = this.initial()
      this.series.set(labels.join("\u0000"), { labels: [...labels], state })
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

/** A histogram with fixed upper bounds (inclusive, `le`) per label set. */
export class Histogram extends Labelled<{ counts: Array<number>; sum: number; count: number }> {
  constructor(
    name: string,
    help: string,
    labelNames: ReadonlyArray<string>,
    readonly bounds: ReadonlyArray<number>
  ) {
    super(name, help, labelNames)
  }
  protected initial() {
    return { counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 }
  }
  /** Records one observation. */
  observe(labels: LabelValues, value: number) {
    const state = this.get(labels)
    let i = 0
    while (i < this.bounds.length && value > this.bounds[i]!) i++
    state.counts[i]!++
    state.sum += value
    state.count++
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
