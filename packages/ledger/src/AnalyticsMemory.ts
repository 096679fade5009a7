/**
 * The rollup groupings the analytics need, computed from the events the in-memory recorder holds,
 * with the same rules as the SQL rollups (time truncated to the rollup unit, `''` for no key or
 * provider, upstream model else requested model, latency buckets, failed = status ≥ 400 or not a
 * success). For tests and local runs without PostgreSQL.
 */
import type { UsageEvent } from "@switchyard/domain"
import { Effect } from "effect"
import { bucketField, type RollupQuery, type RollupSource, type Row, SUM_FIELDS } from "./AnalyticsRows.ts"
import { bucketIndexOfMicros, LATENCY_BUCKET_COUNT } from "./LatencyBuckets.ts"
import { isFailed, toMicros } from "./MinuteSums.ts"

const UNIT_MS = { minute: 60_000, hour: 3_600_000 } as const
const BIN_ORIGIN = Date.UTC(2000, 0, 1)

const modelOf = (e: UsageEvent) => e.upstreamModel ?? e.requestedModel

/** Sums of a group of events, as the SQL rollups would give them. */
const sumOf = (events: ReadonlyArray<UsageEvent>): Record<string, number> => {
  const row: Record<string, number> = Object.fromEntries(SUM_FIELDS.map((f) => [f, 0]))
  for (let i = 0; i < LATENCY_BUCKET_COUNT; i++) row[bucketField(i)] = 0
  for (const e of events) {
    row.requests! += 1
    if (isFailed(e)) row.errors! += 1
    if (e.status === 429) row.rateLimited! += 1
    if (e.stream) row.streams! += 1
    if (e.usage.estimated) row.estimated! += 1
    row.inputTokens! += e.usage.inputTokens
    row.outputTokens! += e.usage.outputTokens
    row.cachedInputTokens! += e.usage.cachedInputTokens
    row.cacheCreationTokens! += e.usage.cacheCreationTokens
    row.reasoningTokens! += e.usage.reasoningTokens
    row.costMicros! += e.costMicros
    const latencyUs = toMicros(e.latencyMs)
    row.latencySumUs! += latencyUs
    row[bucketField(bucketIndexOfMicros(latencyUs))]! += 1
    if (e.ttftMs !== null) {
      row.ttftSumUs! += toMicros(e.ttftMs)
      row.ttftCount! += 1
    }
  }
  return row
}

const groupBy = <K extends string>(events: ReadonlyArray<UsageEvent>, key: (e: UsageEvent) => K) => {
  const groups = new Map<K, Array<UsageEvent>>()
  for (const e of events) {
    const k = key(e)
    const group = groups.get(k)
    if (group) group.push(e)
    else groups.set(k, [e])
  }
  return groups
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
const field = (row: Row, key: string) => Number(row[key] ?? 0)

/** Rollup groupings over `events` (read at every call). */
export const make = (events: Effect.Effect<ReadonlyArray<UsageEvent>>): RollupSource => {
  /** The query's events: its user (and key), whose rollup unit falls in [from, to]. */
  const select = (q: RollupQuery) =>
    Effect.map(events, (all) => {
      const unit = UNIT_MS[q.grain]
      return all.filter((e) => {
        const at = Math.floor(e.createdAt.getTime() / unit) * unit
        return (
          e.userId === q.userId &&
          (q.apiKeyId === null || (e.apiKeyId ?? "") === q.apiKeyId) &&
          at >= q.from.getTime() &&
          at <= q.to.getTime()
        )
      })
    })
  const modelKey = (e: UsageEvent) => `${e.provider ?? ""}\u0000${modelOf(e)}`
  const split = (key: string) => {
    const [provider, model] = key.split("\u0000")
    return { provider: provider!, model: model! }
  }
  return {
    totals: (q) => Effect.map(select(q), (selected) => sumOf(selected)),
    series: (q) =>
      Effect.map(select(q), (selected) => {
        const width = q.bucketSeconds * 1000
        const bin = (t: number) => BIN_ORIGIN + Math.floor((t - BIN_ORIGIN) / width) * width
        const unit = UNIT_MS[q.grain]
        const groups = groupBy(selected, (e) => String(bin(Math.floor(e.createdAt.getTime() / unit) * unit)))
        const rows: Array<Row> = []
        for (let t = bin(q.from.getTime()); t <= q.to.getTime(); t += width) {
          rows.push({ bucketStart: new Date(t), ...sumOf(groups.get(String(t)) ?? []) })
        }
        return rows
      }),
    byModel: (q) =>
      Effect.map(select(q), (selected) =>
        [...groupBy(selected, modelKey)]
          .map(([key, group]) => ({ ...split(key), ...sumOf(group) }))
          .sort(
            (a, b) =>
              field(b, "errors") - field(a, "errors") ||
              byText(a.provider, b.provider) ||
              byText(a.model, b.model)
          )
      ),
    byDayAndModel: (q) =>
      Effect.map(select(q), (selected) =>
        [...groupBy(selected, (e) => `${e.createdAt.toISOString().slice(0, 10)}\u0000${modelKey(e)}`)]
          .map(([key, group]) => {
            const [day, provider, model] = key.split("\u0000")
            return { day: day!, provider: provider!, model: model!, ...sumOf(group) }
          })
          .sort(
            (a, b) =>
              byText(a.day, b.day) ||
              field(b, "costMicros") - field(a, "costMicros") ||
              byText(a.provider, b.provider) ||
              byText(a.model, b.model)
          )
      ),
    errorsByStatus: (q) =>
      Effect.map(select(q), (selected) =>
        [...groupBy(selected.filter(isFailed), (e) => String(e.status))]
          .map(([status, group]) => ({ status: Number(status), count: group.length }))
          .sort((a, b) => b.count - a.count || a.status - b.status)
      ),
    errorsByType: (q) =>
      Effect.map(select(q), (selected) =>
        [...groupBy(selected.filter(isFailed), (e) => e.errorType ?? e.outcome)]
          .map(([errorType, group]) => ({ errorType, count: group.length }))
          .sort((a, b) => b.count - a.count || byText(a.errorType, b.errorType))
      )
  }
}
