import { describe, expect, it } from "@effect/vitest"
import { withCors } from "../src/Cors.ts"

const DASHBOARD = "http://localhost:3000"
const answer = () => new Response('{"ok":true}', { headers: { "x-request-id": "r1" } })
const handler = withCors(async () => answer(), DASHBOARD)
const request = (method: string, origin?: string) =>
  new Request("http://router.test/v1/models", {
    method,
    headers: origin === undefined ? {} : { origin }
  })

describe("router CORS for the dashboard", () => {
  it("lets the configured origin read answers and their request id", async () => {
    const response = await handler(request("GET", DASHBOARD))
    expect(response.headers.get("access-control-allow-origin")).toBe(DASHBOARD)
    expect(response.headers.get("access-control-expose-headers")).toContain("x-request-id")
    expect(response.headers.get("vary")).toContain("Origin")
    expect(await response.json()).toEqual({ ok: true })
  })

  it("answers the configured origin's preflight without calling the route", async () => {
    let called = false
    const guarded = withCors(async () => {
      called = true
      return answer()
    }, DASHBOARD)
    const response = await guarded(request("OPTIONS", DASHBOARD))
    expect(response.status).toBe(204)
    expect(response.headers.get("access-control-allow-headers")).toContain("authorization")
    expect(response.headers.get("access-control-allow-methods")).toContain("POST")
    expect(called).toBe(false)
  })

  it("gives other origins and origin-less callers no CORS headers", async () => {
    for (const origin of ["http://evil.test", undefined]) {
      const response = await handler(request("GET", origin))
      expect(response.headers.get("access-control-allow-origin")).toBeNull()
      expect(response.headers.get("x-request-id")).toBe("r1")
    }
    expect(
      (await handler(request("OPTIONS", "http://evil.test"))).headers.get("access-control-allow-origin")
    ).toBeNull()
  })

  it("lets the dashboard delete a stored response (DELETE /v1/responses/{id})", async () => {
    const preflight = await handler(
      new Request("http://router.test/v1/responses/resp_1", {
        method: "OPTIONS",
        headers: { origin: DASHBOARD, "access-control-request-method": "DELETE" }
      })
    )
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get("access-control-allow-methods")).toContain("DELETE")
  })

  it("allows the headers the official SDKs send from a browser", async () => {
    // openai-node with dangerouslyAllowBrowser; @anthropic-ai/sdk adds its browser opt-in.
    const asked =
      "authorization, content-type, x-stainless-arch, x-stainless-lang, x-stainless-os, x-stainless-package-version, x-stainless-retry-count, x-stainless-runtime, x-stainless-runtime-version, x-stainless-timeout, anthropic-dangerous-direct-browser-access"
    const preflight = await handler(
      new Request("http://router.test/v1/responses", {
        method: "OPTIONS",
        headers: {
          origin: DASHBOARD,
          "access-control-request-method": "POST",
          "access-control-request-headers": asked
        }
      })
    )
    const allowed = (preflight.headers.get("access-control-allow-headers") ?? "").split(/\s*,\s*/)
    for (const header of asked.split(", ")) expect(allowed).toContain(header)
    // Anything but a list of header names gets the fixed list.
    const odd = await handler(
      new Request("http://router.test/v1/responses", {
        method: "OPTIONS",
        headers: { origin: DASHBOARD, "access-control-request-headers": "a b; c=d" }
      })
    )
    expect(odd.headers.get("access-control-allow-headers")).toBe(
      "authorization, x-api-key, content-type, anthropic-version, anthropic-beta, x-stainless-retry-count"
    )
  })

  it("answers each of several configured origins (CORS_ORIGIN is a comma-separated list)", async () => {
    const desktop = "http://localhost:5173"
    const both = withCors(async () => answer(), [DASHBOARD, desktop])
    for (const origin of [DASHBOARD, desktop]) {
      const preflight = await both(request("OPTIONS", origin))
      expect(preflight.status).toBe(204)
      expect(preflight.headers.get("access-control-allow-origin")).toBe(origin)
      const response = await both(request("GET", origin))
      expect(response.headers.get("access-control-allow-origin")).toBe(origin)
    }
    expect(
      (await both(request("GET", "http://evil.test"))).headers.get("access-control-allow-origin")
    ).toBeNull()
  })
})
