/**
 * Two hub instances sharing a real Redis (`TEST_REDIS_URL`, else 127.0.0.1:6379) through the
 * Socket.IO Redis adapter, under a channel prefix of this run's own: a broadcast posted to one
 * reaches sockets on the other and counts them; presence is right across both (online at the
 * first socket anywhere, offline after the last); an instance killed outright takes its sockets'
 * presence with it (announced by the survivor, within TTL + heartbeat: 3.3 s here, 20 s by default);
 * the user limit counts both instances.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@effect/vitest"
import {
  API_KEY,
  broadcast,
  closeSockets,
  connect,
  type HubProcess,
  jwtFor,
  next,
  signedIn,
  startHub,
  stopAll
} from "./HubProcess.ts"

afterEach(closeSockets)
afterAll(stopAll)

const redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379"

/** Two instances of one deployment (a fresh prefix per call). */
const pair = async (env: Record<string, string> = {}) => {
  const shared = {
    REDIS_URL: redisUrl,
    REALTIME_REDIS_PREFIX: `sy-test-${crypto.randomUUID().slice(0, 8)}`,
    REALTIME_PRESENCE_HEARTBEAT_MS: "200",
    REALTIME_PRESENCE_TTL_MS: "3000",
    ...env
  }
  return Promise.all([startHub(shared), startHub(shared)])
}

const presenceOf = async (hub: HubProcess, userId: string) =>
  (await (
    await fetch(`${hub.url}/api/presence/users/${userId}`, { headers: { "x-websocket-api-key": API_KEY } })
  ).json()) as { online: boolean; connections: number; last_seen: string | null }

describe("two instances over Redis", () => {
  let a: HubProcess
  let b: HubProcess
  beforeAll(async () => {
    ;[a, b] = await pair()
  })

  it("delivers a broadcast posted to A to a socket on B, counting the sockets of both", async () => {
    const onA = await signedIn(a.url, "websocket", 1)
    const onB = await signedIn(b.url, "polling", 1)
    const gotA = next(onA, "notification")
    const gotB = next(onB, "notification")
    const res = await broadcast(a.url, { event: "notification", to: "user", user_id: 1, data: { id: "x" } })
    expect(await res.json()).toMatchObject({ recipients: 2 })
    expect(await gotA).toEqual({ id: "x" })
    expect(await gotB).toEqual({ id: "x" })

    await onB.emitWithAck("subscribe", { channel: "thread.3" })
    const reply = next(onB, "new_reply")
    const thread = await broadcast(a.url, { event: "new_reply", to: "thread", thread_id: 3, data: { r: 1 } })
    expect(await thread.json()).toMatchObject({ recipients: 1 })
    expect(await reply).toEqual({ r: 1 })
  })

  it("relays typing and notification reads across instances", async () => {
    const typist = await signedIn(a.url, "websocket", 11)
    const reader = await signedIn(b.url, "websocket", 12)
    await typist.emitWithAck("subscribe", { channel: "thread.4" })
    await reader.emitWithAck("subscribe", { channel: "thread.4" })
    const typing = next(reader, "user_typing")
    typist.emit("typing_start", { thread_id: 4 })
    expect(await typing).toMatchObject({ user_id: "11", typing: true })

    const otherDevice = await signedIn(b.url, "polling", 11)
    const read = next(otherDevice, "notification_updated")
    typist.emit("notification_read", { notification_id: 5 })
    expect(await read).toMatchObject({ notification_id: 5, read: true })
  })

  it("keeps a user online while any instance holds a socket, offline after the last, announced once", async () => {
    const watcher = await signedIn(b.url, "websocket", 20)
    await watcher.emitWithAck("subscribe", { channel: "presence" })
    const offlines: Array<{ user_id: string }> = []
    watcher.on("user_offline", (event: { user_id: string }) => offlines.push(event))

    const online = next(watcher, "user_online")
    const first = await signedIn(a.url, "websocket", 21)
    expect(await online).toMatchObject({ user_id: "21", online: true })
    const second = await signedIn(b.url, "websocket", 21)
    expect(await presenceOf(a, "21")).toMatchObject({ online: true, connections: 2 })

    const firstGone = next(first, "disconnect")
    first.close()
    await firstGone
    let seen = await presenceOf(b, "21")
    while (seen.connections !== 1) seen = await presenceOf(b, "21")
    expect(seen.online).toBe(true)

    const offline = next<{ user_id: string; last_seen: string }>(watcher, "user_offline")
    second.close()
    expect(await offline).toMatchObject({ user_id: "21", online: false })
    expect(await presenceOf(a, "21")).toMatchObject({ online: false, connections: 0 })
    expect(offlines.filter((event) => event.user_id === "21")).toHaveLength(1)
  })

  it("counts a user's sockets on both instances against REALTIME_MAX_CONNECTIONS_PER_USER", async () => {
    const [c, d] = await pair({ REALTIME_MAX_CONNECTIONS_PER_USER: "2" })
    await signedIn(c!.url, "websocket", 30)
    await signedIn(d!.url, "websocket", 30)
    const third = connect(c!.url, "websocket", await jwtFor(30))
    expect(await next(third, "error")).toMatchObject({ code: "RATE_LIMITED" })
  })
})

describe("an instance that dies", () => {
  it("takes its sockets' presence with it within the stated time (heartbeat + TTL)", async () => {
    const [survivor, doomed] = await pair()
    const watcher = await signedIn(survivor!.url, "websocket", 40)
    await watcher.emitWithAck("subscribe", { channel: "presence" })
    const online = next(watcher, "user_online")
    await signedIn(doomed!.url, "websocket", 41)
    await online
    expect(await presenceOf(survivor!, "41")).toMatchObject({ online: true, connections: 1 })

    const offline = next<{ user_id: string; online: boolean }>(watcher, "user_offline")
    // No chance to withdraw anything: the survivor must notice the missing heartbeats.
    await doomed!.kill()
    expect(await offline).toMatchObject({ user_id: "41", online: false })
    expect(await presenceOf(survivor!, "41")).toMatchObject({ online: false, connections: 0 })
  })

  it("withdraws its sockets at once when stopped with SIGTERM", async () => {
    const [survivor, leaving] = await pair({ REALTIME_PRESENCE_TTL_MS: "600000" })
    const watcher = await signedIn(survivor!.url, "websocket", 50)
    await watcher.emitWithAck("subscribe", { channel: "presence" })
    await signedIn(leaving!.url, "websocket", 51)
    const offline = next<{ user_id: string }>(watcher, "user_offline")
    // With a ten-minute TTL only the graceful withdrawal can announce this.
    expect(await leaving!.stop()).toBe(0)
    expect(await offline).toMatchObject({ user_id: "51" })
  })
})
