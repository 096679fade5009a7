/**
 * The Socket.IO side through the real `socket.io-client` 4.8, over both transports and on both
 * engines (`@socket.io/bun-engine` and Socket.IO's Node engine): `connected`, authentication by
 * handshake and by event, bad tokens refused, subscriptions acknowledged, another user's room and
 * private channels refused, typing to the others in a thread, notification reads to the user's
 * other sockets, presence with `last_seen`, validation errors, and the grace period.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@effect/vitest"
import type { Socket } from "socket.io-client"
import {
  broadcast,
  closeSockets,
  collect,
  connect,
  type HubProcess,
  jwtFor,
  next,
  signedIn,
  startHub,
  stopAll,
  TRANSPORTS
} from "./HubProcess.ts"

afterEach(closeSockets)
afterAll(stopAll)

interface ErrorEvent {
  readonly error: string
  readonly code: string
  readonly details: unknown
  readonly timestamp: string
}

/** Waits until everything sent to `socket` before now has arrived (a broadcast to its user comes last). */
const drained = async (url: string, socket: Socket, userId: string | number) => {
  const marker = next(socket, "marker")
  await broadcast(url, { event: "marker", to: "user", user_id: userId, data: {} })
  await marker
}

describe.each(["bun", "node"] as const)("engine %s", (engine) => {
  let hub: HubProcess
  /** A hub with a short grace period, only for the test of it (a slow machine must not drop the others' sockets). */
  let impatient: HubProcess
  beforeAll(async () => {
    ;[hub, impatient] = await Promise.all([
      startHub({ REALTIME_ENGINE: engine }),
      startHub({ REALTIME_ENGINE: engine, REALTIME_AUTH_GRACE_MS: "1000" })
    ])
  })

  describe.each(TRANSPORTS)("over %s", (transport) => {
    it("greets with connected, then authenticates by handshake token", async () => {
      const socket = connect(hub.url, transport, await jwtFor(7, { name: "Ada" }))
      // Both listeners before either event: the two packets can arrive in one read, and the client
      // emits them in one go, before an `await` on the first could register the second.
      const greeted = next<{ socketId: string; timestamp: string }>(socket, "connected")
      const signedInEvent = next<{ user: { id: string; name: string; via: string }; socketId: string }>(
        socket,
        "authenticated"
      )
      const connected = await greeted
      expect(connected.socketId).toBe(socket.id)
      expect(Number.isNaN(Date.parse(connected.timestamp))).toBe(false)
      expect(await signedInEvent).toEqual({ user: { id: "7", name: "Ada", via: "jwt" }, socketId: socket.id })
    })

    it("authenticates by the authenticate event, and refuses bad tokens with AUTH_FAILED", async () => {
      const socket = connect(hub.url, transport)
      await next(socket, "connected")
      const bad = [
        await jwtFor(7, { secret: "another-secret-entirely-0123456789" }),
        await jwtFor(7, { expiresIn: "-1m" }),
        // alg "none": unsigned, must never pass.
        `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from('{"sub":"7"}').toString("base64url")}.`,
        "not-a-token-at-all",
        "ef_not_a_real_key"
      ]
      for (const token of bad) {
        const refused = next<{ error: string; code: string }>(socket, "authentication_error")
        socket.emit("authenticate", { token })
        expect((await refused).code).toBe("AUTH_FAILED")
      }
      const missing = next<{ code: string }>(socket, "authentication_error")
      socket.emit("authenticate", {})
      expect((await missing).code).toBe("INVALID_TOKEN")

      const ok = next<{ user: { id: string } }>(socket, "authenticated")
      socket.emit("authenticate", { token: await jwtFor("u-8") })
      expect((await ok).user.id).toBe("u-8")
    })

    it("refuses events before authentication", async () => {
      const socket = connect(hub.url, transport)
      await next(socket, "connected")
      const error = next<ErrorEvent>(socket, "error")
      const ack = await socket.emitWithAck("subscribe", { channel: "news" })
      expect(ack).toMatchObject({ success: false, code: "AUTH_FAILED" })
      expect((await error).code).toBe("AUTH_FAILED")
    })

    it("drops a socket that does not authenticate within the grace period", async () => {
      const socket = connect(impatient.url, transport)
      const error = next<ErrorEvent>(socket, "error")
      const reason = await next<string>(socket, "disconnect")
      expect((await error).code).toBe("AUTH_FAILED")
      expect(reason).toBe("io server disconnect")
    })

    it("subscribes and unsubscribes with acknowledgements; refuses bad names, other users' rooms and private channels", async () => {
      const socket = await signedIn(hub.url, transport, 11)
      expect(await socket.emitWithAck("subscribe", { channel: "thread.5" })).toEqual({
        success: true,
        channel: "thread.5"
      })
      expect(await socket.emitWithAck("subscribe", { channel: "user.11" })).toEqual({
        success: true,
        channel: "user.11"
      })
      const other = await socket.emitWithAck("subscribe", { channel: "user.12" })
      expect(other).toMatchObject({ success: false, code: "PERMISSION_DENIED" })
      // No REALTIME_CHANNEL_AUTH_URL on this hub: every private channel is refused.
      const privateError = next<ErrorEvent>(socket, "error")
      expect(await socket.emitWithAck("subscribe", { channel: "private-team.1" })).toMatchObject({
        success: false,
        code: "PERMISSION_DENIED"
      })
      expect(await privateError).toMatchObject({
        code: "PERMISSION_DENIED",
        details: { channel: "private-team.1" }
      })
      expect(await socket.emitWithAck("subscribe", { channel: "no spaces allowed" })).toMatchObject({
        success: false,
        code: "VALIDATION_ERROR"
      })
      const invalid = next<ErrorEvent>(socket, "error")
      expect(await socket.emitWithAck("subscribe", { room: "thread.5" })).toMatchObject({
        success: false,
        code: "VALIDATION_ERROR"
      })
      expect(await invalid).toMatchObject({ code: "VALIDATION_ERROR", details: { field: "channel" } })

      const received = collect(socket, "thread_updated")
      await broadcast(hub.url, { event: "thread_updated", to: "thread", thread_id: 5, data: { n: 1 } })
      await drained(hub.url, socket, 11)
      expect(received).toEqual([{ n: 1 }])

      expect(await socket.emitWithAck("unsubscribe", { channel: "thread.5" })).toEqual({
        success: true,
        channel: "thread.5"
      })
      await broadcast(hub.url, { event: "thread_updated", to: "thread", thread_id: 5, data: { n: 2 } })
      await drained(hub.url, socket, 11)
      expect(received).toEqual([{ n: 1 }])
    })

    it("sends user_typing to the others in the thread, not to the typist, and only from a member", async () => {
      const typist = await signedIn(hub.url, transport, 21)
      const reader = await signedIn(hub.url, transport, 22)
      const outsider = await signedIn(hub.url, transport, 23)
      await typist.emitWithAck("subscribe", { channel: "thread.9" })
      await reader.emitWithAck("subscribe", { channel: "thread.9" })
      const typistSaw = collect(typist, "user_typing")
      const outsiderSaw = collect(outsider, "user_typing")

      const started = next(reader, "user_typing")
      expect(await typist.emitWithAck("typing_start", { thread_id: 9 })).toEqual({ success: true })
      expect(await started).toEqual({ user_id: "21", name: "User 21", thread_id: "9", typing: true })
      const stopped = next(reader, "user_typing")
      typist.emit("typing_stop", { thread_id: "9" })
      expect(await stopped).toEqual({ user_id: "21", name: "User 21", thread_id: "9", typing: false })

      const denied = next<ErrorEvent>(outsider, "error")
      expect(await outsider.emitWithAck("typing_start", { thread_id: 9 })).toMatchObject({
        success: false,
        code: "PERMISSION_DENIED"
      })
      expect((await denied).code).toBe("PERMISSION_DENIED")

      await drained(hub.url, typist, 21)
      await drained(hub.url, outsider, 23)
      expect(typistSaw).toEqual([])
      expect(outsiderSaw).toEqual([])
    })

    it("sends notification_updated to the user's other sockets when one reads a notification", async () => {
      const phone = await signedIn(hub.url, transport, 31)
      const laptop = await signedIn(hub.url, transport, 31)
      const stranger = await signedIn(hub.url, transport, 32)
      const phoneSaw = collect(phone, "notification_updated")
      const strangerSaw = collect(stranger, "notification_updated")
      const updated = next<{ notification_id: string; read: boolean }>(laptop, "notification_updated")
      expect(await phone.emitWithAck("notification_read", { notification_id: "notif_1" })).toEqual({
        success: true
      })
      expect(await updated).toMatchObject({ notification_id: "notif_1", read: true })
      await drained(hub.url, phone, 31)
      await drained(hub.url, stranger, 32)
      expect(phoneSaw).toEqual([])
      expect(strangerSaw).toEqual([])

      const invalid = next<ErrorEvent>(phone, "error")
      phone.emit("notification_read", { notification_id: "" })
      expect(await invalid).toMatchObject({ code: "VALIDATION_ERROR", details: { field: "notification_id" } })
    })

    it("announces user_online at a user's first socket and user_offline with last_seen after the last", async () => {
      const watcher = await signedIn(hub.url, transport, 41)
      await watcher.emitWithAck("subscribe", { channel: "presence" })
      const online = next<{ user_id: string; online: boolean; last_seen: string }>(watcher, "user_online")
      const first = await signedIn(hub.url, transport, 42)
      expect(await online).toMatchObject({ user_id: "42", online: true })
      const onlineEvents = collect(watcher, "user_online")
      const offlineEvents = collect<{ user_id: string; last_seen: string }>(watcher, "user_offline")
      const second = await signedIn(hub.url, transport, 42)

      first.close()
      await drained(hub.url, watcher, 41)
      const before = Date.now()
      const offline = next<{ user_id: string; online: boolean; last_seen: string }>(watcher, "user_offline")
      second.close()
      const gone = await offline
      expect(gone).toMatchObject({ user_id: "42", online: false })
      expect(Date.parse(gone.last_seen)).toBeGreaterThanOrEqual(before - 1000)
      // The second socket neither announced the user again nor did closing the first take them offline.
      expect(onlineEvents).toEqual([])
      expect(offlineEvents.filter((event) => event.user_id === "42")).toHaveLength(1)
    })
  })
})
