/**
 * What the seed's backend decides, asked over HTTP by the hub: opaque (Sanctum) tokens checked by
 * `LARAVEL_API_URL`'s user endpoint and cached briefly, and `private-*` channels authorised by
 * `REALTIME_CHANNEL_AUTH_URL` in Laravel's broadcasting-auth shape. The backend is a real HTTP
 * server on loopback.
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@effect/vitest"
import {
  closeSockets,
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

/** The fake backend: what it was asked, and its answers. */
const asked = {
  user: [] as Array<string>,
  channelAuth: [] as Array<{ socket: string; channel: string; bearer: string }>
}
let backend: http.Server
let backendUrl: string
let allowedBearer = ""

beforeAll(async () => {
  backend = http.createServer((req, res) => {
    const bearer = (req.headers.authorization ?? "").replace(/^Bearer /, "")
    if (req.method === "GET" && req.url === "/api/user") {
      asked.user.push(bearer)
      if (bearer === "1|sanctum-good-token") {
        res.writeHead(200, { "content-type": "application/json" })
        return res.end(JSON.stringify({ id: 77, name: "Taylor", email: "t@example.com" }))
      }
      if (bearer === "1|sanctum-backend-down") {
        res.writeHead(500)
        return res.end("boom")
      }
      res.writeHead(401, { "content-type": "application/json" })
      return res.end(JSON.stringify({ message: "Unauthenticated." }))
    }
    if (req.method === "POST" && req.url === "/broadcasting/auth") {
      let body = ""
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString()
      })
      req.on("end", () => {
        const form = new URLSearchParams(body)
        const channel = form.get("channel_name") ?? ""
        asked.channelAuth.push({ socket: form.get("socket_id") ?? "", channel, bearer })
        const ok = bearer === allowedBearer && channel === "private-team.1"
        res.writeHead(ok ? 200 : 403, { "content-type": "application/json" })
        res.end(JSON.stringify(ok ? { auth: "signature" } : { message: "Forbidden" }))
      })
      return
    }
    res.writeHead(404)
    res.end()
  })
  await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve))
  backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`
})

afterAll(async () => {
  await stopAll()
  await new Promise((resolve) => backend.close(resolve))
})

describe("tokens the backend vouches for (LARAVEL_API_URL)", () => {
  let hub: HubProcess
  beforeAll(async () => {
    hub = await startHub({ LARAVEL_API_URL: backendUrl })
  })

  it.each(TRANSPORTS)(
    "accepts a token the backend's user endpoint knows, over %s, asking once while cached",
    async (transport) => {
      asked.user.length = 0
      const first = connect(hub.url, transport, "1|sanctum-good-token")
      expect(await next(first, "authenticated")).toMatchObject({
        user: { id: "77", name: "Taylor", via: "laravel" }
      })
      const second = connect(hub.url, transport)
      await next(second, "connected")
      const again = next(second, "authenticated")
      second.emit("authenticate", { token: "1|sanctum-good-token" })
      expect(await again).toMatchObject({ user: { id: "77" } })
      expect(asked.user.filter((token) => token === "1|sanctum-good-token")).toHaveLength(
        transport === "websocket" ? 1 : 0
      )
    }
  )

  it("refuses a token the backend does not know, and says SERVER_ERROR when the backend fails", async () => {
    const unknown = connect(hub.url, "websocket", "1|sanctum-unknown")
    expect(await next(unknown, "authentication_error")).toEqual({
      error: "Invalid or expired token",
      code: "AUTH_FAILED"
    })
    const down = connect(hub.url, "websocket", "1|sanctum-backend-down")
    expect(await next(down, "authentication_error")).toMatchObject({ code: "SERVER_ERROR" })
    // A failure is not cached: the next attempt asks again.
    const before = asked.user.length
    const retry = next(down, "authentication_error")
    down.emit("authenticate", { token: "1|sanctum-backend-down" })
    await retry
    expect(asked.user.length).toBe(before + 1)
  })
})

describe("private channels (REALTIME_CHANNEL_AUTH_URL)", () => {
  let hub: HubProcess
  beforeAll(async () => {
    hub = await startHub({ REALTIME_CHANNEL_AUTH_URL: `${backendUrl}/broadcasting/auth` })
  })

  it.each(TRANSPORTS)(
    "joins when the backend authorises the socket, over %s, refuses otherwise",
    async (transport) => {
      const token = await jwtFor(60)
      allowedBearer = token
      // Signed in with that very token: a second jwtFor(60) differs once the clock passes a second.
      const member = connect(hub.url, transport, token)
      await next(member, "authenticated")
      const stranger = await signedIn(hub.url, transport, 61)
      asked.channelAuth.length = 0
      expect(await member.emitWithAck("subscribe", { channel: "private-team.1" })).toEqual({
        success: true,
        channel: "private-team.1"
      })
      expect(asked.channelAuth).toEqual([{ socket: member.id, channel: "private-team.1", bearer: token }])
      const denied = next<{ code: string }>(stranger, "error")
      expect(await stranger.emitWithAck("subscribe", { channel: "private-team.1" })).toMatchObject({
        success: false,
        code: "PERMISSION_DENIED"
      })
      expect((await denied).code).toBe("PERMISSION_DENIED")
      expect(await member.emitWithAck("subscribe", { channel: "private-team.2" })).toMatchObject({
        success: false,
        code: "PERMISSION_DENIED"
      })
    }
  )
})
