/**
 * Every analytics answer (read from the rollups) against a direct SQL aggregate over the raw
 * events, for every interval, for several users and an API-key filter.
 */
import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import type { AnalyticsInterval, UsageEvent } from "@switchyard/domain"
import { Effect, Layer, TestClock } from "effect"
import { windowOf } from "../src/Analytics.ts"
import { Analytics, UsageMetrics, UsageRecorder } from "../src/index.ts"
import { bucketIndexOfMicros, LATENCY_BUCKET_BOUNDS_MS } from "../src/LatencyBuckets.ts"
import { insertBatch } from "../src/UsageEventsRepo.ts"
import { ledgerTestDatabase, makeEvent } from "./events.ts"

const NOW = Date.parse("2026-03-10T12:34:56.789Z")
const INTERVALS: ReadonlyArray<AnalyticsInterval> = ["15M", "1H", "1D", "7D"]

/** A small deterministic generator, so failures reproduce. */
const random = (() => {
  let seed = 42
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
    return seed / 2 ** 31
  }
})()
const pick = <A>(items: ReadonlyArray<A>) => items[Math.floor(random() * items.length)]!

const MODELS = [
  ["openai", "gpt-4o"],
  ["anthropic", "claude-sonnet-4-5"],
  ["google", "gemini-2.5-flash"]
] as const
const OUTCOMES: ReadonlyArray<Pick<UsageEvent, "status" | "outcome" | "errorType">> = [
  { status: 200, outcome: "success", errorType: null },
  { status: 200, outcome: "success", errorType: null },
  { status: 200, outcome: "success", errorType: null },
  { status: 200, outcome: "client_abort", errorType: null },
  { status: 429, outcome: "rate_limited", errorType: "rate_limit_error" },
  { status: 502, outcome: "provider_error", errorType: "api_error" },
  { status: 504, outcome: "timeout", errorType: "timeout" },
  { status: 400, outcome: "invalid_request", errorType: "invalid_request_error" }
]

const events = (userId: string, count: number, recent: number): Array<UsageEvent> =>
  Array.from({ length: count }, (_, i) => {
    // `recent` of them in the last 15 minutes, the rest over 8 days (some outside every window).
    const age = i < recent ? random() * 15 * 60_000 : random() * 8 * 86_400_000
    const [provider, model] = pick(MODELS)
    const outcome = pick(OUTCOMES)
    const stream = random() < 0.5
    const refused = outcome.status === 429 && random() < 0.5
    return makeEvent({
      userId,
      apiKeyId: pick(["key-1", "key-2", null]),
      provider: refused ? null : provider,
      upstreamModel: refused ? null : model,
      requestedModel: model,
      ...outcome,
      stream,
      ttftMs: stream ? Math.round(random() * 5_000_000) / 1000 : null,
      latencyMs: Math.round(random() ** 3 * 200_000_000) / 1000,
      usage: {
        inputTokens: Math.floor(random() * 5000),
        outputTokens: Math.floor(random() * 2000),
        cachedInputTokens: Math.floor(random() * 1000),
        cacheCreationTokens: Math.floor(random() * 300),
        reasoningTokens: Math.floor(random() * 100),
        estimated: random() < 0.1
      },
      costMicros: Math.floor(random() * 50_000),
      createdAt: new Date(NOW - age)
    })
  })

/** The raw-event side of the comparison. */
const raw = (userId: string, interval: AnalyticsInterval, apiKeyId: string | null) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const { from, to } = windowOf(interval, NOW)
    const scope = sql`user_id = ${userId} AND created_at >= ${from} AND created_at <= ${to}
      AND (${apiKeyId}::text IS NULL OR api_key_id = ${apiKeyId})`
    const failed = sql`(status >= 400 OR outcome <> 'success')`
    const [totals] = yield* sql<Record<string, number>>`
      SELECT count(*)::float8 AS requests, count(*) FILTER (WHERE ${failed})::float8 AS errors,
        count(*) FILTER (WHERE status = 429)::float8 AS rate_limited,
        count(*) FILTER (WHERE stream)::float8 AS streams, count(*) FILTER (WHERE estimated)::float8 AS estimated,
        coalesce(sum(cost_micros), 0)::float8 AS cost, coalesce(sum(input_tokens), 0)::float8 AS input,
        coalesce(sum(output_tokens), 0)::float8 AS output, coalesce(sum(cached_input_tokens), 0)::float8 AS cached,
        coalesce(sum(cache_creation_tokens), 0)::float8 AS creation, coalesce(sum(reasoning_tokens), 0)::float8 AS reasoning,
        coalesce(avg(latency_us) / 1000, 0)::float8 AS avg_latency, coalesce(avg(ttft_us) / 1000, 0)::float8 AS avg_ttft,
        percentile_disc(0.5) WITHIN GROUP (ORDER BY latency_us)::float8 AS p50_us,
        percentile_disc(0.95) WITHIN GROUP (ORDER BY latency_us)::float8 AS p95_us
      FROM usage_events WHERE ${scope}`
    const bucket = interval === "15M" || interval === "1H" ? "1 minute" : "1 hour"
    const series = yield* sql<{ bucket: Date; requests: number; errors: number; cost: number }>`
      SELECT date_bin(${bucket}::interval, created_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
        count(*)::float8 AS requests, count(*) FILTER (WHERE ${failed})::float8 AS errors,
        sum(cost_micros)::float8 AS cost
      FROM usage_events WHERE ${scope} GROUP BY 1 ORDER BY 1`
    const perModel = yield* sql<{ provider: string; model: string; requests: number; avgLatency: number }>`
      SELECT coalesce(provider, '') AS provider, coalesce(upstream_model, requested_model) AS model,
        count(*)::float8 AS requests, (avg(latency_us) / 1000)::float8 AS avg_latency
      FROM usage_events WHERE ${scope} GROUP BY 1, 2 ORDER BY 1, 2`
    const perDay = yield* sql<{ day: string; provider: string; model: string; cost: number; output: number }>`
      SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, coalesce(provider, '') AS provider,
        coalesce(upstream_model, requested_model) AS model, sum(cost_micros)::float8 AS cost,
        sum(output_tokens)::float8 AS output
      FROM usage_events WHERE ${scope} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`
    const byStatus = yield* sql<{ status: number; count: number }>`
      SELECT status, count(*)::float8 AS count FROM usage_events WHERE ${scope} AND ${failed}
      GROUP BY 1 ORDER BY 1`
    const byType = yield* sql<{ errorType: string; count: number }>`
      SELECT coalesce(error_type, outcome) AS error_type, count(*)::float8 AS count FROM usage_events
      WHERE ${scope} AND ${failed} GROUP BY 1 ORDER BY 1`
    return { totals: totals!, series, perModel, perDay, byStatus, byType }
  })

const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThan(1e-6)

/** Compares every endpoint with the raw aggregate for one scope and interval. */
const compare = (userId: string, interval: AnalyticsInterval, apiKeyId: string | null) =>
  Effect.gen(function* () {
    const analytics = yield* Analytics
    const expected = yield* raw(userId, interval, apiKeyId)
    const scope = { userId, interval, apiKeyId: apiKeyId ?? undefined }
    const t = expected.totals

    const overview = yield* analytics.overview(scope)
    expect({
      requests: overview.total_requests,
      errors: overview.total_errors,
      rateLimited: overview.total_rate_limits,
      streams: overview.stream_requests,
      estimated: overview.estimated_requests,
      cost: overview.total_cost_micros,
      tokens: overview.tokens
    }).toEqual({
      requests: t.requests,
      errors: t.errors,
      rateLimited: t.rateLimited,
      streams: t.streams,
      estimated: t.estimated,
      cost: t.cost,
      tokens: {
        input: t.input,
        output: t.output,
        cached_input: t.cached,
        cache_creation: t.creation,
        reasoning: t.reasoning,
        total: t.input! + t.output! + t.cached! + t.creation!
      }
    })
    close(overview.total_cost_usd, t.cost! / 1e6)
    close(overview.avg_latency_ms, t.avgLatency!)
    close(overview.avg_ttft_ms, t.avgTtft!)
    close(overview.error_rate, t.requests === 0 ? 0 : t.errors! / t.requests!)
    if (t.requests! > 0) {
      // Percentiles from buckets land in the bucket that holds the exact percentile (one beyond
      // the last bound reads as that bound, as in Prometheus).
      const sameBucket = (reportedMs: number, exactUs: number) => {
        const bounds = LATENCY_BUCKET_BOUNDS_MS
        if (bucketIndexOfMicros(exactUs) === bounds.length) expect(reportedMs).toBe(bounds.at(-1))
        else expect(bucketIndexOfMicros(reportedMs * 1000)).toBe(bucketIndexOfMicros(exactUs))
      }
      sameBucket(overview.p50_latency_ms, t.p50Us!)
      sameBucket(overview.p95_latency_ms, t.p95Us!)
    }

    const series = yield* analytics.timeseries(scope)
    const nonEmpty = series.buckets.filter((b) => b.request_count > 0)
    expect(nonEmpty.map((b) => [b.bucket, b.request_count, b.error_count, b.total_cost_micros])).toEqual(
      expected.series.map((r) => [r.bucket.toISOString(), r.requests, r.errors, r.cost])
    )
    const bucketMs = series.bucket_seconds * 1000
    const first = Date.parse(series.buckets[0]!.bucket)
    expect(first).toBeLessThanOrEqual(Date.parse(series.from))
    expect(Date.parse(series.buckets.at(-1)!.bucket)).toBe(Math.floor(NOW / bucketMs) * bucketMs)
    expect(series.buckets.map((b) => Date.parse(b.bucket))).toEqual(
      series.buckets.map((_, i) => first + i * bucketMs)
    )

    const latency = yield* analytics.latency(scope)
    const latencyByModel = [...latency.models].sort((a, b) =>
      `${a.provider}/${a.model}`.localeCompare(`${b.provider}/${b.model}`)
    )
    expect(latencyByModel.map((m) => [m.provider, m.model, m.request_count])).toEqual(
      [...expected.perModel]
        .sort((a, b) => `${a.provider}/${a.model}`.localeCompare(`${b.provider}/${b.model}`))
        .map((r) => [r.provider, r.model, r.requests])
    )
    for (const m of latencyByModel) {
      close(
        m.avg_latency_ms,
        expected.perModel.find((r) => r.provider === m.provider && r.model === m.model)!.avgLatency
      )
    }

    const cost = yield* analytics.cost(scope)
    expect(
      [...cost.days]
        .sort((a, b) =>
          `${a.day}/${a.provider}/${a.model}`.localeCompare(`${b.day}/${b.provider}/${b.model}`)
        )
        .map((d) => [d.day, d.provider, d.model, d.total_cost_micros, d.tokens.output])
    ).toEqual(
      [...expected.perDay]
        .sort((a, b) =>
          `${a.day}/${a.provider}/${a.model}`.localeCompare(`${b.day}/${b.provider}/${b.model}`)
        )
        .map((r) => [r.day, r.provider, r.model, r.cost, r.output])
    )
    expect(cost.total_cost_micros).toBe(t.cost)

    const errors = yield* analytics.errors(scope)
    expect([errors.total_requests, errors.total_errors, errors.total_rate_limits]).toEqual([
      t.requests,
      t.errors,
      t.rateLimited
    ])
    expect([...errors.by_status].sort((a, b) => a.status - b.status)).toEqual(expected.byStatus)
    expect(
      [...errors.by_type]
        .sort((a, b) => a.error_type.localeCompare(b.error_type))
        .map((e) => [e.error_type, e.count])
    ).toEqual(
      [...expected.byType]
        .sort((a, b) => a.errorType.localeCompare(b.errorType))
        .map((e) => [e.errorType, e.count])
    )
    expect(errors.timeline.filter((b) => b.request_count > 0).map((b) => [b.bucket, b.error_count])).toEqual(
      expected.series.map((r) => [r.bucket.toISOString(), r.errors])
    )
    return overview
  })

describe("Analytics", () => {
  it.layer(Layer.fresh(Analytics.layerPg).pipe(Layer.provideMerge(ledgerTestDatabase("ledger_analytics"))))(
    (it) => {
      it.effect("equals a direct SQL aggregate over the raw events, per interval, user and key", () =>
        Effect.gen(function* () {
          yield* TestClock.setTime(NOW)
          const all = [...events("user-a", 3000, 300), ...events("user-b", 800, 50)]
          for (let i = 0; i < all.length; i += 500) yield* insertBatch(all.slice(i, i + 500))

          for (const interval of INTERVALS) {
            const a = yield* compare("user-a", interval, null)
            expect(a.total_requests).toBeGreaterThan(0)
            yield* compare("user-a", interval, "key-1")
            yield* compare("user-b", interval, null)
          }
          // The 7-day window really excludes older events.
          const sql = yield* SqlClient.SqlClient
          const [older] = yield* sql<{ n: number }>`
          SELECT count(*)::int AS n FROM usage_events WHERE created_at < ${windowOf("7D", NOW).from}`
          expect(older!.n).toBeGreaterThan(0)
        })
      )

      it.effect("shows each user only their own usage", () =>
        Effect.gen(function* () {
          yield* TestClock.setTime(NOW)
          const analytics = yield* Analytics
          const nobody = yield* analytics.overview({ userId: "user-nobody", interval: "7D" })
          expect(nobody).toMatchObject({
            total_requests: 0,
            total_cost_micros: 0,
            error_rate: 0,
            p95_latency_ms: 0,
            avg_latency_ms: 0
          })
          const series = yield* analytics.timeseries({ userId: "user-nobody", interval: "15M" })
          expect(series.buckets).toHaveLength(15)
          expect(series.buckets.every((b) => b.request_count === 0)).toBe(true)
          expect((yield* analytics.cost({ userId: "user-nobody", interval: "7D" })).days).toEqual([])

          // user-b's numbers do not move when user-a gets more traffic.
          const before = yield* analytics.overview({ userId: "user-b", interval: "1D" })
          yield* insertBatch(events("user-a", 200, 200))
          const after = yield* analytics.overview({ userId: "user-b", interval: "1D" })
          expect(after).toEqual(before)
          // Another user's key id does not reveal anything either.
          const foreignKey = yield* analytics.overview({
            userId: "user-b",
            interval: "7D",
            apiKeyId: "no-such-key"
          })
          expect(foreignKey.total_requests).toBe(0)
        })
      )
    }
  )
})

describe("Analytics (memory layer)", () => {
  const Memory = Analytics.layerMemory.pipe(
    Layer.provideMerge(UsageRecorder.layerMemory),
    Layer.provide(UsageMetrics.layer)
  )
  it.layer(
    Layer.fresh(Analytics.layerPg).pipe(Layer.provideMerge(ledgerTestDatabase("ledger_analytics_memory")))
  )((it) => {
    it.effect("answers exactly what the PostgreSQL rollups answer", () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(NOW)
        const all = [...events("user-a", 1500, 200), ...events("user-b", 300, 30)]
        for (let i = 0; i < all.length; i += 500) yield* insertBatch(all.slice(i, i + 500))
        const pg = yield* Analytics
        const memory = yield* Effect.gen(function* () {
          const recorder = yield* UsageRecorder
          for (const e of all) recorder.record(e)
          return yield* Analytics
        }).pipe(Effect.provide(Memory))
        for (const interval of INTERVALS) {
          for (const scope of [
            { userId: "user-a", interval },
            { userId: "user-a", interval, apiKeyId: "key-2" },
            { userId: "user-b", interval },
            { userId: "nobody", interval }
          ]) {
            for (const endpoint of ["overview", "timeseries", "latency", "cost", "errors"] as const) {
              const fromPg = yield* pg[endpoint](scope)
              const fromMemory = yield* memory[endpoint](scope)
              expect({ endpoint, scope, answer: fromMemory }).toEqual({ endpoint, scope, answer: fromPg })
            }
          }
        }
      })
    )
  })
})
