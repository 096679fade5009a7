/**
 * The HTTP side: the broadcast API's key (SHA-256 hash and raw key both accepted; a missing or
 * wrong key gets the same 401), its bad inputs (400 naming the field, 413 over the size cap, 429
 * over the rate), counts for user, thread, channel and all, the keyed presence query, and `/`,
 * `/health`, `/status`, `/metrics`.
 */
import { createHash } from "node:crypto"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@effect/vitest"
import {
  API_KEY,
  broadcast,
  closeSockets,
  type HubProcess,
  next,
  signedIn,
  startHub,
  stopAll
} from "./HubProcess.ts"

afterEach(closeSockets)
afterAll(stopAll)

const HASHED_KEY = "a-key-only-its-hash-is-configured"

let hub: HubProcess
beforeAll(async () => {
  hub = await startHub({
    WEBSOCKET_API_KEY_HASH: createHash("sha256").update(HASHED_KEY).digest("hex"),
    REALTIME_MAX_BROADCAST_BYTES: "2048"
  })
})

describe("the broadcast API", () => {
  it("reaches a user's sockets and answers how many", async () => {
    const a = await signedIn(hub.url, "websocket", 101)
    const b = await signedIn(hub.url, "polling", 101)
    await signedIn(hub.url, "websocket", 102)
    const gotA = next(a, "notification")
    const gotB = next(b, "notification")
    const res = await broadcast(hub.url, {
      event: "notification",
      to: "user",
      user_id: 101,
      data: { id: "n1" }
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      success: true,
      event: "notification",
      room: "user.101",
      recipients: 2
    })
    expect(await gotA).toEqual({ id: "n1" })
    expect(await gotB).toEqual({ id: "n1" })
  })

  it("counts a thread's and a channel's members, and everyone for all", async () => {
    const sockets = await Promise.all([201, 202, 203].map((id) => signedIn(hub.url, "websocket", id)))
    await sockets[0]!.emitWithAck("subscribe", { channel: "thread.77" })
    await sockets[1]!.emitWithAck("subscribe", { channel: "thread.77" })
    await sockets[2]!.emitWithAck("subscribe", { channel: "announcements" })

    const thread = await broadcast(hub.url, { event: "new_reply", to: "thread", thread_id: "77", data: {} })
    expect(await thread.json()).toMatchObject({ room: "thread.77", recipients: 2 })
    const channel = await broadcast(hub.url, {
      event: "news",
      to: "channel",
      channel: "announcements",
      data: {}
    })
    expect(await channel.json()).toMatchObject({ room: "announcements", recipients: 1 })
    const empty = await broadcast(hub.url, { event: "news", to: "channel", channel: "nobody-here", data: {} })
    expect(await empty.json()).toMatchObject({ recipients: 0 })

    const status = (await (await fetch(`${hub.url}/health`)).json()) as { connections: { active: number } }
    const everyone = next(sockets[2]!, "maintenance")
    const all = await broadcast(hub.url, { event: "maintenance", to: "all", data: { at: "soon" } })
    // Every socket open on the hub is authenticated here (each test closes its own).
    expect(await all.json()).toMatchObject({ room: null, recipients: status.connections.active })
    expect(await everyone).toEqual({ at: "soon" })
  })

  it("accepts the key whose SHA-256 is configured, and the raw key; refuses others alike", async () => {
    const body = { event: "ping", to: "all", data: null }
    expect((await broadcast(hub.url, body, HASHED_KEY)).status).toBe(200)
    expect((await broadcast(hub.url, body, API_KEY)).status).toBe(200)
    const answers = await Promise.all(
      [null, "", "wrong", `${API_KEY}x`, HASHED_KEY.toUpperCase()].map(async (key) => {
        const res = await broadcast(hub.url, body, key)
        return { status: res.status, body: await res.text() }
      })
    )
    for (const answer of answers) {
      expect(answer.status).toBe(401)
      // The same answer whatever was wrong: it does not say why.
      expect(answer.body).toBe(answers[0]!.body)
    }
  })

  it("names the field of a bad body", async () => {
    const cases: Array<[unknown, string]> = [
      [{ event: "x", to: "user", data: {} }, "user_id"],
      [{ event: "x", to: "thread", data: {} }, "thread_id"],
      [{ event: "x", to: "channel", data: {} }, "channel"],
      [{ event: "x", to: "channel", channel: "has spaces", data: {} }, "channel"],
      [{ event: "x", to: "everyone", data: {} }, "to"],
      [{ event: "x", data: {} }, "to"],
      [{ to: "all", data: {} }, "event"],
      [{ event: "disconnect", to: "all", data: {} }, "event"],
      [{ event: "x", to: "user", user_id: "../../etc", data: {} }, "user_id"],
      [{ event: "x", to: "user", user_id: -3, data: {} }, "user_id"],
      [[1, 2, 3], "body"],
      ["{not json", "body"]
    ]
    for (const [body, field] of cases) {
      const res = await broadcast(hub.url, body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      const answer = (await res.json()) as { code: string; field: string; error: string }
      expect(answer.code).toBe("VALIDATION_ERROR")
      expect(answer.field, JSON.stringify(body)).toBe(field)
      expect(answer.error).toContain(field)
    }
  })

  it("refuses a body over the size cap with 413", async () => {
    const res = await broadcast(hub.url, { event: "x", to: "all", data: "y".repeat(4096) })
    expect(res.status).toBe(413)
    expect(await res.json()).toMatchObject({ success: false, code: "PAYLOAD_TOO_LARGE" })
  })

  it("takes batches (the publishers' path) and validates every item", async () => {
    const socket = await signedIn(hub.url, "websocket", 301)
    const got = next(socket, "usage")
    const res = await fetch(`${hub.url}/api/broadcast/batch`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-websocket-api-key": API_KEY },
      body: JSON.stringify({
        broadcasts: [{ event: "usage", to: "user", user_id: "301", data: { requestId: "r1" } }]
      })
    })
    expect(await res.json()).toMatchObject({ success: true, sent: 1 })
    expect(await got).toEqual({ requestId: "r1" })
    const bad = await fetch(`${hub.url}/api/broadcast/batch`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-websocket-api-key": API_KEY },
      body: JSON.stringify({ broadcasts: [{ event: "usage", to: "user", data: {} }] })
    })
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({ field: "broadcasts.0.user_id" })
  })

  it("answers whether a user is online and who is in a channel, with the key only", async () => {
    const socket = await signedIn(hub.url, "websocket", 401)
    await socket.emitWithAck("subscribe", { channel: "lobby" })
    const headers = { "x-websocket-api-key": API_KEY }
    expect((await fetch(`${hub.url}/api/presence/users/401`)).status).toBe(401)
    const user = await (await fetch(`${hub.url}/api/presence/users/401`, { headers })).json()
    expect(user).toMatchObject({ user_id: "401", online: true, connections: 1 })
    const channel = await (await fetch(`${hub.url}/api/presence/channels/lobby`, { headers })).json()
    expect(channel).toEqual({ channel: "lobby", users: [{ user_id: "401", name: "User 401" }], sockets: 1 })

    const offline = next(socket, "disconnect")
    socket.close()
    await offline
    // The hub sees the close a moment after the client: ask until it has.
    let after = user as { online: boolean; last_seen: string | null }
    while (after.online) {
      after = await (await fetch(`${hub.url}/api/presence/users/401`, { headers })).json()
    }
    expect(after.last_seen).not.toBeNull()
    const never = await (await fetch(`${hub.url}/api/presence/users/999`, { headers })).json()
    expect(never).toEqual({ user_id: "999", online: false, connections: 0, last_seen: null })
  })
})

describe("service routes", () => {
  it("serves /, /health (the seed's status field), /status and /metrics", async () => {
    await signedIn(hub.url, "websocket", 501)
    const info = (await (await fetch(`${hub.url}/`)).json()) as { socket: { transports: Array<string> } }
    expect(info.socket.transports).toEqual(["websocket", "polling"])
    const health = (await (await fetch(`${hub.url}/health`)).json()) as Record<string, unknown>
    expect(health).toMatchObject({ status: "healthy" })
    expect(health).toHaveProperty("uptime")
    expect(health).toHaveProperty("memory.rss")
    expect((health.connections as { active: number }).active).toBeGreaterThanOrEqual(1)
    const status = (await (await fetch(`${hub.url}/status`)).json()) as Record<string, unknown>
    expect(status).toMatchObject({ engine: "bun", redis: "disabled", presence: "memory" })
    expect(status.rooms).toBeGreaterThanOrEqual(2)
    expect(status).toHaveProperty("events_per_minute")
    const metrics = await (await fetch(`${hub.url}/metrics`)).text()
    expect(metrics).toMatch(/^realtime_connections_active \d+$/m)
    expect(metrics).toMatch(/^realtime_broadcasts_total\{to="user"\} [1-9]/m)
    expect((await fetch(`${hub.url}/nothing`)).status).toBe(404)
    expect((await fetch(`${hub.url}/api/broadcast`)).status).toBe(405)
  })
})

describe("the broadcast rate", () => {
  it("answers 429 over REALTIME_BROADCASTS_PER_MINUTE", async () => {
    const limited = await startHub({ REALTIME_BROADCASTS_PER_MINUTE: "3" })
    const statuses: Array<number> = []
    for (let i = 0; i < 5; i++) {
      statuses.push((await broadcast(limited.url, { event: "x", to: "all", data: i })).status)
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429])
    await limited.stop()
  })
})
