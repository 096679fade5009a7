/**
 * CORS for the one web front end allowed to call the router from a browser (`CORS_ORIGIN`, the
 * dashboard: its playground calls models with the user's key). Requests without that `Origin`
 * (every SDK and server) pass straight through: one header read on the hot path.
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

/** Wraps `handler` so that `origin` may call it from a browser (no cookies: keys only). */
export const withCors = (
  handler: (request: Request) => Promise<Response>,
  origin: string
): ((request: Request) => Promise<Response>) => {
  const preflight = {
    "access-control-allow-origin": origin,
    "access-control-allow-methods": "GET, POST, OPTIONS",
    "access-control-allow-headers": "authorization, x-api-key, content-type, anthropic-version",
    "access-control-max-age": "600",
    vary: "Origin"
  }
  return (request) => {
    if (request.headers.get("origin") !== origin) return handler(request)
    if (request.method === "OPTIONS")
      return Promise.resolve(new Response(null, { status: 204, headers: preflight }))
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
