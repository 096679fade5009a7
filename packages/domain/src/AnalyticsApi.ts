/**
 * `/v1/analytics/*` (seed 002): the signed-in user's usage, read from the ledger's per-minute
 * rollups (never from raw events), so each call costs the same however many requests were made.
 *
 * Field names are snake_case, as the seed's own dashboard reads them (`total_requests`,
 * `p95_latency_ms`, `total_cost_usd`…); Switchyard adds exact integer micro-dollars
 * (`*_cost_micros`) beside every dollar figure and keeps the five token classes apart.
 *
 * The window of `interval=N` is the last N of whole minutes, the current minute included: from the
 * start of the minute `N − 1 min` before now, to now. Latency percentiles are interpolated inside
 * fixed histogram buckets (10 ms … 120 s), so they are estimates within one bucket's width; averages
 * are exact. With no requests, averages, percentiles and rates read 0.
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import { Schema } from "effect"
import { ServiceUnavailable } from "./ControlPlaneErrors.ts"
import { SafeString } from "./SafeText.ts"
import { Authentication } from "./User.ts"

/** How far back to look: 15 minutes, 1 hour, 1 day, 7 days. */
export const AnalyticsInterval = Schema.Literal("15M", "1H", "1D", "7D").annotations({
  // One clear issue instead of one per literal.
  message: () => ({ message: "interval must be one of 15M, 1H, 1D, 7D", override: true })
})
export type AnalyticsInterval = typeof AnalyticsInterval.Type

/** Query parameters of every analytics endpoint. */
export const AnalyticsQuery = Schema.Struct({
  interval: AnalyticsInterval,
  /** Only the requests made with this API key (an `ApiKeyView.id`) of the user. */
  apiKeyId: Schema.optional(SafeString("apiKeyId", 128))
})
export type AnalyticsQuery = typeof AnalyticsQuery.Type

/** The window a response covers. */
const Window = {
  interval: AnalyticsInterval,
  /** ISO 8601, inclusive. */
  from: Schema.String,
  /** ISO 8601: the time of the query. */
  to: Schema.String
}

/** Token counts by class; the classes never overlap except `reasoning`, which is part of `output`. */
export const TokenTotals = Schema.Struct({
  input: Schema.Number,
  output: Schema.Number,
  cached_input: Schema.Number,
  cache_creation: Schema.Number,
  reasoning: Schema.Number,
  /** input + output + cached_input + cache_creation. */
  total: Schema.Number
})
export type TokenTotals = typeof TokenTotals.Type

/** `GET /v1/analytics/overview`. */
export const AnalyticsOverview = Schema.Struct({
  ...Window,
  total_requests: Schema.Number,
  /** Requests with status ≥ 400 or an outcome other than success (a stream cut after 200). */
  total_errors: Schema.Number,
  /** total_errors / total_requests. */
  error_rate: Schema.Number,
  /** Requests answered 429. */
  total_rate_limits: Schema.Number,
  avg_latency_ms: Schema.Number,
  p50_latency_ms: Schema.Number,
  p95_latency_ms: Schema.Number,
  p99_latency_ms: Schema.Number,
  /** Over streamed requests that produced a first byte. */
  avg_ttft_ms: Schema.Number,
  total_cost_usd: Schema.Number,
  total_cost_micros: Schema.Number,
  tokens: TokenTotals,
  stream_requests: Schema.Number,
  /** Requests whose token counts are estimates (the provider reported none). */
  estimated_requests: Schema.Number
})
export type AnalyticsOverview = typeof AnalyticsOverview.Type

/** One bucket of `timeseries`. */
export const TimeSeriesBucket = Schema.Struct({
  /** ISO 8601 start of the bucket. */
  bucket: Schema.String,
  request_count: Schema.Number,
  error_count: Schema.Number,
  rate_limit_count: Schema.Number,
  avg_latency_ms: Schema.Number,
  total_cost_usd: Schema.Number,
  total_cost_micros: Schema.Number,
  tokens: TokenTotals
})
export type TimeSeriesBucket = typeof TimeSeriesBucket.Type

/**
 * `GET /v1/analytics/timeseries`: request volume over time, every bucket present (zeros included).
 * Buckets: 1 minute for 15M and 1H, 1 hour for 1D and 7D (UTC-aligned).
 */
export const AnalyticsTimeSeries = Schema.Struct({
  ...Window,
  bucket_seconds: Schema.Number,
  buckets: Schema.Array(TimeSeriesBucket)
})
export type AnalyticsTimeSeries = typeof AnalyticsTimeSeries.Type

/** Latency of one provider and model. */
export const ModelLatency = Schema.Struct({
  provider: Schema.String,
  model: Schema.String,
  request_count: Schema.Number,
  avg_latency_ms: Schema.Number,
  p50_latency_ms: Schema.Number,
  p95_latency_ms: Schema.Number,
  p99_latency_ms: Schema.Number,
  avg_ttft_ms: Schema.Number
})
export type ModelLatency = typeof ModelLatency.Type

/**
 * `GET /v1/analytics/latency`: per provider and model, slowest average first. Requests that never
 * reached a provider (refused by a limit) appear with `provider: ""`.
 */
export const AnalyticsLatency = Schema.Struct({
  ...Window,
  models: Schema.Array(ModelLatency)
})
export type AnalyticsLatency = typeof AnalyticsLatency.Type

/** Cost of one provider and model on one UTC day. */
export const DailyModelCost = Schema.Struct({
  /** `YYYY-MM-DD` (UTC). */
  day: Schema.String,
  provider: Schema.String,
  model: Schema.String,
  request_count: Schema.Number,
  total_cost_usd: Schema.Number,
  total_cost_micros: Schema.Number,
  tokens: TokenTotals
})
export type DailyModelCost = typeof DailyModelCost.Type

/** `GET /v1/analytics/cost`: per UTC day, per provider and model (days ascending, costliest first). */
export const AnalyticsCost = Schema.Struct({
  ...Window,
  total_cost_usd: Schema.Number,
  total_cost_micros: Schema.Number,
  days: Schema.Array(DailyModelCost)
})
export type AnalyticsCost = typeof AnalyticsCost.Type

/** Error counts in one time bucket. */
export const ErrorRateBucket = Schema.Struct({
  bucket: Schema.String,
  request_count: Schema.Number,
  error_count: Schema.Number,
  error_rate: Schema.Number
})

/** Errors of one provider and model. */
export const ModelErrors = Schema.Struct({
  provider: Schema.String,
  model: Schema.String,
  request_count: Schema.Number,
  error_count: Schema.Number,
  rate_limit_count: Schema.Number,
  error_rate: Schema.Number
})

/**
 * `GET /v1/analytics/errors`: the error rate over time (buckets as in `timeseries`), and errors by
 * HTTP status, by error type (the client-facing error `type`, else the outcome, e.g.
 * `client_abort`), and by provider and model.
 */
export const AnalyticsErrors = Schema.Struct({
  ...Window,
  total_requests: Schema.Number,
  total_errors: Schema.Number,
  error_rate: Schema.Number,
  total_rate_limits: Schema.Number,
  bucket_seconds: Schema.Number,
  timeline: Schema.Array(ErrorRateBucket),
  by_status: Schema.Array(Schema.Struct({ status: Schema.Number, count: Schema.Number })),
  by_type: Schema.Array(Schema.Struct({ error_type: Schema.String, count: Schema.Number })),
  by_model: Schema.Array(ModelErrors)
})
export type AnalyticsErrors = typeof AnalyticsErrors.Type

/** `/v1/analytics/*`, signed-in users only; a bad `interval` answers 400 naming it. */
export class AnalyticsApi extends HttpApiGroup.make("analytics")
  .add(
    HttpApiEndpoint.get("overview", "/overview").setUrlParams(AnalyticsQuery).addSuccess(AnalyticsOverview)
  )
  .add(
    HttpApiEndpoint.get("timeseries", "/timeseries")
      .setUrlParams(AnalyticsQuery)
      .addSuccess(AnalyticsTimeSeries)
  )
  .add(HttpApiEndpoint.get("latency", "/latency").setUrlParams(AnalyticsQuery).addSuccess(AnalyticsLatency))
  .add(HttpApiEndpoint.get("cost", "/cost").setUrlParams(AnalyticsQuery).addSuccess(AnalyticsCost))
  .add(HttpApiEndpoint.get("errors", "/errors").setUrlParams(AnalyticsQuery).addSuccess(AnalyticsErrors))
  .addError(ServiceUnavailable)
  .middleware(Authentication)
  .prefix("/v1/analytics") {}
