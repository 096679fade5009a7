/**
 * Times every analytics endpoint for every interval: warm-up calls, then `runs` timed calls of the
 * service (SQL and response shaping, what a handler awaits), p50 / p95 / max in milliseconds.
 */
import type { AnalyticsInterval } from "@switchyard/domain"
import { Effect } from "effect"
import { Analytics } from "../src/Analytics.ts"

export const ENDPOINTS = ["overview", "timeseries", "latency", "cost", "errors"] as const
export const INTERVALS: ReadonlyArray<AnalyticsInterval> = ["15M", "1H", "1D", "7D"]

/** One timed (user, endpoint, interval). */
export interface Timing {
  readonly user: string
  readonly endpoint: (typeof ENDPOINTS)[number]
  readonly interval: AnalyticsInterval
  readonly p50: number
  readonly p95: number
  readonly max: number
}

const percentile = (sorted: ReadonlyArray<number>, q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!

/** Times every endpoint × interval for `user`. */
export const timeAll = (user: string, runs: number, warmup = 3) =>
  Effect.gen(function* () {
    const analytics = yield* Analytics
    const results: Array<Timing> = []
    for (const endpoint of ENDPOINTS) {
      for (const interval of INTERVALS) {
        const call = analytics[endpoint]({ userId: user, interval })
        for (let i = 0; i < warmup; i++) yield* call
        const samples: Array<number> = []
        for (let i = 0; i < runs; i++) {
          const start = performance.now()
          yield* call
          samples.push(performance.now() - start)
        }
        samples.sort((a, b) => a - b)
        results.push({
          user,
          endpoint,
          interval,
          p50: percentile(samples, 0.5),
          p95: percentile(samples, 0.95),
          max: samples.at(-1)!
        })
      }
    }
    return results
  })
