import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { RecordedUsage, UsageMetrics, UsageRecorder } from "../src/index.ts"
import { makeEvent } from "./events.ts"

const Memory = UsageRecorder.layerMemory.pipe(Layer.provideMerge(UsageMetrics.layer))

/** The value of one sample line, e.g. `name{a="b"}`. */
const sample = (text: string, series: string) => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
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
      yield* recorder.record(ok)
      yield* recorder.record(makeEvent({ usage, costMicros: 1, latencyMs: 3000 }))
      yield* recorder.record(
        makeEvent({
          status: 502,
          outcome: "provider_error",
          latencyMs: 200_000,
          droppedFields: ["cache_control"],
          usage: { estimated: true, outputTokens: 7 }
        })
      )
      // A request refused before routing: its (client-chosen) model name is not a label.
      yield* recorder.record(
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

  it.effect("escapes label values and folds label sets beyond the cap into `other`", () =>
    Effect.gen(function* () {
      const metrics = yield* UsageMetrics
      const recorder = yield* UsageRecorder
      yield* recorder.record(makeEvent({ provider: "openai-compatible", upstreamModel: 'we"ird\\model\nx' }))
      for (let i = 0; i < 2100; i++) {
        yield* recorder.record(makeEvent({ provider: "openai-compatible", upstreamModel: `m-${i}` }))
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
})
