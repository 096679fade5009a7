/**
 * `app_status` events as an app is generated, stopped or deleted, sent to its owner's room on the
 * realtime hub through packages/realtime's `Publisher` (fire-and-forget: publishing never delays
 * or fails a request; with no hub configured the publisher drops and counts them).
 *
 * The room is the owner's user id: a Switchyard user's own (`user:<id>`, key or session), a JWT's
 * `sub` (the hub accepts the same `JWT_SECRET` tokens), or the end user a service named in
 * `user_id`. A service's apps without an end user have no room.
 */

import type { VibeAppStatus } from "@switchyard/domain"
import { Publisher } from "@switchyard/realtime"
import { Context, Effect, Layer } from "effect"

/** One status change of an app. */
export interface AppStatusEvent {
  /** `user:<id>`, `jwt:<sub>` or `service:<digest>`. */
  readonly ownerId: string
  /** The end user a service named, if any. */
  readonly endUserId: string | null
  readonly app_id: string
  readonly status: VibeAppStatus | "deleted"
  /** The version now served, when there is one. */
  readonly version?: number
}

/** What a room name may hold (the hub's `RoomId`). */
const ROOM_ID = /^[A-Za-z0-9_-]{1,64}$/

/** The user whose room hears about the app, if any. */
export const recipientOf = (event: Pick<AppStatusEvent, "ownerId" | "endUserId">): string | undefined => {
  const [kind, ...rest] = event.ownerId.split(":")
  const id = kind === "service" ? event.endUserId : rest.join(":")
  return id !== null && id !== undefined && ROOM_ID.test(id) ? id : undefined
}

/** Where status events go. */
export class AppStatusEvents extends Context.Tag("@switchyard/vibe/AppStatusEvents")<
  AppStatusEvents,
  { readonly publish: (event: AppStatusEvent) => Effect.Effect<void> }
>() {
  /** To the owner's room through the realtime publisher. */
  static readonly layerRealtime: Layer.Layer<AppStatusEvents, never, Publisher> = Layer.effect(
    AppStatusEvents,
    Effect.map(Publisher, (publisher) => ({
      publish: (event) =>
        Effect.sync(() => {
          const recipient = recipientOf(event)
          if (recipient === undefined) return
          publisher.publish(recipient, "app_status", {
            app_id: event.app_id,
            status: event.status,
            ...(event.version === undefined ? {} : { version: event.version }),
            timestamp: new Date().toISOString()
          })
        })
    }))
  )

  /** Keeps every event in memory (tests). */
  static readonly layerMemory = (into: Array<AppStatusEvent>) =>
    Layer.succeed(AppStatusEvents, { publish: (event) => Effect.sync(() => void into.push(event)) })
}
