/**
 * Usage events as they cross from the serving thread to the owning thread: in columns, not as
 * objects. `postMessage` cloned each event object (a nested usage object, a `Date`, an array) and
 * that cost the serving thread about 4.5 µs per request, a tenth of its CPU at 16 connections
 * (bench/README.md, fourteenth pass). Here each event is copied into the batch when it is recorded,
 * so the event object dies young, and a batch crosses as:
 *
 * - its numbers in one `Float64Array`;
 * - the strings that repeat from event to event (user, key, models, provider, outcome, error type,
 *   dropped fields) once each per batch, referred to by index from an `Int32Array`;
 * - the request ids, in an array of strings.
 *
 * The builder's arrays are reused from batch to batch: `postMessage` copies them (their whole
 * buffers, about 30 KB, outside the JavaScript heap) before `send` returns, so a batch leaves no
 * garbage in the serving thread beyond its strings.
 *
 * Every value crosses exactly: numbers are doubles on both sides, a date is its epoch milliseconds
 * (all a `Date` holds), and nulls are flags or index -1.
 */
import type { UsageEvent, UsageOutcome } from "@switchyard/domain"

/** One batch on the wire: plain data and two typed arrays. */
export interface UsageBatch {
  readonly count: number
  readonly numbers: Float64Array
  readonly strings: Int32Array
  /** The batch's distinct strings, indexed by `strings`. */
  readonly values: ReadonlyArray<string>
  readonly requestIds: ReadonlyArray<string>
}

// The numbers of one event, at these offsets.
const STATUS = 0
const INPUT = 1
const OUTPUT = 2
const CACHED_INPUT = 3
const CACHE_CREATION = 4
const REASONING = 5
const COST = 6
const LATENCY = 7
const TTFT = 8
const CREATED_AT = 9
const FLAGS = 10
const NUMBERS = 11

// Bits of FLAGS.
const ESTIMATED = 1
const STREAM = 2
const HAS_TTFT = 4

// The strings of one event (indexes into `values`; -1 is null, or no dropped fields), at these offsets.
const USER = 0
const API_KEY = 1
const REQUESTED_MODEL = 2
const PROVIDER = 3
const UPSTREAM_MODEL = 4
const OUTCOME = 5
const ERROR_TYPE = 6
const DROPPED = 7
const STRINGS = 8

const NONE = -1

/**
 * Collects events into a batch; `send` hands the batch to a function that copies it at once
 * (`postMessage`) and starts the next in the same arrays. `capacity` is the batch the arrays are
 * sized for: the caller sends at that count, and appending past it grows them.
 */
export class UsageBatchBuilder {
  private numbers: Float64Array
  private strings: Int32Array
  private readonly values: Array<string> = []
  private readonly indexes = new Map<string, number>()
  private readonly requestIds: Array<string> = []
  private size = 0

  constructor(capacity: number) {
    this.numbers = new Float64Array(capacity * NUMBERS)
    this.strings = new Int32Array(capacity * STRINGS)
  }

  get count(): number {
    return this.size
  }

  /** Copies `event` into the batch. */
  append(event: UsageEvent): void {
    if (this.size * NUMBERS === this.numbers.length) this.grow()
    const n = this.size * NUMBERS
    const numbers = this.numbers
    const usage = event.usage
    numbers[n + STATUS] = event.status
    numbers[n + INPUT] = usage.inputTokens
    numbers[n + OUTPUT] = usage.outputTokens
    numbers[n + CACHED_INPUT] = usage.cachedInputTokens
    numbers[n + CACHE_CREATION] = usage.cacheCreationTokens
    numbers[n + REASONING] = usage.reasoningTokens
    numbers[n + COST] = event.costMicros
    numbers[n + LATENCY] = event.latencyMs
    const ttft = event.ttftMs
    numbers[n + TTFT] = ttft == null ? 0 : ttft
    numbers[n + CREATED_AT] = event.createdAt.getTime()
    numbers[n + FLAGS] =
      (usage.estimated ? ESTIMATED : 0) | (event.stream ? STREAM : 0) | (ttft == null ? 0 : HAS_TTFT)
    const s = this.size * STRINGS
    const strings = this.strings
    strings[s + USER] = this.intern(event.userId)
    strings[s + API_KEY] = this.internNullable(event.apiKeyId)
    strings[s + REQUESTED_MODEL] = this.intern(event.requestedModel)
    strings[s + PROVIDER] = this.internNullable(event.provider)
    strings[s + UPSTREAM_MODEL] = this.internNullable(event.upstreamModel)
    strings[s + OUTCOME] = this.intern(event.outcome)
    strings[s + ERROR_TYPE] = this.internNullable(event.errorType)
    strings[s + DROPPED] =
      event.droppedFields.length === 0 ? NONE : this.intern(JSON.stringify(event.droppedFields))
    this.requestIds.push(event.requestId)
    this.size++
  }

  /**
   * Hands the batch to `copy`, which must copy it before it returns (as `postMessage` does): the
   * builder then empties and reuses its arrays. Should `copy` throw, the batch is dropped all the
   * same and the error is the caller's to report: a batch kept for a post that keeps failing would
   * grow without end and block every later one.
   */
  send(copy: (batch: UsageBatch) => void): void {
    const count = this.size
    try {
      copy({
        count,
        numbers: this.numbers.subarray(0, count * NUMBERS),
        strings: this.strings.subarray(0, count * STRINGS),
        values: this.values,
        requestIds: this.requestIds
      })
    } finally {
      this.values.length = 0
      this.indexes.clear()
      this.requestIds.length = 0
      this.size = 0
    }
  }

  /** Twice the room, the batch so far kept (a caller that appends past `capacity` before sending). */
  private grow(): void {
    const numbers = new Float64Array(Math.max(1, this.numbers.length / NUMBERS) * 2 * NUMBERS)
    numbers.set(this.numbers)
    const strings = new Int32Array((numbers.length / NUMBERS) * STRINGS)
    strings.set(this.strings)
    this.numbers = numbers
    this.strings = strings
  }

  private intern(value: string): number {
    let index = this.indexes.get(value)
    if (index === undefined) {
      index = this.values.length
      this.values.push(value)
      this.indexes.set(value, index)
    }
    return index
  }

  private internNullable(value: string | null): number {
    return value === null ? NONE : this.intern(value)
  }
}

/** The events of a batch, as they were recorded. */
export const decodeUsageBatch = (batch: UsageBatch): Array<UsageEvent> => {
  const { count, numbers, strings, values, requestIds } = batch
  const string = (index: number): string => values[index]!
  const nullable = (index: number): string | null => (index === NONE ? null : values[index]!)
  const events = new Array<UsageEvent>(count)
  for (let i = 0; i < count; i++) {
    const n = i * NUMBERS
    const s = i * STRINGS
    const flags = numbers[n + FLAGS]!
    const dropped = strings[s + DROPPED]!
    events[i] = {
      requestId: requestIds[i]!,
      userId: string(strings[s + USER]!),
      apiKeyId: nullable(strings[s + API_KEY]!),
      requestedModel: string(strings[s + REQUESTED_MODEL]!),
      provider: nullable(strings[s + PROVIDER]!),
      upstreamModel: nullable(strings[s + UPSTREAM_MODEL]!),
      outcome: string(strings[s + OUTCOME]!) as UsageOutcome,
      status: numbers[n + STATUS]!,
      errorType: nullable(strings[s + ERROR_TYPE]!),
      usage: {
        inputTokens: numbers[n + INPUT]!,
        outputTokens: numbers[n + OUTPUT]!,
        cachedInputTokens: numbers[n + CACHED_INPUT]!,
        cacheCreationTokens: numbers[n + CACHE_CREATION]!,
        reasoningTokens: numbers[n + REASONING]!,
        estimated: (flags & ESTIMATED) !== 0
      },
      costMicros: numbers[n + COST]!,
      latencyMs: numbers[n + LATENCY]!,
      ttftMs: (flags & HAS_TTFT) !== 0 ? numbers[n + TTFT]! : null,
      stream: (flags & STREAM) !== 0,
      droppedFields: dropped === NONE ? [] : (JSON.parse(string(dropped)) as Array<string>),
      createdAt: new Date(numbers[n + CREATED_AT]!)
    }
  }
  return events
}
