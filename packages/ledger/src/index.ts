/**
 * Usage accounting: usage events and their batching writer, pricing, Prometheus metrics, analytics
 * over minute and hour rollups, and failed-request sync.
 */
export { Analytics, type AnalyticsScope } from "./Analytics.ts"
export { analyticsHandlers } from "./AnalyticsHandlers.ts"
export { FailedRequests } from "./FailedRequests.ts"
export * as LatencyBuckets from "./LatencyBuckets.ts"
export * as LedgerDatabase from "./LedgerDatabase.ts"
export { LedgerSql } from "./LedgerDatabase.ts"
export { ledgerMigrations } from "./LedgerMigrations.ts"
export type { ListPrice } from "./PriceTable.ts"
export { type Cost, type ModelRates, Pricing, PricingFileError } from "./Pricing.ts"
export { type LedgerStats, UsageMetrics } from "./UsageMetrics.ts"
export { RecordedUsage, UsageRecorder } from "./UsageRecorder.ts"
export type { WriterOptions } from "./UsageWriter.ts"
