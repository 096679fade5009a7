/**
 * How long an upstream asked us to wait: OpenAI's `retry-after-ms`, else the standard
 * `Retry-After` as delay-seconds (`"7"`, also `"1.5"`) or an HTTP date.
 */

/** Milliseconds to wait from `now` (epoch ms), or undefined when the headers say nothing usable. */
export const parse = (headers: Headers, now: number): number | undefined => {
  const ms = headers.get("retry-after-ms")
  if (ms !== null && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Math.ceil(Number(ms))
  const value = headers.get("retry-after")
  if (value === null) return undefined
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.ceil(Number(value) * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}
