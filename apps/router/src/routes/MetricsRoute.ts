/**
 * `GET /metrics`: the ledger's Prometheus text (requests, latency, tokens, cost, queue depth).
 */
import type { UsageMetrics } from "@switchyard/ledger"
import type { GatewayContext } from "../GatewayContext.ts"

/** The handler. */
export const make = (ctx: GatewayContext, metrics: UsageMetrics["Type"]) => async (): Promise<Response> =>
  new Response(await ctx.run(metrics.render), {
    status: 200,
    headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" }
  })
