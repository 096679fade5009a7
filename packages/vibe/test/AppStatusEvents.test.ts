/**
 * `app_status` events reach the owner's room through the realtime publisher: a Switchyard user's,
 * a JWT subject's, or the end user a service named; a service's own apps and ids a room cannot
 * hold reach nobody.
 */
import { describe, expect, it } from "@effect/vitest"
import { PublishedEvents, Publisher } from "@switchyard/realtime"
import { Effect, Layer } from "effect"
import { AppStatusEvents } from "../src/AppStatusEvents.ts"

const layer = AppStatusEvents.layerRealtime.pipe(Layer.provideMerge(Publisher.layerMemory))

describe("AppStatusEvents.layerRealtime", () => {
  it.effect("publishes app_status to the right user's room", () =>
    Effect.gen(function* () {
      const events = yield* AppStatusEvents
      const app_id = "sb-abcdefghij0123456789"
      yield* events.publish({ ownerId: "user:u_1", endUserId: null, app_id, status: "creating" })
      yield* events.publish({ ownerId: "jwt:sub-2", endUserId: null, app_id, status: "active", version: 3 })
      yield* events.publish({ ownerId: "service:0123abcd", endUserId: "carol", app_id, status: "stopped" })
      yield* events.publish({ ownerId: "service:0123abcd", endUserId: null, app_id, status: "failed" })
      yield* events.publish({ ownerId: "jwt:has spaces", endUserId: null, app_id, status: "deleted" })
      const published = (yield* PublishedEvents).all()
      expect(published.map((p) => [p.userId, p.event, (p.data as { status: string }).status])).toEqual([
        ["u_1", "app_status", "creating"],
        ["sub-2", "app_status", "active"],
        ["carol", "app_status", "stopped"]
      ])
      expect(published[1]?.data).toMatchObject({ app_id, version: 3, timestamp: expect.any(String) })
    }).pipe(Effect.provide(layer))
  )
})
