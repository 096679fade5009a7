/**
 * Stops apps nobody has viewed or edited for `MODAL_VIBE_SANDBOX_TIMEOUT` seconds, checking every
 * `MODAL_VIBE_CLEANUP_INTERVAL` minutes, as the seed's clean-up did. A stopped app is not served
 * until an edit (or a revert) revives it. Several instances may sweep at once: the UPDATE decides.
 */
import { Duration, Effect, Layer, Schedule } from "effect"
import { AppStatusEvents } from "./AppStatusEvents.ts"
import { AppStore } from "./AppStore.ts"
import { VibeSettings } from "./VibeSettings.ts"

/** One sweep: stops the idle apps, tells their owners, returns how many stopped. */
export const sweep = Effect.gen(function* () {
  const store = yield* AppStore
  const events = yield* AppStatusEvents
  const settings = yield* VibeSettings
  const stopped = yield* store.stopIdle(settings.idleTimeoutSeconds)
  for (const app of stopped)
    yield* events.publish({
      ownerId: app.ownerId,
      endUserId: app.endUserId,
      app_id: app.id,
      status: "stopped"
    })
  if (stopped.length > 0) yield* Effect.logInfo("vibe: stopped idle apps", { count: stopped.length })
  return stopped.length
})

/** Sweeps in the background for as long as the layer lives; a failed sweep is logged and retried next time. */
export const layer = Layer.scopedDiscard(
  Effect.gen(function* () {
    const settings = yield* VibeSettings
    const every = Duration.millis(Math.max(10, settings.cleanupIntervalMinutes * 60_000))
    yield* sweep.pipe(
      Effect.catchAll((error) => Effect.logWarning("vibe: idle sweep failed", error.message)),
      Effect.repeat(Schedule.spaced(every)),
      Effect.forkScoped
    )
  })
)
