/**
 * Puts the hub on a port with one of two Socket.IO engines:
 *
 * - `bun`: `@socket.io/bun-engine` on `Bun.serve` (bun's own WebSocket and HTTP server); the
 *   HTTP routes are answered in the same `fetch` before `/socket.io/` is handed to the engine.
 * - `node`: Socket.IO's own engine (engine.io + ws) on `node:http`, under Node or bun; the other
 *   requests go to the same web handler through a small adapter.
 *
 * Both serve the `websocket` and `polling` transports; `bench/realtime` compares them.
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import type { Socket } from "socket.io"
import * as HttpRoutes from "./HttpRoutes.ts"
import * as Hub from "./Hub.ts"
import type { HubSettings } from "./Settings.ts"
import type { Verification } from "./SocketHandlers.ts"

/** A hub listening on a port. */
export interface Listening {
  readonly hub: Hub.Hub
  readonly url: string
  readonly close: () => Promise<void>
}

const SOCKET_PATH = "/socket.io/"

/** Starts the hub with the engine its settings name. */
export const start = (
  settings: HubSettings,
  verify: (token: string) => Promise<Verification>
): Promise<Listening> =>
  settings.engine === "bun" ? startBun(settings, verify) : startNode(settings, verify)

const startBun = async (
  settings: HubSettings,
  verify: (token: string) => Promise<Verification>
): Promise<Listening> => {
  const { Server: Engine } = await import("@socket.io/bun-engine")
  // The engine hands sockets the web Request of their handshake; its address is looked up here.
  const addresses = new WeakMap<Request, string>()
  const hub = await Hub.make(
    settings,
    verify,
    (socket: Socket) => addresses.get(socket.request as never) ?? "unknown"
  )
  const engine = new Engine({ path: SOCKET_PATH, maxHttpBufferSize: 64 * 1024 })
  hub.io.bind(engine as never)
  const routes = HttpRoutes.make(hub, "bun")
  const { websocket } = engine.handler()
  const server = Bun.serve({
    port: settings.port,
    hostname: settings.hostname,
    idleTimeout: 30,
    maxRequestBodySize: Math.max(settings.maxBroadcastBytes * 2, 1024 * 1024),
    fetch: (req, srv) => {
      if (new URL(req.url).pathname.startsWith(SOCKET_PATH)) {
        addresses.set(req, srv.requestIP(req)?.address ?? "unknown")
        return engine.handleRequest(req, srv)
      }
      return routes(req)
    },
    websocket,
    error: (error) => {
      console.error("realtime: request failed:", error.message)
      return new Response(JSON.stringify({ success: false, error: "Internal error", code: "SERVER_ERROR" }), {
        status: 500,
        headers: { "content-type": "application/json" }
      })
    }
  })
  return {
    hub,
    url: `http://${settings.hostname === "0.0.0.0" ? "127.0.0.1" : settings.hostname}:${server.port}`,
    close: async () => {
      await hub.close()
      await server.stop(true)
    }
  }
}

const startNode = async (
  settings: HubSettings,
  verify: (token: string) => Promise<Verification>
): Promise<Listening> => {
  const hub = await Hub.make(settings, verify, (socket: Socket) => socket.handshake.address)
  const routes = HttpRoutes.make(hub, "node")
  const server = http.createServer((req, res) => {
    // Socket.IO answers its own path (it registers before this listener runs for those requests).
    if (req.url?.startsWith(SOCKET_PATH)) return
    void answer(routes, settings.maxBroadcastBytes, req, res)
  })
  hub.io.attach(server, { path: SOCKET_PATH, maxHttpBufferSize: 64 * 1024 })
  await new Promise<void>((resolve) => server.listen(settings.port, settings.hostname, resolve))
  const { port } = server.address() as AddressInfo
  return {
    hub,
    url: `http://${settings.hostname === "0.0.0.0" ? "127.0.0.1" : settings.hostname}:${port}`,
    close: async () => {
      await hub.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

/** Runs the web handler for a node:http request. */
const answer = async (
  handler: (req: Request) => Promise<Response>,
  maxBytes: number,
  req: http.IncomingMessage,
  res: http.ServerResponse
) => {
  try {
    const chunks: Array<Buffer> = []
    let size = 0
    for await (const chunk of req) {
      size += (chunk as Buffer).length
      // Past the cap the rest is drained, not kept: the handler answers 413.
      if (size <= maxBytes) chunks.push(chunk as Buffer)
    }
    const headers = new Headers()
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === "string") headers.set(name, value)
      else if (Array.isArray(value)) for (const item of value) headers.append(name, item)
    }
    const hasBody = req.method !== "GET" && req.method !== "HEAD"
    const response = await handler(
      new Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, {
        method: req.method ?? "GET",
        headers,
        ...(hasBody ? { body: size > maxBytes ? Buffer.alloc(maxBytes + 1) : Buffer.concat(chunks) } : {})
      })
    )
    res.writeHead(response.status, Object.fromEntries(response.headers))
    res.end(Buffer.from(await response.arrayBuffer()))
  } catch (error) {
    console.error("realtime: request failed:", error instanceof Error ? error.message : error)
    if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" })
    res.end(JSON.stringify({ success: false, error: "Internal error", code: "SERVER_ERROR" }))
  }
}
