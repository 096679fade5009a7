/**
 * `GET /metrics`: the ledger's Prometheus text (requests, latency, tokens, cost, queue depth).
 * Behind `METRICS_TOKEN` (a bearer token the scraper sends) when it is set; without one, served
 * only when `METRICS_PUBLIC` (default: local mode), else 404 — usage by model is not for anyone
 * who can reach the router's port.
 */
import { timingSafeEqual } from "node:crypto"
import { GatewayError } from "@switchyard/domain"
import type { UsageMetrics } from "@switchyard/ledger"
import { Redacted } from "effect"
import { errorResponse } from "../ClientError.ts"
import type { GatewayContext } from "../GatewayContext.ts"

const disabled = new GatewayError({
  status: 404,
  type: "not_found_error",
  message: "GET /metrics is disabled on this server: set METRICS_TOKEN (or METRICS_PUBLIC=true)"
})

const unauthorized = new GatewayError({
  status: 401,
  type: "authentication_error",
  message: "GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`"
})

/** Compares in constant time (a token compared byte by byte leaks its prefix through timing). */
const sameToken = (sent: string, expected: string) => {
  const a = Buffer.from(sent)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The handler. */
export const make =
  (ctx: GatewayContext, metrics: UsageMetrics["Type"]) =>
  async (request: Request): Promise<Response> => {
    const token = ctx.settings.metricsToken
    if (token === undefined && !ctx.settings.metricsPublic) return errorResponse("openai", disabled)
    if (token !== undefined) {
      const header = request.headers.get("authorization") ?? ""
      const sent = header.startsWith("Bearer ") ? header.slice("Bearer ".length) : ""
      if (!sameToken(sent, Redacted.value(token))) return errorResponse("openai", unauthorized)
    }
    return new Response(await ctx.run(metrics.render), {
      status: 200,
      headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" }
    })
  }
