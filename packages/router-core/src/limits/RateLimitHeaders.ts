/**
 * OpenAI's rate-limit response headers, rendered from an admission (on success) or a refusal:
 * `x-ratelimit-limit-requests`, `x-ratelimit-remaining-requests`, `x-ratelimit-reset-requests`
 * and the same three for tokens; a refusal adds `retry-after` (whole seconds).
 */
import type { LimitExceeded, RateLimitWindow } from "@switchyard/domain"
import type { RateLimitSnapshot } from "./LimitStore.ts"

/**
 * A duration in OpenAI's header format: `20ms`, `1s`, `1.5s`, `6m0s`, `1h2m3s` (Go's
 * `time.Duration` notation, which is what OpenAI sends).
 */
export const formatDuration = (ms: number): string => {
  const total = Math.max(0, Math.ceil(ms))
  if (total < 1000) return `${total}ms`
  const hours = Math.floor(total / 3_600_000)
  const minutes = Math.floor((total % 3_600_000) / 60_000)
  const seconds = (total % 60_000) / 1000
  const secondsText = `${Number.isInteger(seconds) ? seconds : seconds.toFixed(3).replace(/0+$/, "")}s`
  if (hours > 0) return `${hours}h${minutes}m${secondsText}`
  if (minutes > 0) return `${minutes}m${secondsText}`
  return secondsText
}

/** The three header names of each kind, spelled once (not rebuilt for every response). */
const NAMES = {
  requests: ["x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests"],
  tokens: ["x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"]
} as const

const put = (
  headers: Record<string, string>,
  kind: "requests" | "tokens",
  window: RateLimitWindow | undefined
) => {
  if (window === undefined) return
  const [limit, remaining, reset] = NAMES[kind]
  headers[limit] = String(window.limit)
  headers[remaining] = String(window.remaining)
  headers[reset] = formatDuration(window.resetMs)
}

/** Headers for a response to an admitted request (empty when no rate window applies). */
export const fromSnapshot = (snapshot: RateLimitSnapshot): Record<string, string> => {
  const headers: Record<string, string> = {}
  put(headers, "requests", snapshot.requests)
  put(headers, "tokens", snapshot.tokens)
  return headers
}

/** Headers for a 429 refusal: the rate windows plus `retry-after` (at least 1 second). */
export const fromLimitExceeded = (error: LimitExceeded): Record<string, string> => {
  const headers = fromSnapshot(error)
  headers["retry-after"] = String(Math.max(1, Math.ceil(error.resetSeconds)))
  return headers
}
