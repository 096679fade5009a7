/**
 * The seed's limits as settings: connections per IP, connections per minute, connections per
 * user, and events per minute by class (messages, notifications, typing). A refusal is the
 * seed's `RATE_LIMITED` code: on `connect_error` for connections, on `error` for events.
 */
import { afterAll, afterEach, describe, expect, it } from "@effect/vitest"
import { closeSockets, connect, jwtFor, next, signedIn, startHub, stopAll } from "./HubProcess.ts"

afterEach(closeSockets)
afterAll(stopAll)

const connectError = (socket: ReturnType<typeof connect>) =>
  new Promise<{ message: string; data?: { code: string } }>((resolve) =>
    socket.once("connect_error", (error) => resolve(error as never))
  )

describe("connection limits", () => {
  it("refuses a connection over REALTIME_MAX_CONNECTIONS_PER_IP, and admits again once one closes", async () => {
    const hub = await startHub({ REALTIME_MAX_CONNECTIONS_PER_IP: "2" })
    const first = connect(hub.url, "websocket")
    const second = connect(hub.url, "polling")
    await Promise.all([next(first, "connected"), next(second, "connected")])
    const third = connect(hub.url, "websocket")
    expect((await connectError(third)).data).toEqual({ code: "RATE_LIMITED" })
    const closed = next(first, "disconnect")
    first.close()
    await closed
    // The hub frees the slot when it sees the close: try until admitted.
    let admitted = false
    while (!admitted) {
      const again = connect(hub.url, "websocket")
      admitted = await Promise.race([
        next(again, "connected").then(() => true),
        connectError(again).then(() => false)
      ])
    }
    expect(admitted).toBe(true)
  })

  it("refuses connections over REALTIME_CONNECTIONS_PER_MINUTE from one address", async () => {
    const hub = await startHub({ REALTIME_CONNECTIONS_PER_MINUTE: "3" })
    for (let i = 0; i < 3; i++) {
      const socket = connect(hub.url, "websocket")
      await next(socket, "connected")
      socket.close()
    }
    const fourth = connect(hub.url, "websocket")
    expect((await connectError(fourth)).data).toEqual({ code: "RATE_LIMITED" })
  })

  it("refuses a user's socket over REALTIME_MAX_CONNECTIONS_PER_USER", async () => {
    const hub = await startHub({ REALTIME_MAX_CONNECTIONS_PER_USER: "2" })
    await signedIn(hub.url, "websocket", 1)
    await signedIn(hub.url, "websocket", 1)
    const third = connect(hub.url, "websocket", await jwtFor(1))
    const error = next<{ code: string }>(third, "error")
    const dropped = next<string>(third, "disconnect")
    expect((await error).code).toBe("RATE_LIMITED")
    expect(await dropped).toBe("io server disconnect")
    // Another user is not affected.
    await signedIn(hub.url, "websocket", 2)
  })
})

describe("event limits", () => {
  it("counts messages, notifications and typing per user per minute, each against its own allowance", async () => {
    const hub = await startHub({
      REALTIME_MESSAGES_PER_MINUTE: "3",
      REALTIME_NOTIFICATIONS_PER_MINUTE: "2",
      REALTIME_TYPING_PER_MINUTE: "4"
    })
    const socket = await signedIn(hub.url, "websocket", 5)
    const subscribes = []
    for (let i = 0; i < 4; i++)
      subscribes.push(await socket.emitWithAck("subscribe", { channel: "thread.1" }))
    expect(subscribes.map((ack) => (ack as { success: boolean }).success)).toEqual([true, true, true, false])
    expect(subscribes[3]).toMatchObject({ code: "RATE_LIMITED" })

    const reads = []
    for (let i = 0; i < 3; i++)
      reads.push(await socket.emitWithAck("notification_read", { notification_id: i }))
    expect(reads).toEqual([
      { success: true },
      { success: true },
      expect.objectContaining({ code: "RATE_LIMITED" })
    ])

    const typing = []
    for (let i = 0; i < 5; i++) typing.push(await socket.emitWithAck("typing_start", { thread_id: 1 }))
    expect(typing.map((ack) => (ack as { success: boolean }).success)).toEqual([
      true,
      true,
      true,
      true,
      false
    ])

    // The allowance is the user's, not the socket's: a second socket of the same user is limited too.
    const other = await signedIn(hub.url, "polling", 5)
    const error = next<{ code: string; details: { limit: number } }>(other, "error")
    other.emit("notification_read", { notification_id: 9 })
    expect(await error).toMatchObject({ code: "RATE_LIMITED", details: { limit: 2 } })
  })
})
