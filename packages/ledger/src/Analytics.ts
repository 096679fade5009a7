/**
 * The seed 002 analytics (`/v1/analytics/*`), answered from the rollups only: 15M and 1H read the
 * per-minute rollups, 1D and 7D the per-hour ones, so a query touches at most 60 (or 168) rows per
 * (API key, provider, model) of ONE user, however many raw events there are. Percentiles come from
 * the rollups' fixed latency buckets.
 *
 * Every query is scoped to one user (the primary keys of the rollups lead with `user_id` and the
 * time, so each is an index range scan), optionally narrowed to one of the user's API keys.
 *
 * Windows are whole units of the rollup they read, the current one included: 15M = the last 15
 * minutes, 1H = 60 minutes, 1D = the last 24 hours (from the start of the hour 23 hours ago),
 * 7D = 168 hours.
 */
import type {
  AnalyticsCost,
  AnalyticsErrors,
  AnalyticsInterval,
  AnalyticsLatency,
  AnalyticsOverview,
  AnalyticsTimeSeries,
  ServiceUnavailable,
  TokenTotals
} from "@switchyard/domain"
import { Clock, Context, Effect, Layer } from "effect"
import * as AnalyticsMemory from "./AnalyticsMemory.ts"
import { bucketField, type Grain, type RollupSource, type Row } from "./AnalyticsRows.ts"
import * as AnalyticsSql from "./AnalyticsSql.ts"
import { LATENCY_BUCKET_COUNT, quantileFromBuckets } from "./LatencyBuckets.ts"
import { LedgerSql } from "./LedgerDatabase.ts"
import { RecordedUsage } from "./UsageRecorder.ts"

/** Whose usage, over which window. */
export interface AnalyticsScope {
  readonly userId: string
  readonly interval: AnalyticsInterval
  /** Only this API key's requests. */
  readonly apiKeyId?: string | undefined
}

/** Reads the analytics of one user. */
export class Analytics extends Context.Tag("@switchyard/ledger/Analytics")<
  Analytics,
  {
    readonly overview: (scope: AnalyticsScope) => Effect.Effect<AnalyticsOverview, ServiceUnavailable>
    readonly timeseries: (scope: AnalyticsScope) => Effect.Effect<AnalyticsTimeSeries, ServiceUnavailable>
    readonly latency: (scope: AnalyticsScope) => Effect.Effect<AnalyticsLatency, ServiceUnavailable>
    readonly cost: (scope: AnalyticsScope) => Effect.Effect<AnalyticsCost, ServiceUnavailable>
    readonly errors: (scope: AnalyticsScope) => Effect.Effect<AnalyticsErrors, ServiceUnavailable>
  }
>() {
  /** Reads the rollups in the ledger database. */
  static readonly layerPg: Layer.Layer<Analytics, never, LedgerSql> = Layer.effect(
    Analytics,
    Effect.map(LedgerSql, (sql) => make(AnalyticsSql.make(sql)))
  )
  /** Computes the same answers from the in-memory recorder's events (`UsageRecorder.layerMemory`). */
  static readonly layerMemory: Layer.Layer<Analytics, never, RecordedUsage> = Layer.effect(
    Analytics,
    Effect.map(RecordedUsage, (recorded) => make(AnalyticsMemory.make(recorded.events)))
  )
}

/** The rollup an interval reads, how many of its units the window spans, and the time-series bucket. */
export const INTERVALS: Readonly<
  Record<AnalyticsInterval, { readonly grain: Grain; readonly units: number; readonly bucketSeconds: number }>
> = {
  "15M": { grain: "minute", units: 15, bucketSeconds: 60 },
  "1H": { grain: "minute", units: 60, bucketSeconds: 60 },
  "1D": { grain: "hour", units: 24, bucketSeconds: 3600 },
  "7D": { grain: "hour", units: 168, bucketSeconds: 3600 }
}

const UNIT_MS: Readonly<Record<Grain, number>> = { minute: 60_000, hour: 3_600_000 }

/** The window of an interval at `nowMs`: whole units of its rollup, the current one included. */
export const windowOf = (interval: AnalyticsInterval, nowMs: number) => {
  const { grain, units } = INTERVALS[interval]
  const unit = UNIT_MS[grain]
  const current = Math.floor(nowMs / unit) * unit
  return { from: new Date(current - (units - 1) * unit), to: new Date(nowMs) }
}

/** A summed field (sums arrive as float8, exact below 2^53). */
const num = (row: Row | undefined, key: string) => Number(row?.[key] ?? 0)
const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b)
const usd = (micros: number) => micros / 1_000_000

const tokensOf = (row: Row | undefined): TokenTotals => {
  const input = num(row, "inputTokens")
  const output = num(row, "outputTokens")
  const cachedInput = num(row, "cachedInputTokens")
  const cacheCreation = num(row, "cacheCreationTokens")
  return {
    input,
    output,
    cached_input: cachedInput,
    cache_creation: cacheCreation,
    reasoning: num(row, "reasoningTokens"),
    total: input + output + cachedInput + cacheCreation
  }
}

/** Latency figures of a row carrying `latencySumUs`, `requests` and the bucket counts. */
const latencyOf = (row: Row | undefined) => {
  const requests = num(row, "requests")
  const counts = Array.from({ length: LATENCY_BUCKET_COUNT }, (_, i) => num(row, bucketField(i)))
  const round = (ms: number | null) => Math.round((ms ?? 0) * 1000) / 1000
  return {
    avg_latency_ms: ratio(num(row, "latencySumUs"), requests) / 1000,
    p50_latency_ms: round(quantileFromBuckets(counts, 0.5)),
    p95_latency_ms: round(quantileFromBuckets(counts, 0.95)),
    p99_latency_ms: round(quantileFromBuckets(counts, 0.99)),
    avg_ttft_ms: ratio(num(row, "ttftSumUs"), num(row, "ttftCount")) / 1000
  }
}

/** The analytics over a source of rollup groupings. */
export const make = (source: RollupSource): Context.Tag.Service<Analytics> => {
  /** The rollup query and the response window of a scope. */
  const prepare = (scope: AnalyticsScope) =>
    Effect.map(Clock.currentTimeMillis, (now) => {
      const { from, to } = windowOf(scope.interval, now)
      const { bucketSeconds, grain } = INTERVALS[scope.interval]
      return {
        query: { userId: scope.userId, apiKeyId: scope.apiKeyId ?? null, grain, from, to, bucketSeconds },
        window: { interval: scope.interval, from: from.toISOString(), to: to.toISOString() },
        bucketSeconds
      }
    })

  return {
    overview: (scope) =>
      Effect.gen(function* () {
        const { query, window } = yield* prepare(scope)
        const row = yield* source.totals(query)
        const requests = num(row, "requests")
        const errors = num(row, "errors")
        const { avg_ttft_ms, ...latency } = latencyOf(row)
        return {
          ...window,
          total_requests: requests,
          total_errors: errors,
          error_rate: ratio(errors, requests),
          total_rate_limits: num(row, "rateLimited"),
          ...latency,
          avg_ttft_ms,
          total_cost_usd: usd(num(row, "costMicros")),
          total_cost_micros: num(row, "costMicros"),
          tokens: tokensOf(row),
          stream_requests: num(row, "streams"),
          estimated_requests: num(row, "estimated")
        }
      }),

    timeseries: (scope) =>
      Effect.gen(function* () {
        const { bucketSeconds, query, window } = yield* prepare(scope)
        const rows = yield* source.series(query)
        return {
          ...window,
          bucket_seconds: bucketSeconds,
          buckets: rows.map((row) => ({
            bucket: (row.bucketStart as Date).toISOString(),
            request_count: num(row, "requests"),
            error_count: num(row, "errors"),
            rate_limit_count: num(row, "rateLimited"),
            avg_latency_ms: ratio(num(row, "latencySumUs"), num(row, "requests")) / 1000,
            total_cost_usd: usd(num(row, "costMicros")),
            total_cost_micros: num(row, "costMicros"),
            tokens: tokensOf(row)
          }))
        }
      }),

    latency: (scope) =>
      Effect.gen(function* () {
        const { query, window } = yield* prepare(scope)
        const rows = yield* source.byModel(query)
        const models = rows
          .map((row) => ({
            provider: String(row.provider),
            model: String(row.model),
            request_count: num(row, "requests"),
            ...latencyOf(row)
          }))
          .sort((a, b) => b.avg_latency_ms - a.avg_latency_ms)
        return { ...window, models }
      }),

    cost: (scope) =>
      Effect.gen(function* () {
        const { query, window } = yield* prepare(scope)
        const rows = yield* source.byDayAndModel(query)
        const totalMicros = rows.reduce((sum, row) => sum + num(row, "costMicros"), 0)
        return {
          ...window,
          total_cost_usd: usd(totalMicros),
          total_cost_micros: totalMicros,
          days: rows.map((row) => ({
            day: String(row.day),
            provider: String(row.provider),
            model: String(row.model),
            request_count: num(row, "requests"),
            total_cost_usd: usd(num(row, "costMicros")),
            total_cost_micros: num(row, "costMicros"),
            tokens: tokensOf(row)
          }))
        }
      }),

    errors: (scope) =>
      Effect.gen(function* () {
        const { bucketSeconds, query, window } = yield* prepare(scope)
        const [timeline, byModel, byStatus, byType] = yield* Effect.all(
          [
            source.series(query),
            source.byModel(query),
            source.errorsByStatus(query),
            source.errorsByType(query)
          ],
          { concurrency: "unbounded" }
        )
        const totalRequests = byModel.reduce((sum, row) => sum + num(row, "requests"), 0)
        const totalErrors = byModel.reduce((sum, row) => sum + num(row, "errors"), 0)
        return {
          ...window,
          total_requests: totalRequests,
          total_errors: totalErrors,
          error_rate: ratio(totalErrors, totalRequests),
          total_rate_limits: byModel.reduce((sum, row) => sum + num(row, "rateLimited"), 0),
          bucket_seconds: bucketSeconds,
          timeline: timeline.map((row) => ({
            bucket: (row.bucketStart as Date).toISOString(),
            request_count: num(row, "requests"),
            error_count: num(row, "errors"),
            error_rate: ratio(num(row, "errors"), num(row, "requests"))
          })),
          by_status: byStatus.map((row) => ({ status: num(row, "status"), count: num(row, "count") })),
          by_type: byType.map((row) => ({ error_type: String(row.errorType), count: num(row, "count") })),
          by_model: byModel.map((row) => ({
            provider: String(row.provider),
            model: String(row.model),
            request_count: num(row, "requests"),
            error_count: num(row, "errors"),
            rate_limit_count: num(row, "rateLimited"),
            error_rate: ratio(num(row, "errors"), num(row, "requests"))
          }))
        }
      })
  }
}
