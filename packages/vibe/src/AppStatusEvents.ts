/**
 * `app_status` events to an app's owner as generation proceeds, for the realtime hub.
 *
 * SEAM: the hub and its publisher (`packages/realtime`) are being built in parallel and were not on
 * main when this was written. `layerLog` only logs each event at debug level; once the publisher
 * exists, add a layer here that sends `{ event: "app_status", data }` to the owner's room through
 * it (when the hub is configured) and select it in apps/vibe's `Services.ts`. Publishing never
 * fails a request.
 */
import type { VibeAppStatus } from "@switchyard/domain"
import { Context, Effect, Layer } from "effect"

/** One status change of an app. */
export interface AppStatusEvent {
  /** The owner whose room receives it (`user:<id>`, `jwt:<sub>`, `service:<digest>`). */
  readonly ownerId: string
  readonly app_id: string
  readonly status: VibeAppStatus | "deleted"
  /** The version now served, when there is one. */
  readonly version?: number
}

/** Where status events go. */
export class AppStatusEvents extends Context.Tag("@switchyard/vibe/AppStatusEvents")<
  AppStatusEvents,
  { readonly publish: (event: AppStatusEvent) => Effect.Effect<void> }
>() {
  /** No hub: events are logged at debug level only. */
  static readonly layerLog = Layer.succeed(AppStatusEvents, {
    publish: (event) => Effect.logDebug("vibe: app_status", { app_id: event.app_id, status: event.status })
  })

  /** Keeps every event in memory (tests). */
  static readonly layerMemory = (into: Array<AppStatusEvent>) =>
    Layer.succeed(AppStatusEvents, { publish: (event) => Effect.sync(() => void into.push(event)) })
}
