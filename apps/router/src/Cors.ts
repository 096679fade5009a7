/**
 * CORS for the web front ends allowed to call the router from a browser (`CORS_ORIGIN`: one origin
 * or several, comma-separated, as the control plane reads it; by default the dashboard, whose
 * playground calls models with the user's key). Requests without such an `Origin` (every SDK and
 * server) pass straight through: one header read and one set lookup on the hot path.
 */

/** Headers a browser script may read from the router's answers. */
const EXPOSED = [
  "x-request-id",
  "x-switchyard-provider",
  "x-switchyard-model",
  "x-switchyard-dropped",
  "retry-after",
  "x-ratelimit-limit-requests",
  "x-ratelimit-remaining-requests",
  "x-ratelimit-reset-requests",
  "x-ratelimit-limit-tokens",
  "x-ratelimit-remaining-tokens",
  "x-ratelimit-reset-tokens"
].join(", ")

/** Request headers a preflight allows when the browser names none (or names them oddly). */
const ALLOWED_HEADERS =
  "authorization, x-api-key, content-type, anthropic-version, anthropic-beta, x-stainless-retry-count"

/** A list of header names, as a browser writes `Access-Control-Request-Headers`. */
const HEADER_NAMES = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(?:\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/

/**
 * A preflight is allowed the headers it asks for: the official SDKs send their own
 * (`x-stainless-*`, `anthropic-dangerous-direct-browser-access`), and without cookies a header
 * grants nothing; the key is still checked on the request itself.
 */
const allowedHeaders = (asked: string | null): string =>
  asked !== null && asked.length <= 2048 && HEADER_NAMES.test(asked) ? asked : ALLOWED_HEADERS

/** Wraps `handler` so that `origins` may call it from a browser (no cookies: keys and tokens only). */
export const withCors = (
  handler: (request: Request) => Promise<Response>,
  origins: string | ReadonlyArray<string>
): ((request: Request) => Promise<Response>) => {
  const allowed = new Set(typeof origins === "string" ? [origins] : origins)
  const preflight = (origin: string, asked: string | null) => ({
    "access-control-allow-origin": origin,
    // DELETE: `DELETE /v1/responses/{id}`.
    "access-control-allow-methods": "GET, POST, DELETE, OPTIONS",
    "access-control-allow-headers": allowedHeaders(asked),
    "access-control-max-age": "600",
    vary: "Origin, Access-Control-Request-Headers"
  })
  return (request) => {
    const origin = request.headers.get("origin")
    if (origin === null || !allowed.has(origin)) return handler(request)
    if (request.method === "OPTIONS")
      return Promise.resolve(
        new Response(null, {
          status: 204,
          headers: preflight(origin, request.headers.get("access-control-request-headers"))
        })
      )
    return handler(request).then((response) => {
      // A fresh Response: one passed through from upstream may have immutable headers.
      const answer = new Response(response.body, response)
      answer.headers.set("access-control-allow-origin", origin)
      answer.headers.set("access-control-expose-headers", EXPOSED)
      answer.headers.append("vary", "Origin")
      return answer
    })
  }
}
