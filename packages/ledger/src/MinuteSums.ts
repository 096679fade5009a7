/**
 * A batch's rollup rows, summed by the writer before it sends the batch: one row per minute and
 * rollup key (user, API key, provider, model), and one count per minute group, status and error
 * type. PostgreSQL adds them to the rollup tables when every event of the batch was new
 * (`usage_insert_batch_presummed`, migration 0007): summing here costs a fraction of a
 * microsecond an event, where PostgreSQL's 38 aggregates cost it about 6 µs a row.
 *
 * Each sum means what 0006's `SUMS` computes in SQL; a test stores batches both ways and compares.
 * Sums are doubles, exact up to 2^53: a batch that could pass that is marked inexact, and
 * PostgreSQL sums it itself.
 */
import type { UsageEvent } from "@switchyard/domain"
import { BUCKET_COLUMNS, bucketIndexOfMicros } from "./LatencyBuckets.ts"

/** Latencies are stored as integer microseconds so sums in rollups are exact. */
export const toMicros = (ms: number) => Math.round(ms * 1000)

/** Failed: status ≥ 400, or any outcome but success (a stream cut after a 200 counts too). */
export const isFailed = (event: UsageEvent) => event.status >= 400 || event.outcome !== "success"

/** The rollup columns summed, in the order the function reads them (0006's `SUMS`). */
export const SUM_COLUMNS: ReadonlyArray<string> = [
  "requests",
  "error_count",
  "client_error_count",
  "server_error_count",
  "rate_limited_count",
  "stream_count",
  "estimated_count",
  "input_tokens",
  "output_tokens",
  "cached_input_tokens",
  "cache_creation_tokens",
  "reasoning_tokens",
  "cost_micros",
  "latency_sum_us",
  "ttft_sum_us",
  "ttft_count",
  ...BUCKET_COLUMNS
]
/** Where the latency buckets start in a group's sums. */
const FIRST_BUCKET = SUM_COLUMNS.length - BUCKET_COLUMNS.length

/** One rollup row of a batch: a minute and a rollup key, and its sums in `SUM_COLUMNS` order. */
export interface MinuteGroup {
  /** The start of the minute, in epoch milliseconds (NaN for an invalid date). */
  readonly minute: number
  readonly userId: string
  /** '' for none: the rollup tables' unique keys treat NULLs as distinct. */
  readonly apiKeyId: string
  readonly provider: string
  /** The upstream model, else the requested one. */
  readonly model: string
  readonly sums: Array<number>
}

/** Failed events of one minute group with the same status and error type. */
export interface ErrorGroup {
  /** The index of its minute group in `groups`. */
  readonly group: number
  readonly status: number
  /** The error's type, else the outcome. */
  readonly errorType: string
  count: number
}

export interface MinuteSums {
  readonly groups: Array<MinuteGroup>
  readonly errors: Array<ErrorGroup>
  /**
   * False when a sum may not be exact in doubles (a value so large that the batch's total could pass
   * 2^53, or NaN): the sums are then not sent, and PostgreSQL sums the stored rows in `bigint`.
   */
  readonly exact: boolean
}

const MINUTE_MS = 60_000

/**
 * Sums events per minute and rollup key. The events' types are the encoder's to check (it runs
 * first); a value PostgreSQL would refuse (a fraction, NaN) makes a sum it refuses too.
 */
export const sumMinutes = (events: ReadonlyArray<UsageEvent>): MinuteSums => {
  const groups: Array<MinuteGroup> = []
  const errors: Array<ErrorGroup> = []
  // Keys join their parts with NUL, which stored text cannot hold: a text with one is refused by
  // PostgreSQL with its batch, so it can never merge two groups that are stored.
  const groupIndex = new Map<string, number>()
  const errorIndex = new Map<string, ErrorGroup>()
  // n values no larger than this in magnitude cannot sum past 2^53 - 1, so every partial sum is
  // an exact integer (values that are not integers are refused with their event anyway).
  const largestExact = Number.MAX_SAFE_INTEGER / Math.max(1, events.length)
  let exact = true
  for (const event of events) {
    const minute = Math.floor(event.createdAt.getTime() / MINUTE_MS) * MINUTE_MS
    const apiKeyId = event.apiKeyId ?? ""
    const provider = event.provider ?? ""
    const model = event.upstreamModel ?? event.requestedModel
    const key = `${minute}\u0000${event.userId}\u0000${apiKeyId}\u0000${provider}\u0000${model}`
    let index = groupIndex.get(key)
    if (index === undefined) {
      index = groups.length
      groupIndex.set(key, index)
      groups.push({
        minute,
        userId: event.userId,
        apiKeyId,
        provider,
        model,
        sums: new Array<number>(SUM_COLUMNS.length).fill(0)
      })
    }
    const sums = groups[index]!.sums
    const { status, usage } = event
    const failed = isFailed(event)
    const latencyUs = toMicros(event.latencyMs)
    const ttftUs = event.ttftMs === null ? null : toMicros(event.ttftMs)
    const largest = Math.max(
      Math.abs(usage.inputTokens),
      Math.abs(usage.outputTokens),
      Math.abs(usage.cachedInputTokens),
      Math.abs(usage.cacheCreationTokens),
      Math.abs(usage.reasoningTokens),
      Math.abs(event.costMicros),
      Math.abs(latencyUs),
      ttftUs === null ? 0 : Math.abs(ttftUs)
    )
    if (!(largest <= largestExact)) exact = false
    sums[0]! += 1
    if (failed) sums[1]! += 1
    if (status >= 400 && status <= 499) sums[2]! += 1
    if (status >= 500) sums[3]! += 1
    if (status === 429) sums[4]! += 1
    if (event.stream) sums[5]! += 1
    if (usage.estimated) sums[6]! += 1
    sums[7]! += usage.inputTokens
    sums[8]! += usage.outputTokens
    sums[9]! += usage.cachedInputTokens
    sums[10]! += usage.cacheCreationTokens
    sums[11]! += usage.reasoningTokens
    sums[12]! += event.costMicros
    sums[13]! += latencyUs
    if (ttftUs !== null) {
      sums[14]! += ttftUs
      sums[15]! += 1
    }
    sums[FIRST_BUCKET + bucketIndexOfMicros(latencyUs)]! += 1
    if (failed) {
      const errorType = event.errorType ?? event.outcome
      const errorKey = `${index}\u0000${status}\u0000${errorType}`
      const known = errorIndex.get(errorKey)
      if (known !== undefined) known.count++
      else {
        const error: ErrorGroup = { group: index, status, errorType, count: 1 }
        errorIndex.set(errorKey, error)
        errors.push(error)
      }
    }
  }
  return { groups, errors, exact }
}
