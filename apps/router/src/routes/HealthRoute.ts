/**
 * `GET /health` (seed 000's shape): `status`, `timestamp`, `version`, `services`; 503 when unhealthy.
 */
import { Effect } from "effect"
import type { GatewayContext } from "../GatewayContext.ts"
import type { HealthCheck } from "../Health.ts"
import { jsonResponse } from "./json.ts"

/** The router's version, reported by `/health`. */
export const VERSION = "0.1.0"

/** The handler. */
export const make = (ctx: GatewayContext, health: HealthCheck["Type"]) => async (): Promise<Response> => {
  const [report, limiter] = await ctx.run(Effect.all([health.check, ctx.limiter.health], { concurrency: 2 }))
  // The limits store: unreachable and failing closed refuses every request (unhealthy); failing
  // open lets requests through unchecked (degraded, still serving).
  const limits =
    limiter.status === "ok"
      ? `healthy (${limiter.backend}, fails ${limiter.failureMode})`
      : `${limiter.failureMode === "closed" ? "unhealthy" : "degraded"}: ${limiter.backend} unreachable (${limiter.message ?? "no answer"}), failing ${limiter.failureMode}`
  const healthy = report.healthy && !limits.startsWith("unhealthy")
  return jsonResponse(
    healthy ? 200 : 503,
    {
      status: healthy ? "healthy" : "unhealthy",
      timestamp: new Date().toISOString(),
      version: VERSION,
      services: { ...report.services, limits },
      limits: limiter
    },
    { "cache-control": "no-store" }
  )
}
