import { describe, expect, it } from "@effect/vitest"
import { Counter, Histogram, MAX_SERIES_PER_METRIC, Registry } from "../src/Prometheus.ts"

/** The sample lines of a rendering, without HELP and TYPE. */
const samples = (registry: Registry) =>
  registry
    .render()
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"))

/** A counter with `n` series `k-0`, `k-1`, … already created. */
const counterWith = (n: number) => {
  const registry = new Registry()
  const counter = registry.register(new Counter("c_total", "test", ["k"]))
  for (let i = 0; i < n; i++) counter.inc([`k-${i}`])
  return { registry, counter }
}

describe("Counter.bind", () => {
  it("updates the same series as inc, and creates it only on the first positive amount", () => {
    const { registry, counter } = counterWith(0)
    const a = counter.bind(["a"])
    const b = counter.bind(["b"])
    a.inc(0)
    b.inc(0)
    expect(samples(registry)).toEqual([])
    b.inc(2)
    counter.inc(["a"], 3)
    a.inc()
    b.inc(0)
    // Series order is first use, not binding order.
    expect(samples(registry)).toEqual(['c_total{k="b"} 2', 'c_total{k="a"} 4'])
  })

  it("folds a series first used after the cap into `other`, even when bound before it", () => {
    const { registry, counter } = counterWith(MAX_SERIES_PER_METRIC - 1)
    const early = counter.bind(["early"])
    const late = counter.bind(["late"])
    early.inc()
    // The cap is now reached: `late` was bound in time but not used in time.
    late.inc(5)
    early.inc()
    counter.inc(["later"], 7)
    const lines = samples(registry)
    expect(lines).toHaveLength(MAX_SERIES_PER_METRIC + 1)
    expect(lines).toContain('c_total{k="early"} 2')
    expect(lines.at(-1)).toBe('c_total{k="other"} 12')
    expect(counter.value(["late"])).toBe(0)
  })
})

describe("Histogram", () => {
  const bounds = [0.01, 0.1, 1, 10]
  const cumulative = (observations: ReadonlyArray<number>, bind: boolean) => {
    const registry = new Registry()
    const histogram = registry.register(new Histogram("h", "test", ["k"], bounds))
    const bound = histogram.bind(["x"])
    for (const value of observations) {
      if (bind) bound.observe(value)
      else histogram.observe(["x"], value)
    }
    return samples(registry)
      .filter((line) => line.startsWith("h_bucket"))
      .map((line) => Number(line.split(" ")[1]))
  }

  it("puts a value equal to a bound in that bound's bucket, bound or not", () => {
    for (const bind of [false, true]) {
      expect(cumulative([0.01], bind)).toEqual([1, 1, 1, 1, 1])
      expect(cumulative([0.1], bind)).toEqual([0, 1, 1, 1, 1])
      expect(cumulative([10], bind)).toEqual([0, 0, 0, 1, 1])
      expect(cumulative([10.000001], bind)).toEqual([0, 0, 0, 0, 1])
      expect(cumulative([0, 0.5, 5, Number.POSITIVE_INFINITY], bind)).toEqual([1, 1, 2, 3, 4])
      // NaN compares false with every bound, so it lands in the first bucket.
      expect(cumulative([Number.NaN], bind)).toEqual([1, 1, 1, 1, 1])
    }
  })

  it("folds a bound series first observed after the cap into `other`", () => {
    const registry = new Registry()
    const histogram = registry.register(new Histogram("h", "test", ["k"], bounds))
    const late = histogram.bind(["late"])
    for (let i = 0; i < MAX_SERIES_PER_METRIC; i++) histogram.observe([`k-${i}`], 1)
    late.observe(2)
    late.observe(3)
    const lines = samples(registry)
    expect(lines).toContain('h_count{k="other"} 2')
    expect(lines).toContain('h_sum{k="other"} 5')
    expect(lines.some((line) => line.includes('k="late"'))).toBe(false)
  })
})
