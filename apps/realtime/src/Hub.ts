/**
 * The hub without its transport: the Socket.IO server (with the Redis adapter when `REDIS_URL` is
 * set), presence, limits, metrics, and the operations the HTTP side calls (broadcast, counts,
 * presence queries). `Serve.ts` puts it on an engine and a port.
 */
import { createAdapter } from "@socket.io/redis-adapter"
import { type BroadcastRequest, type ChannelPresence, Rooms, type UserPresence } from "@switchyard/realtime"
import { Option, Redacted } from "effect"
import { Redis } from "ioredis"
import { Server, type ServerOptions, type Socket } from "socket.io"
import * as ChannelAuth from "./ChannelAuth.ts"
import * as Limits from "./Limits.ts"
import * as Metrics from "./Metrics.ts"
import * as Presence from "./Presence.ts"
import type { HubSettings } from "./Settings.ts"
import { announce, install, type SocketData, type Verification } from "./SocketHandlers.ts"

/** The server-side event instances answer with their local count of a room. */
const COUNT_ROOM = "switchyard:count-room"

/** A running hub (without a port). */
export interface Hub {
  readonly io: Server
  readonly settings: HubSettings
  readonly metrics: Metrics.Metrics
  readonly presence: Presence.Presence
  readonly limits: Limits.Limits
  readonly instanceId: string
  readonly startedAt: number
  /** Sends one broadcast; resolves with the sockets in its room on every instance. */
  readonly broadcast: (request: BroadcastRequest) => Promise<{ room: string | null; recipients: number }>
  /** Sends broadcasts without counting (the publishers' batches). */
  readonly send: (request: BroadcastRequest) => void
  readonly userPresence: (userId: string) => Promise<UserPresence>
  readonly channelPresence: (channel: string) => Promise<ChannelPresence>
  /** Rooms on this instance, and whether Redis answers. */
  readonly status: () => Promise<{ rooms: number; redis: "disabled" | "ok" | "unreachable" }>
  readonly close: () => Promise<void>
}

/** The room a broadcast goes to. */
export const roomOf = (request: BroadcastRequest): string =>
  request.to === "user"
    ? Rooms.userRoom(request.user_id)
    : request.to === "thread"
      ? Rooms.threadRoom(request.thread_id)
      : request.to === "channel"
        ? request.channel
        : Rooms.AUTHENTICATED_ROOM

/** Builds the hub. `ipOf` says where a socket connected from (the engine knows). */
export const make = async (
  settings: HubSettings,
  verify: (token: string) => Promise<Verification>,
  ipOf: (socket: Socket) => string,
  serverOptions: Partial<ServerOptions> = {}
): Promise<Hub> => {
  const instanceId = crypto.randomUUID()
  const io = new Server({
    ...serverOptions,
    cors: { origin: [...settings.corsOrigins], credentials: true },
    // Big enough for the seed's payloads; a socket sending more is cut off by the engine.
    maxHttpBufferSize: 64 * 1024
  })
  const metrics = Metrics.make()

  let redis: { pub: Redis; sub: Redis } | undefined
  if (Option.isSome(settings.redisUrl)) {
    const url = Redacted.value(settings.redisUrl.value)
    const pub = new Redis(url, { maxRetriesPerRequest: 2 })
    const sub = pub.duplicate()
    for (const client of [pub, sub]) {
      client.on("error", (error: Error) => console.error(`realtime: redis: ${error.message}`))
    }
    redis = { pub, sub }
    io.adapter(createAdapter(pub, sub, { key: settings.redisPrefix, requestsTimeout: 2_000 }))
  }

  const presence = redis
    ? Presence.redis(redis.pub, {
        prefix: settings.redisPrefix,
        instanceId,
        heartbeatMs: settings.presenceHeartbeatMs,
        ttlMs: settings.presenceTtlMs
      })
    : Presence.memory()
  const limits = Limits.make(settings, settings.redisPrefix, redis?.pub)

  install(io, {
    settings,
    verify,
    presence,
    limits,
    metrics,
    channelAuth: ChannelAuth.make(settings.channelAuthUrl),
    ipOf
  })
  presence.start((userId, lastSeen) => announce(io, userId, false, lastSeen))

  const localCount = (room: string) => io.of("/").adapter.rooms.get(room)?.size ?? 0
  if (redis) {
    io.on(
      COUNT_ROOM as never,
      ((room: unknown, reply: (count: number) => void) =>
        reply(typeof room === "string" ? localCount(room) : 0)) as never
    )
  }

  /** Sockets in `room` here plus on every other instance (which answer within the adapter's timeout). */
  const count = async (room: string): Promise<number> => {
    const here = localCount(room)
    if (!redis) return here
    try {
      const others = (await io.serverSideEmitWithAck(COUNT_ROOM as never, room as never)) as Array<number>
      return others.reduce((sum, n) => sum + (typeof n === "number" ? n : 0), here)
    } catch {
      // An instance did not answer in time: the count of those that did.
      return here
    }
  }

  const send = (request: BroadcastRequest) => {
    io.to(roomOf(request)).emit(request.event as never, request.data as never)
    metrics.broadcast(request.to, 0)
  }

  return {
    io,
    settings,
    metrics,
    presence,
    limits,
    instanceId,
    startedAt: Date.now(),
    send,
    broadcast: async (request) => {
      const room = roomOf(request)
      io.to(room).emit(request.event as never, request.data as never)
      const recipients = await count(room)
      metrics.broadcast(request.to, recipients)
      return { room: request.to === "all" ? null : room, recipients }
    },
    userPresence: async (userId) => {
      const seen = await presence.lookup(userId)
      return {
        user_id: userId,
        online: seen.connections > 0,
        connections: seen.connections,
        last_seen:
          seen.connections > 0
            ? new Date().toISOString()
            : seen.lastSeen === null
              ? null
              : new Date(seen.lastSeen).toISOString()
      }
    },
    channelPresence: async (channel) => {
      const sockets = await io.in(channel).fetchSockets()
      const users = new Map<string, string | null>()
      for (const socket of sockets) {
        const user = (socket.data as SocketData).user
        if (user !== undefined) users.set(user.id, user.name)
      }
      return {
        channel,
        users: [...users].map(([user_id, name]) => ({ user_id, name })),
        sockets: sockets.length
      }
    },
    status: async () => ({
      rooms: io.of("/").adapter.rooms.size,
      redis: redis
        ? await redis.pub.ping().then(
            () => "ok" as const,
            () => "unreachable" as const
          )
        : "disabled"
    }),
    close: async () => {
      await presence.stop()
      io.disconnectSockets(true)
      await new Promise<void>((resolve) => io.close(() => resolve()))
      if (redis) await Promise.allSettled([redis.pub.quit(), redis.sub.quit()])
    }
  }
}
