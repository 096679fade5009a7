/**
 * One usage event per request, whatever its outcome: built here from what the request learned on
 * its way, priced, and handed to the ledger's recorder (which queues it: never awaited).
 */
import type { GatewayError, TokenUsage, UsageOutcome } from "@switchyard/domain"
import type { Pricing, UsageRecorder } from "@switchyard/ledger"
import { type Limiter, NO_USAGE } from "@switchyard/router-core"
import type { Context } from "effect"
import type { Caller } from "./CallerAuth.ts"
import { tokensOf } from "./Limits.ts"

/** What one request learned on its way; finished exactly once. */
export class RequestLog {
  provider: string | null = null
  upstreamModel: string | null = null
  ttftMs: number | null = null
  dropped: ReadonlyArray<string> = []
  finished = false
  /** Headers every answer to this request carries: its id, then its rate-limit windows once admitted. */
  readonly headers: Record<string, string>
  /**
   * Settled once when the request ends, with its real usage and cost (`Limits.bind`). Fields, not
   * a callback: a closure per request is garbage for the serving thread's collector.
   */
  admission: Limiter.Admission | undefined = undefined
  /** The fallback engine's answer: its total timer and client listener live until the request ends. */
  answered: { done(): void } | undefined = undefined

  constructor(
    readonly requestId: string,
    readonly startedAt: number,
    readonly caller: Caller,
    readonly requestedModel: string,
    readonly stream: boolean
  ) {
    this.headers = { "x-request-id": requestId }
  }
}

/** How a request ended. */
export interface Ending {
  readonly outcome: UsageOutcome
  readonly status: number
  readonly errorType: string | null
  readonly usage: TokenUsage
}

/** The outcome a gateway error is recorded as. */
export const outcomeOf = (error: GatewayError): UsageOutcome =>
  error.status === 504
    ? "timeout"
    : error.status === 429
      ? "rate_limited"
      : error.status >= 500
        ? error.status === 502
          ? "provider_error"
          : "gateway_error"
        : "invalid_request"

/** The ending of a request the gateway refused or failed with `error`. */
export const failed = (error: GatewayError, outcome: UsageOutcome = outcomeOf(error)): Ending => ({
  outcome,
  status: error.status,
  errorType: error.type,
  usage: NO_USAGE
})

/** Records requests. */
export interface Accounting {
  readonly finish: (log: RequestLog, ending: Ending) => void
}

/** Builds the recorder bridge: prices the request, settles its limits and queues its event. */
export const makeAccounting = (
  recorder: Context.Tag.Service<UsageRecorder>,
  pricing: Context.Tag.Service<Pricing>
): Accounting => ({
  finish: (log, ending) => {
    if (log.finished) return
    log.finished = true
    const { costMicros } = pricing.cost(log.provider, log.upstreamModel, ending.usage)
    if (log.admission !== undefined) log.admission.settle({ tokens: tokensOf(ending.usage), costMicros })
    if (log.answered !== undefined) log.answered.done()
    try {
      recorder.record({
        requestId: log.requestId,
        userId: log.caller.userId,
        apiKeyId: log.caller.apiKeyId,
        requestedModel: log.requestedModel,
        provider: log.provider,
        upstreamModel: log.upstreamModel,
        outcome: ending.outcome,
        status: ending.status,
        errorType: ending.errorType,
        usage: ending.usage,
        costMicros,
        latencyMs: Math.max(0, performance.now() - log.startedAt),
        ttftMs: log.ttftMs,
        stream: log.stream,
        droppedFields: log.dropped,
        createdAt: new Date()
      })
    } catch (error) {
      // Never let accounting break an answer; the ledger reports its own failures.
      console.error("usage event could not be queued", error)
    }
  }
})
