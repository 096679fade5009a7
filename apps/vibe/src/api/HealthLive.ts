/**
 * `GET /` and `GET /health` (seed 004): `healthy`, the number of active apps (which reads the
 * database, so a database outage answers 503), and the time.
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { VibeApi, VibeHealth } from "@switchyard/domain"
import { VibeApps } from "@switchyard/vibe"
import { Effect } from "effect"

export const HealthLive = HttpApiBuilder.group(VibeApi, "health", (handlers) =>
  Effect.gen(function* () {
    const apps = yield* VibeApps
    const health = Effect.map(
      apps.activeCount,
      (active) =>
        new VibeHealth({ status: "healthy", active_apps: active, timestamp: new Date().toISOString() })
    )
    return handlers.handle("root", () => health).handle("health", () => health)
  })
)
