import { describe, expect, it } from "@effect/vitest"
import type { UsageEvent, UsageOutcome } from "@switchyard/domain"
import { Effect, Layer } from "effect"
import { RecordedUsage, UsageMetrics, UsageRecorder } from "../src/index.ts"
import { LATENCY_BUCKET_BOUNDS_MS } from "../src/LatencyBuckets.ts"
import { Counter, Histogram, MAX_SERIES_PER_METRIC, Registry } from "../src/Prometheus.ts"
import { makeEvent } from "./events.ts"

const Memory = UsageRecorder.layerMemory.pipe(Layer.provideMerge(UsageMetrics.layer))

/** Made-up model names these tests label, made known (other names count as `other`). */
const testModels = ["asked", "early", 'we"ird\\model\nx', ...Array.from({ length: 2200 }, (_, i) => `m-${i}`)]

/** The value of one sample line, e.g. `name{a="b"}`. */
const sample = (text: string, series: string) => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

/** Sample lines (no HELP/TYPE, no ledger gauges) in rendering order. */
const samples = (text: string) =>
  text.split("\n").filter((l) => l !== "" && !l.startsWith("#") && !l.startsWith("switchyard_ledger_"))

/**
 * The metrics as `observe` computed them before it cached bound series: every update looks its
 * series up by label values. `UsageMetrics` must render the same samples in the same order.
 */
const lookupEveryTime = () => {
  const registry = new Registry()
  const seconds = LATENCY_BUCKET_BOUNDS_MS.map((ms) => ms / 1000)
  const pmNames = ["provider", "model"]
  const requests = registry.register(
    new Counter("switchyard_requests_total", "", ["provider", "model", "status", "outcome"])
  )
  const latency = registry.register(
    new Histogram("switchyard_request_duration_seconds", "", pmNames, seconds)
  )
  const ttft = registry.register(
    new Histogram("switchyard_time_to_first_token_seconds", "", pmNames, seconds)
  )
  const tokens = registry.register(new Counter("switchyard_tokens_total", "", ["provider", "model", "class"]))
  const cost = registry.register(new Counter("switchyard_cost_micro_dollars_total", "", pmNames))
  const estimated = registry.register(new Counter("switchyard_usage_estimated_total", "", pmNames))
  const dropped = registry.register(
    new Counter("switchyard_translation_dropped_fields_total", "", ["provider", "field"])
  )
  const observe = (event: UsageEvent) => {
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
  }
  return { observe, render: () => registry.render() }
}

/** A deterministic pseudo-random sequence in [0, 1). */
const lcg = (seed: number) => () => {
  seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0
  return seed / 2 ** 32
}

const outcomes: ReadonlyArray<UsageOutcome> = ["success", "provider_error", "timeout", "rate_limited"]

/** Mixed events over `models` models of 4 providers, with zeros so that series start late. */
const mixedEvent = (random: () => number, models: number) => {
  const pick = <A>(xs: ReadonlyArray<A>) => xs[Math.floor(random() * xs.length)]!
  const tokens = () => (random() < 0.5 ? 0 : Math.floor(random() * 500))
  return makeEvent({
    provider: random() < 0.05 ? null : pick(["openai", "anthropic", "google", "groq"]),
    upstreamModel: random() < 0.1 ? null : `m-${Math.floor(random() * models)}`,
    requestedModel: "asked",
    status: pick([200, 200, 429, 502]),
    outcome: pick(outcomes),
    latencyMs: pick([0, 10, 99.5, 100, 2500, 120_000, 400_000]),
    ttftMs: random() < 0.5 ? null : pick([5, 50, 700]),
    costMicros: tokens(),
    usage: {
      inputTokens: tokens(),
      outputTokens: tokens(),
      cachedInputTokens: tokens(),
      cacheCreationTokens: tokens(),
      reasoningTokens: tokens(),
      estimated: random() < 0.2
    },
    droppedFields: random() < 0.05 ? ["cache_control"] : []
  })
}

describe("UsageMetrics", () => {
  it.effect("counts requests, tokens by class, cost, latency and TTFT histograms from recorded events", () =>
    Effect.gen(function* () {
      const recorder = yield* UsageRecorder
      const metrics = yield* UsageMetrics
      const usage = {
        inputTokens: 100,
        outputTokens: 50,
        cachedInputTokens: 30,
        cacheCreationTokens: 20,
        reasoningTokens: 10,
        estimated: false
      }
      const ok = makeEvent({ usage, costMicros: 1234, latencyMs: 80, ttftMs: 40, stream: true })
      recorder.record(ok)
      recorder.record(makeEvent({ usage, costMicros: 1, latencyMs: 3000 }))
      recorder.record(
        makeEvent({
          status: 502,
          outcome: "provider_error",
          latencyMs: 200_000,
          droppedFields: ["cache_control"],
          usage: { estimated: true, outputTokens: 7 }
        })
      )
      // A request refused before routing: its (client-chosen) model name is not a label.
      recorder.record(
        makeEvent({
          provider: null,
          upstreamModel: null,
          requestedModel: "anything-🙂",
          status: 429,
          outcome: "rate_limited"
        })
      )
      expect((yield* (yield* RecordedUsage).events).length).toBe(4)

      const text = yield* metrics.render
      const pm = 'provider="openai",model="gpt-4o"'
      expect(sample(text, `switchyard_requests_total{${pm},status="200",outcome="success"}`)).toBe(2)
      expect(sample(text, `switchyard_requests_total{${pm},status="502",outcome="provider_error"}`)).toBe(1)
      expect(
        sample(
          text,
          'switchyard_requests_total{provider="none",model="none",status="429",outcome="rate_limited"}'
        )
      ).toBe(1)
      expect(text).not.toContain("anything-")
      for (const [cls, n] of [
        ["input", 200],
        ["output", 107],
        ["cached_input", 60],
        ["cache_creation", 40],
        ["reasoning", 20]
      ] as const) {
        expect(sample(text, `switchyard_tokens_total{${pm},class="${cls}"}`)).toBe(n)
      }
      expect(sample(text, `switchyard_cost_micro_dollars_total{${pm}}`)).toBe(1235)
      expect(sample(text, `switchyard_usage_estimated_total{${pm}}`)).toBe(1)
      expect(
        sample(text, 'switchyard_translation_dropped_fields_total{provider="openai",field="cache_control"}')
      ).toBe(1)
      // Cumulative buckets: 80 ms ≤ 0.1 s; 3 s ≤ 3 s; 200 s only in +Inf.
      expect(sample(text, `switchyard_request_duration_seconds_bucket{${pm},le="0.1"}`)).toBe(1)
      expect(sample(text, `switchyard_request_duration_seconds_bucket{${pm},le="3"}`)).toBe(2)
      expect(sample(text, `switchyard_request_duration_seconds_bucket{${pm},le="120"}`)).toBe(2)
      expect(sample(text, `switchyard_request_duration_seconds_bucket{${pm},le="+Inf"}`)).toBe(3)
      expect(sample(text, `switchyard_request_duration_seconds_count{${pm}}`)).toBe(3)
      expect(sample(text, `switchyard_request_duration_seconds_sum{${pm}}`)).toBeCloseTo(203.08, 6)
      expect(sample(text, `switchyard_time_to_first_token_seconds_count{${pm}}`)).toBe(1)
      expect(sample(text, `switchyard_time_to_first_token_seconds_bucket{${pm},le="0.05"}`)).toBe(1)
      expect(sample(text, "switchyard_ledger_queue_depth")).toBe(0)
      expect(sample(text, "switchyard_ledger_dropped_events_total")).toBe(0)
      expect(text).toContain("# TYPE switchyard_request_duration_seconds histogram")
      expect(text.endsWith("\n")).toBe(true)
    }).pipe(Effect.provide(Memory))
  )

  it.effect("labels only known models: a made-up name is its known family, else `other`", () =>
    Effect.gen(function* () {
      const metrics = yield* UsageMetrics
      metrics.observe(makeEvent({ provider: "openai", upstreamModel: "gpt-4o-2024-08-06" }))
      metrics.observe(makeEvent({ provider: "openai", upstreamModel: "made-up-by-a-client" }))
      metrics.recognize(["house-model"])
      metrics.observe(makeEvent({ provider: "openai", upstreamModel: "house-model" }))
      const text = yield* metrics.render
      expect(text).not.toContain("made-up-by-a-client")
      expect(text).not.toContain("2024-08-06")
      expect(text).toContain(
        'switchyard_requests_total{provider="openai",model="gpt-4o",status="200",outcome="success"} 1'
      )
      expect(text).toContain(
        'switchyard_requests_total{provider="openai",model="other",status="200",outcome="success"} 1'
      )
      expect(text).toContain('model="house-model"')
    }).pipe(Effect.provide(UsageMetrics.layer))
  )

  it.effect("escapes label values and folds label sets beyond the cap into `other`", () =>
    Effect.gen(function* () {
      const metrics = yield* UsageMetrics
      metrics.recognize(testModels)
      const recorder = yield* UsageRecorder
      recorder.record(makeEvent({ provider: "openai-compatible", upstreamModel: 'we"ird\\model\nx' }))
      for (let i = 0; i < 2100; i++) {
        recorder.record(makeEvent({ provider: "openai-compatible", upstreamModel: `m-${i}` }))
      }
      const text = yield* metrics.render
      expect(text).toContain('model="we\\"ird\\\\model\\nx"')
      const requestSeries = text.split("\n").filter((l) => l.startsWith("switchyard_requests_total{"))
      // 2101 label sets: the first 2000 get series, the other 101 share `other`.
      expect(requestSeries.length).toBe(2001)
      expect(
        sample(
          text,
          'switchyard_requests_total{provider="other",model="other",status="other",outcome="other"}'
        )
      ).toBe(101)
    }).pipe(Effect.provide(Memory))
  )

  it.effect(
    "renders what per-call label lookups render, for a mixed sequence that crosses every cap",
    () =>
      Effect.gen(function* () {
        const metrics = yield* UsageMetrics
        metrics.recognize(testModels)
        const reference = lookupEveryTime()
        const random = lcg(7)
        // 4 providers × 800 models: past the cap of every metric and of the cached bound series.
        for (let i = 1; i <= 6_000; i++) {
          const event = mixedEvent(random, 800)
          metrics.observe(event)
          reference.observe(event)
          if (i % 1_500 === 0) expect(samples(yield* metrics.render)).toEqual(samples(reference.render()))
        }
        const text = yield* metrics.render
        expect(text).toContain(
          'switchyard_requests_total{provider="other",model="other",status="other",outcome="other"}'
        )
        expect(text).toContain('switchyard_tokens_total{provider="other",model="other",class="other"}')
      }).pipe(Effect.provide(UsageMetrics.layer)),
    // 6 000 events checked against a reference that looks every label up: seconds on a quiet
    // machine, far more when the whole suite shares two cores.
    120_000
  )

  it.effect("folds a token class first seen after the cap into `other`, for a model seen before it", () =>
    Effect.gen(function* () {
      const metrics = yield* UsageMetrics
      metrics.recognize(testModels)
      const early = (usage: Partial<UsageEvent["usage"]>) =>
        makeEvent({ provider: "openai", upstreamModel: "early", usage })
      // `early` is observed (and its series bound) with no reasoning tokens: no reasoning series.
      metrics.observe(early({ inputTokens: 1 }))
      for (let i = 1; i < MAX_SERIES_PER_METRIC; i++) {
        metrics.observe(makeEvent({ provider: "openai", upstreamModel: `m-${i}`, usage: { inputTokens: 1 } }))
      }
      // switchyard_tokens_total is now at its cap.
      metrics.observe(early({ inputTokens: 2, reasoningTokens: 5 }))
      metrics.observe(early({ reasoningTokens: 1 }))
      const text = yield* metrics.render
      expect(sample(text, 'switchyard_tokens_total{provider="openai",model="early",class="input"}')).toBe(3)
      expect(text).not.toContain('model="early",class="reasoning"')
      expect(sample(text, 'switchyard_tokens_total{provider="other",model="other",class="other"}')).toBe(6)
      expect(
        sample(
          text,
          'switchyard_requests_total{provider="openai",model="early",status="200",outcome="success"}'
        )
      ).toBe(3)
    }).pipe(Effect.provide(UsageMetrics.layer))
  )
})
