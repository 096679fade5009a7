/**
 * Fuzzes every route of the control plane over real HTTP and PostgreSQL: malformed bodies,
 * content types, query strings (arbitrary bytes, invalid UTF-8, NUL), paths, methods, with and
 * without a session (bearer, cookie, cookie from a foreign page). Every answer must be a 2xx,
 * 3xx or 4xx in the API's format; never a 5xx, never a hang; and the server still works after.
 */
import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import fc from "fast-check"
import { CORS_ORIGIN, call, newUser, Server, serverLayer } from "./harness.ts"

/** Each byte percent-encoded: any byte sequence, valid UTF-8 or not, NULs included. */
const percentEncoded = fc
  .array(
    fc.oneof(
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom(0x00, 0x0a, 0x0d, 0x25, 0xed, 0xa0, 0x80, 0xff) // NUL, CR, LF, %, broken UTF-8
    ),
    { maxLength: 24 }
  )
  .map((bytes) => bytes.map((b) => `%${b.toString(16).padStart(2, "0")}`).join(""))

const path = fc.oneof(
  fc.constantFrom(
    "/health",
    "/docs",
    "/openapi.json",
    "/auth/register",
    "/auth/login",
    "/auth/me",
    "/v1/apikey",
    "/v1/apikey/verify",
    "/v1/secret",
    "/v1/secret/openai",
    "/v1/secret/openai-compatible",
    "/v1/analytics/overview",
    "/v1/analytics/timeseries",
    "/v1/analytics/latency",
    "/v1/analytics/cost",
    "/v1/analytics/errors",
    "/api/auth/get-session",
    "/api/auth/update-user",
    "/api/auth/sign-out",
    "/api/auth/list-sessions",
    "/api/auth/revoke-session"
  ),
  percentEncoded.map((segment) => `/v1/secret/${segment}`),
  percentEncoded.map((segment) => `/v1/${segment}`)
)

const method = fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "PROPFIND")

/** Strings made of the characters that have broken things: NUL, lone surrogates, CR/LF, emoji… */
const nasty = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        "\u0000",
        "\ud800",
        "\udfff",
        "\r\n",
        "\u0085",
        "é",
        "😀",
        "%00",
        "\\",
        '"',
        "<script>"
      ),
      fc.string({ maxLength: 6 })
    ),
    { minLength: 1, maxLength: 8 }
  )
  .map((parts) => parts.join(""))

const queryValue = fc.oneof(
  fc.constantFrom("15M", "1H", "1D", "7D", "", "1h", "999D"),
  fc.stringMatching(/^[A-Za-z0-9_.~-]{0,40}$/),
  percentEncoded,
  // Valid UTF-8 carrying NULs, CR/LF and the like (invalid bytes make servers keep the raw text).
  nasty.map((text) => encodeURIComponent(text.replace(/[\ud800-\udfff]/g, "")))
)

const randomQuery = fc
  .array(
    fc.tuple(
      fc.constantFrom("interval", "apiKeyId", "apiKeyId", "provider", "x", "interval[]", ""),
      queryValue
    ),
    { maxLength: 4 }
  )
  .map((pairs) => (pairs.length === 0 ? "" : `?${pairs.map(([k, v]) => `${k}=${v}`).join("&")}`))

/** A valid interval and a fuzzed key id: what gets past the first check of the analytics routes. */
const analyticsQuery = fc
  .tuple(fc.constantFrom("15M", "1H", "1D", "7D"), queryValue)
  .map(([interval, apiKeyId]) => `?interval=${interval}&apiKeyId=${apiKeyId}`)

const query = fc.oneof(randomQuery, analyticsQuery)

/** JSON values shaped like the API's payloads, with every field fuzzed. */
const fieldValue = fc.oneof(
  { arbitrary: nasty, weight: 4 },
  { arbitrary: fc.string({ unit: "binary", maxLength: 40 }), weight: 1 },
  { arbitrary: fc.string({ minLength: 200, maxLength: 6000 }), weight: 1 },
  { arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)), weight: 1 },
  {
    arbitrary: fc.constantFrom(
      "openai",
      "anthropic",
      "openai-compatible",
      "https://93.184.216.34/v1",
      "http://127.0.0.1:1"
    ),
    weight: 2
  },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 1 }
)
const payload = fc.record(
  {
    email: fieldValue,
    password: fieldValue,
    name: fieldValue,
    provider: fieldValue,
    apiKey: fieldValue,
    baseUrl: fieldValue,
    enabled: fieldValue,
    key: fieldValue,
    limits: fieldValue,
    token: fieldValue
  },
  { requiredKeys: [] }
)

const body = fc.oneof(
  { arbitrary: payload.map((p) => JSON.stringify(p)), weight: 4 },
  { arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)), weight: 1 },
  { arbitrary: fc.string({ unit: "binary", maxLength: 200 }), weight: 1 },
  {
    arbitrary: fc.constantFrom("{", "[", '{"a":', "null", '""', "{}", "\u0000", '{"email":"\\u0000"}'),
    weight: 1
  },
  { arbitrary: fc.constant(undefined), weight: 1 }
)

const contentType = fc.constantFrom(
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/json; charset=latin1",
  "*/*",
  undefined
)

type Credential = "none" | "bearer" | "garbage-bearer" | "cookie"
type Origin = "none" | "trusted" | "foreign"
const auth = fc.record({
  credential: fc.constantFrom<Credential>("none", "bearer", "garbage-bearer", "cookie"),
  origin: fc.constantFrom<Origin>("none", "trusted", "trusted", "foreign")
})

/** The routes as the contract has them: the fuzz spends most runs on requests that reach handlers. */
const routes: ReadonlyArray<readonly [string, string]> = [
  ["POST", "/auth/register"],
  ["POST", "/auth/login"],
  ["GET", "/auth/me"],
  ["GET", "/v1/apikey"],
  ["POST", "/v1/apikey"],
  ["PUT", "/v1/apikey"],
  ["PATCH", "/v1/apikey"],
  ["DELETE", "/v1/apikey"],
  ["POST", "/v1/apikey/verify"],
  ["GET", "/v1/secret"],
  ["POST", "/v1/secret"],
  ["PATCH", "/v1/secret/openai"],
  ["DELETE", "/v1/secret/anthropic"],
  ["GET", "/v1/analytics/overview"],
  ["GET", "/v1/analytics/timeseries"],
  ["GET", "/v1/analytics/latency"],
  ["GET", "/v1/analytics/cost"],
  ["GET", "/v1/analytics/errors"],
  ["POST", "/api/auth/sign-in/email"],
  ["POST", "/api/auth/sign-up/email"],
  ["POST", "/api/auth/update-user"],
  ["POST", "/api/auth/revoke-session"]
]
const focused = fc.record({
  route: fc.constantFrom(...routes),
  query,
  body: payload.map((p) => JSON.stringify(p)),
  contentType: fc.constantFrom("application/json", "application/json; charset=utf-8"),
  auth
})
const wild = fc.record({ method, path, query, body, contentType, auth })

const request = fc.oneof(
  { arbitrary: focused.map(({ route: [m, p], ...rest }) => ({ method: m, path: p, ...rest })), weight: 3 },
  { arbitrary: wild, weight: 2 }
)

describe("control plane fuzz", () => {
  layer(serverLayer("cp_fuzz", { credentialRateLimit: { window: 60, max: 100_000 } }), {
    excludeTestServices: true
  })((it) => {
    it.effect(
      "every answer to a malformed request is a 2xx/3xx/4xx in the API's format, never a 5xx",
      () =>
        Effect.gen(function* () {
          const { url } = yield* Server
          const { token } = yield* newUser("fuzz")
          const signUp = yield* call("POST", "/api/auth/sign-up/email", {
            headers: { origin: CORS_ORIGIN },
            json: {
              email: `fuzz-web-${crypto.randomUUID().slice(0, 8)}@example.com`,
              password: "correct-horse-battery",
              name: "W"
            }
          })
          const cookie = signUp.headers.get("set-cookie")!.split(";")[0]!
          const headersFor = (a: { credential: Credential; origin: Origin }): Record<string, string> => ({
            ...(a.credential === "bearer" ? { authorization: `Bearer ${token}` } : {}),
            ...(a.credential === "garbage-bearer"
              ? { authorization: "Bearer ef_garbage.not-a-signature" }
              : {}),
            ...(a.credential === "cookie" ? { cookie } : {}),
            ...(a.origin === "trusted" ? { origin: CORS_ORIGIN } : {}),
            ...(a.origin === "foreign"
              ? { origin: "http://evil.example", "sec-fetch-site": "cross-site" }
              : {})
          })

          const failures: Array<string> = []
          const statuses = new Map<number, number>()
          yield* Effect.promise(() =>
            fc.assert(
              fc.asyncProperty(request, async (r) => {
                const headers = headersFor(r.auth)
                if (r.contentType !== undefined) headers["content-type"] = r.contentType
                const hasBody = r.body !== undefined && r.method !== "GET" && r.method !== "HEAD"
                const response = await fetch(`${url}${r.path}${r.query}`, {
                  method: r.method,
                  headers,
                  ...(hasBody ? { body: new TextEncoder().encode(r.body) } : {}),
                  redirect: "manual",
                  signal: AbortSignal.timeout(20_000)
                })
                const text = await response.text()
                statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1)
                const label = `${r.method} ${r.path}${r.query} [${r.auth.credential}/${r.auth.origin}, ${r.contentType}] → ${response.status} ${text.slice(0, 200)}`
                if (response.status >= 500) {
                  failures.push(label)
                  return false
                }
                // Errors of our own routes are JSON with a `_tag` and a `message`.
                const ours = r.path.startsWith("/v1/") || r.path.startsWith("/auth/")
                if (response.status >= 400 && ours && text !== "" && r.method !== "HEAD") {
                  const parsed = JSON.parse(text) as { _tag?: unknown; message?: unknown }
                  if (typeof parsed._tag !== "string" || typeof parsed.message !== "string") {
                    failures.push(`not in the API's error format: ${label}`)
                    return false
                  }
                }
                return true
              }),
              { numRuns: 600, endOnFailure: true }
            )
          ).pipe(Effect.catchAllDefect((defect) => Effect.sync(() => failures.push(String(defect)))))
          expect(failures).toEqual([])
          // The fuzz reached handlers, not only the guards: successes and several kinds of refusal.
          expect([...statuses.keys()].filter((s) => s < 300).length).toBeGreaterThan(0)
          expect([...statuses.keys()].filter((s) => s >= 400).length).toBeGreaterThan(3)
          console.log(`fuzz answers by status: ${JSON.stringify(Object.fromEntries(statuses))}`)

          // Still serving: health, and a real change with the session.
          expect((yield* call("GET", "/health")).status).toBe(200)
          const put = yield* call("POST", "/v1/secret", {
            token,
            json: { provider: "xai", apiKey: "xai-after-fuzz-0000" }
          })
          expect(put.status).toBe(200)
        }),
      300_000
    )
  })
})
