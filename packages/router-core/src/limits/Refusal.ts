/**
 * Builds the `LimitExceeded` a store returns, with a message a client can act on. Both stores use
 * it, so memory and Redis refuse with identical errors.
 */
import { LimitExceeded, type LimitKind, type LimitScope } from "@switchyard/domain"
import type { RateLimitSnapshot } from "./LimitStore.ts"
import { formatDuration } from "./RateLimitHeaders.ts"

const what: Record<LimitKind, string> = {
  requests: "requests per minute",
  tokens: "tokens per minute",
  concurrency: "concurrent requests",
  budget: "spend budget (micro-dollars)"
}

const whose: Record<LimitScope, string> = {
  key: "this API key",
  user: "this user",
  route: "this user on these routes"
}

/** A refusal by one limit; `resetMs` is how long until that limit would admit the request. */
export const refusal = (options: {
  readonly kind: LimitKind
  readonly scope: LimitScope
  readonly limit: number
  readonly remaining: number
  readonly resetMs: number
  readonly snapshot: RateLimitSnapshot
}): LimitExceeded => {
  const { kind, limit, remaining, resetMs, scope, snapshot } = options
  const when = kind === "concurrency" ? "when a request in flight finishes" : `in ${formatDuration(resetMs)}`
  return new LimitExceeded({
    kind,
    scope,
    limit,
    remaining,
    resetSeconds: Math.max(0, resetMs) / 1000,
    ...(snapshot.requests === undefined ? {} : { requests: snapshot.requests }),
    ...(snapshot.tokens === undefined ? {} : { tokens: snapshot.tokens }),
    message: `Limit reached for ${what[kind]} on ${whose[scope]}: limit ${limit}, remaining ${remaining}. Try again ${when}.`
  })
}
