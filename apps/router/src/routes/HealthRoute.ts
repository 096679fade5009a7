/**
 * `GET /health` (seed 000's shape): `status`, `timestamp`, `version`, `services`; 503 when unhealthy.
 * `services` also has an entry per provider (`openai`, `anthropic`, `google`, `xai`,
 * `openai-compatible`: `healthy`, `not configured`, `degraded: …` or `unreachable: …`), with the
 * details under `providers`; a provider's outage is reported, never made the router's own 503.
 */
import { Effect } from "effect"
import type { GatewayContext } from "../GatewayContext.ts"
import type { HealthCheck } from "../Health.ts"
import * as ProviderHealth from "../ProviderHealth.ts"
import { jsonResponse } from "./json.ts"

/** The router's version, reported by `/health`. */
export const VERSION = "0.1.0"

/** The handler. */
export const make =
  (ctx: GatewayContext, health: HealthCheck["Type"], providerHealth?: ProviderHealth.ProviderHealth) =>
  async (): Promise<Response> => {
    const [[report, limiter], providers] = await Promise.all([
      ctx.run(Effect.all([health.check, ctx.limiter.health], { concurrency: 2 })),
      providerHealth?.report() ?? Promise.resolve(undefined)
    ])
    const providerServices: Record<string, string> = {}
    for (const [provider, status] of Object.entries(providers ?? {}))
      providerServices[provider] = ProviderHealth.verdict(status)
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
        services: { ...report.services, limits, ...providerServices },
        limits: limiter,
        ...(providers === undefined ? {} : { providers })
      },
      { "cache-control": "no-store" }
    )
  }
