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

/** Wraps `handler` so that `origins` may call it from a browser (no cookies: keys and tokens only). */
export const withCors = (
  handler: (request: Request) => Promise<Response>,
  origins: string | ReadonlyArray<string>
): ((request: Request) => Promise<Response>) => {
  const allowed = new Set(typeof origins === "string" ? [origins] : origins)
  const preflight = (origin: string) => ({
    "access-control-allow-origin": origin,
    "access-control-allow-methods": "GET, POST, OPTIONS",
    "access-control-allow-headers":
      "authorization, x-api-key, content-type, anthropic-version, anthropic-beta, x-stainless-retry-count",
    "access-control-max-age": "600",
    vary: "Origin"
  })
  return (request) => {
    const origin = request.headers.get("origin")
    if (origin === null || !allowed.has(origin)) return handler(request)
    if (request.method === "OPTIONS")
      return Promise.resolve(new Response(null, { status: 204, headers: preflight(origin) }))
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
