/**
 * The hub's HTTP side as a web handler (everything but `/socket.io/`): service info, health,
 * status, Prometheus metrics, the keyed broadcast API and the keyed presence query.
 *
 * A plain handler rather than an HttpApi group: the broadcast route is the hub's hot path (the
 * benchmark drives thousands a second) and every answer is small JSON; bodies are decoded with
 * the contract's schemas from `@switchyard/realtime`.
 *
 * Every refusal is `{success:false, error, code[, field]}`: 400 names the field, 401 does not say
 * why, 413 over `REALTIME_MAX_BROADCAST_BYTES`, 429 over `REALTIME_BROADCASTS_PER_MINUTE`.
 */
import {
  BroadcastBatch,
  type BroadcastRequest,
  BroadcastRequest as BroadcastSchema
} from "@switchyard/realtime"
import { Either, ParseResult, Schema } from "effect"
import * as BroadcastKey from "./BroadcastKey.ts"
import type { Hub } from "./Hub.ts"

const json = (status: number, body: unknown, headers?: Record<string, string>) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...headers }
  })

const refuse = (status: number, code: string, error: string, field?: string) =>
  json(status, field === undefined ? { success: false, error, code } : { success: false, error, code, field })

const decodeOne = Schema.decodeUnknownEither(BroadcastSchema)
const decodeBatch = Schema.decodeUnknownEither(BroadcastBatch)

/** The first problem of a body, with the path of the field it is about. */
const problemOf = (error: ParseResult.ParseError) => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  // With a union by `to`, a wrong `to` fails every member; say so rather than member by member.
  const issue = issues.find((i) => i.path[0] === "to") ?? issues[0]
  const field = issue?.path.join(".") || "body"
  return { field, message: `${field}: ${issue?.message ?? "is invalid"}` }
}

const USER_PATH = /^\/api\/presence\/users\/([A-Za-z0-9_-]{1,64})$/
const CHANNEL_PATH = /^\/api\/presence\/channels\/([^/]{1,200})$/

/** Builds the handler. `engine` is reported by `/` and `/status`. */
export const make = (hub: Hub, engine: "bun" | "node") => {
  const keyOk = BroadcastKey.make(hub.settings)
  const max = hub.settings.maxBroadcastBytes

  /** The body as JSON, or the refusal to answer. */
  const readBody = async (
    req: Request
  ): Promise<{ ok: true; body: unknown } | { ok: false; res: Response }> => {
    const declared = Number(req.headers.get("content-length") ?? "0")
    if (declared > max)
      return { ok: false, res: refuse(413, "PAYLOAD_TOO_LARGE", `The body is over ${max} bytes`) }
    const bytes = await req.arrayBuffer()
    if (bytes.byteLength > max) {
      return { ok: false, res: refuse(413, "PAYLOAD_TOO_LARGE", `The body is over ${max} bytes`) }
    }
    let body: unknown
    try {
      body = JSON.parse(new TextDecoder().decode(bytes))
    } catch {
      return { ok: false, res: refuse(400, "VALIDATION_ERROR", "body: is not valid JSON", "body") }
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return { ok: false, res: refuse(400, "VALIDATION_ERROR", "body: must be a JSON object", "body") }
    }
    return { ok: true, body }
  }

  /** The key and the rate, before any body is read. */
  const admit = async (req: Request): Promise<Response | undefined> => {
    if (!keyOk(req.headers.get("x-websocket-api-key"))) return refuse(401, "AUTH_FAILED", "Unauthorized")
    if (!(await hub.limits.admitBroadcast())) {
      return json(
        429,
        { success: false, error: "Too many broadcasts; slow down", code: "RATE_LIMITED" },
        { "retry-after": "1" }
      )
    }
    return undefined
  }

  const broadcast = async (req: Request) => {
    const refused = await admit(req)
    if (refused) return refused
    const read = await readBody(req)
    if (!read.ok) return read.res
    const decoded = decodeOne(read.body)
    if (Either.isLeft(decoded)) {
      const problem = problemOf(decoded.left)
      return refuse(400, "VALIDATION_ERROR", problem.message, problem.field)
    }
    const request: BroadcastRequest = decoded.right
    const { room, recipients } = await hub.broadcast(request)
    return json(200, {
      success: true,
      event: request.event,
      room,
      recipients,
      timestamp: new Date().toISOString()
    })
  }

  const batch = async (req: Request) => {
    const refused = await admit(req)
    if (refused) return refused
    const read = await readBody(req)
    if (!read.ok) return read.res
    const decoded = decodeBatch(read.body)
    if (Either.isLeft(decoded)) {
      const problem = problemOf(decoded.left)
      return refuse(400, "VALIDATION_ERROR", problem.message, problem.field)
    }
    for (const request of decoded.right.broadcasts) hub.send(request)
    return json(200, {
      success: true,
      sent: decoded.right.broadcasts.length,
      timestamp: new Date().toISOString()
    })
  }

  const health = async () => {
    const { redis } = await hub.status()
    const memory = process.memoryUsage()
    return json(redis === "unreachable" ? 503 : 200, {
      status: redis === "unreachable" ? "unhealthy" : "healthy",
      timestamp: new Date().toISOString(),
      uptime: Math.round((Date.now() - hub.startedAt) / 1000),
      memory: { rss: memory.rss, heapUsed: memory.heapUsed, heapTotal: memory.heapTotal },
      connections: hub.metrics.connections(),
      ...(redis === "unreachable" ? { error: "Redis is unreachable" } : {})
    })
  }

  const status = async () => {
    const { rooms, redis } = await hub.status()
    const { settings } = hub
    return json(200, {
      status: redis === "unreachable" ? "unhealthy" : "healthy",
      instance: hub.instanceId,
      engine,
      uptime: Math.round((Date.now() - hub.startedAt) / 1000),
      connections: hub.metrics.connections(),
      rooms,
      events_per_minute: hub.metrics.eventsPerMinute(),
      redis,
      presence: hub.presence.backend,
      limits: {
        connections_per_ip: settings.maxConnectionsPerIp,
        connections_per_user: settings.maxConnectionsPerUser,
        connections_per_minute: settings.connectionsPerMinute,
        events_per_minute: settings.eventsPerMinute,
        broadcasts_per_minute: settings.broadcastsPerMinute,
        max_broadcast_bytes: settings.maxBroadcastBytes,
        auth_grace_ms: settings.authGraceMs
      }
    })
  }

  const info = () =>
    json(200, {
      service: "switchyard-realtime",
      description: "Seed 001's realtime hub: Socket.IO delivery and the broadcast API",
      engine,
      socket: { path: "/socket.io/", transports: ["websocket", "polling"] },
      endpoints: {
        "GET /health": "liveness and connection counts",
        "GET /status": "rooms, events per minute, Redis, limits",
        "GET /metrics": "Prometheus metrics",
        "POST /api/broadcast": "send an event to a user, thread, channel or everyone (X-WebSocket-API-Key)",
        "POST /api/broadcast/batch": "send several events at once (X-WebSocket-API-Key)",
        "GET /api/presence/users/:id": "whether a user is online (X-WebSocket-API-Key)",
        "GET /api/presence/channels/:channel": "who is in a channel (X-WebSocket-API-Key)"
      }
    })

  const presence = async (req: Request, path: string) => {
    if (!keyOk(req.headers.get("x-websocket-api-key"))) return refuse(401, "AUTH_FAILED", "Unauthorized")
    const user = USER_PATH.exec(path)
    if (user) return json(200, await hub.userPresence(user[1]!))
    const channel = CHANNEL_PATH.exec(path)
    if (channel) {
      let name: string
      try {
        name = decodeURIComponent(channel[1]!)
      } catch {
        return refuse(400, "VALIDATION_ERROR", "channel: is not a valid channel name", "channel")
      }
      return json(200, await hub.channelPresence(name))
    }
    return refuse(400, "VALIDATION_ERROR", "id: is not a valid user id or channel name", "id")
  }

  return async (req: Request): Promise<Response> => {
    const path = new URL(req.url).pathname
    const method = req.method
    if (method === "POST" && path === "/api/broadcast") return broadcast(req)
    if (method === "POST" && path === "/api/broadcast/batch") return batch(req)
    if (method === "GET") {
      if (path === "/") return info()
      if (path === "/health") return health()
      if (path === "/status") return status()
      if (path === "/metrics") {
        return new Response(await hub.metrics.registry.metrics(), {
          headers: { "content-type": hub.metrics.registry.contentType }
        })
      }
      if (path.startsWith("/api/presence/")) return presence(req, path)
    }
    if (path === "/api/broadcast" || path === "/api/broadcast/batch") {
      return refuse(405, "METHOD_NOT_ALLOWED", "Use POST", undefined)
    }
    return refuse(404, "NOT_FOUND", `No route for ${method} ${path}`)
  }
}
