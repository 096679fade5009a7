/**
 * Seed 000's error conventions, for its routes under `/api/v1/*` (its clients were written against
 * a Laravel app): a request that fails validation is 422 with Laravel's `message` and
 * `errors: {field: [message]}`, and anything that failed on the server's or provider's side is 500
 * `server_error`. The OpenAI `error` object stays in every body, so OpenAI SDKs pointed at these
 * paths still read it. Every answer also carries Laravel's throttle headers (`x-ratelimit-limit`,
 * `x-ratelimit-remaining`) beside OpenAI's. `/v1/*` keeps OpenAI's conventions: only the seed's
 * paths are wrapped.
 */
import type { Handler } from "../Router.ts"

type Json = Record<string, unknown>
const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

/** The seed's status for an error answer: what the router sent, mapped onto Laravel's. */
export const seedStatus = (status: number, param: unknown, fromUpstream: boolean): number => {
  if (status >= 500) return 500
  // Our own validation names the field; a provider's 4xx is passed on as the provider said.
  if (status === 400 && !fromUpstream && typeof param === "string" && param.length > 0) return 422
  return status
}

/** Laravel's throttle headers, from OpenAI's request window (none when no limit applies). */
const withThrottleHeaders = (response: Response): Response => {
  const limit = response.headers.get("x-ratelimit-limit-requests")
  const remaining = response.headers.get("x-ratelimit-remaining-requests")
  if (limit === null || remaining === null) return response
  // A fresh Response: an answer passed on from upstream may have immutable headers.
  const answer = new Response(response.body, response)
  answer.headers.set("x-ratelimit-limit", limit)
  answer.headers.set("x-ratelimit-remaining", remaining)
  return answer
}

/** Rewrites one error answer into the seed's shape (other answers pass untouched). */
export const toSeedError = async (response: Response): Promise<Response> => {
  if (response.status < 400) return withThrottleHeaders(response)
  if (!(response.headers.get("content-type") ?? "").includes("application/json")) return response
  const text = await response.text()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return new Response(text, response)
  }
  const error = isObject(body) && isObject(body.error) ? body.error : undefined
  if (error === undefined) return new Response(text, response)
  const fromUpstream = response.headers.has("x-switchyard-provider")
  const status = seedStatus(response.status, error.param, fromUpstream)
  const message = typeof error.message === "string" ? error.message : "The request failed"
  const out: Json = { message }
  if (status === 422) out.errors = { [String(error.param)]: [message] }
  out.error = status === 500 ? { ...error, type: "server_error" } : error
  const headers = new Headers(response.headers)
  headers.delete("content-length")
  return withThrottleHeaders(new Response(JSON.stringify(out), { status, headers }))
}

/** A route answering with the seed's error conventions. */
export const withSeedErrors =
  (handler: Handler): Handler =>
  (request) =>
    handler(request).then(toSeedError)
