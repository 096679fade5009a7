/**
 * What the hub does with each socket (seed 001's client side): greet it with `connected`,
 * authenticate it (handshake `auth.token` or the `authenticate` event) within the grace period,
 * put it in its user's room, let it subscribe to threads and channels, relay typing and
 * notification reads, announce presence, and answer every refusal with the seed's `error` event.
 */
import {
  type AuthenticatedUser,
  AuthenticatePayload,
  ChannelPayload,
  type ErrorCode,
  type ErrorEvent,
  EventName,
  NotificationReadPayload,
  type PresenceChange,
  Rooms,
  type SubscriptionAck,
  TypingPayload
} from "@switchyard/realtime"
import { Either, ParseResult, Schema } from "effect"
import type { Server, Socket } from "socket.io"
import type { ChannelAuth } from "./ChannelAuth.ts"
import type { EventClass, Limits } from "./Limits.ts"
import type { Metrics } from "./Metrics.ts"
import type { Presence } from "./Presence.ts"
import type { HubSettings } from "./Settings.ts"

/** What checking a token can answer. */
export type Verification =
  | { readonly _tag: "valid"; readonly user: AuthenticatedUser }
  | { readonly _tag: "invalid" }
  | { readonly _tag: "unavailable" }

/** What a socket carries once the middleware and authentication have run. */
export interface SocketData {
  ip: string
  user?: AuthenticatedUser
  /** Kept to ask the backend about private channels on the socket's behalf. */
  token?: string
  /** Set while a token is being checked, so two `authenticate` events cannot both count. */
  authenticating?: boolean
}

/** Everything the handlers need. */
export interface HandlerDeps {
  readonly settings: HubSettings
  readonly verify: (token: string) => Promise<Verification>
  readonly presence: Presence
  readonly limits: Limits
  readonly metrics: Metrics
  readonly channelAuth: ChannelAuth
  /** The client's address, as the engine saw it. */
  readonly ipOf: (socket: Socket) => string
}

/** Socket.IO's default (untyped) event maps, with the hub's own socket data. */
// biome-ignore lint/suspicious/noExplicitAny: the events are checked by their schemas, not by Socket.IO's types
type AnyEvents = Record<string, (...args: Array<any>) => void>
type HubSocket = Socket<AnyEvents, AnyEvents, AnyEvents, SocketData>

const now = () => new Date().toISOString()

/** The field and message of the first problem in a payload. */
const problemOf = (error: ParseResult.ParseError) => {
  const [issue] = ParseResult.ArrayFormatter.formatErrorSync(error)
  return { field: issue?.path.join(".") || "payload", message: issue?.message ?? "is invalid" }
}

/** Announces a presence change to the `presence` channel, on every instance. */
export const announce = (io: Server, userId: string, online: boolean, lastSeen: number) => {
  const change: PresenceChange = { user_id: userId, online, last_seen: new Date(lastSeen).toISOString() }
  io.to(Rooms.PRESENCE_CHANNEL).emit(online ? EventName.userOnline : EventName.userOffline, change)
}

/** Installs the connection middleware and handlers on `io`. */
export const install = (io: Server, deps: HandlerDeps) => {
  const { settings, limits, metrics, presence } = deps

  // Connection limits, before the socket exists: refused with `connect_error` carrying the code.
  io.use((socket, next) => {
    const ip = deps.ipOf(socket)
    limits.admitConnection(ip).then(
      (admitted) => {
        if (!admitted) {
          metrics.refused("RATE_LIMITED")
          const error = new Error("Too many connections from this address") as Error & { data?: unknown }
          error.data = { code: "RATE_LIMITED" satisfies ErrorCode }
          return next(error)
        }
        ;(socket.data as SocketData).ip = ip
        next()
      },
      (error: unknown) => next(error instanceof Error ? error : new Error(String(error)))
    )
  })

  io.on("connection", (raw: Socket) => {
    const socket = raw as unknown as HubSocket
    metrics.connected()
    socket.emit(EventName.connected, { socketId: socket.id, timestamp: now() })

    const fail = (code: ErrorCode, error: string, details: unknown = null) => {
      metrics.refused(code)
      const event: ErrorEvent = { error, code, details, timestamp: now() }
      socket.emit(EventName.error, event)
    }

    const grace = setTimeout(() => {
      if (socket.data.user !== undefined) return
      fail("AUTH_FAILED", "Not authenticated within the grace period")
      socket.disconnect(true)
    }, settings.authGraceMs)

    /** Counts one event of the socket's user (or of the socket, before authentication). */
    const allowed = async (kind: EventClass) => {
      if (await limits.admitEvent(socket.data.user?.id ?? `socket:${socket.id}`, kind)) return true
      fail("RATE_LIMITED", `Too many ${kind} events; try again in a minute`, {
        limit: settings.eventsPerMinute[kind]
      })
      return false
    }

    const authenticate = async (token: string) => {
      if (socket.data.user !== undefined) {
        socket.emit(EventName.authenticated, { user: socket.data.user, socketId: socket.id })
        return
      }
      if (socket.data.authenticating) return
      socket.data.authenticating = true
      try {
        const verdict = await deps.verify(token)
        if (verdict._tag !== "valid") {
          metrics.authFailed()
          socket.emit(
            EventName.authenticationError,
            verdict._tag === "invalid"
              ? { error: "Invalid or expired token", code: "AUTH_FAILED" }
              : { error: "The token could not be checked now; try again", code: "SERVER_ERROR" }
          )
          return
        }
        if (!socket.connected) return
        const user = verdict.user
        const joined = await presence.connect(user.id, settings.maxConnectionsPerUser)
        if (!joined.accepted) {
          fail("RATE_LIMITED", "Too many connections for this user", {
            limit: settings.maxConnectionsPerUser
          })
          socket.disconnect(true)
          return
        }
        socket.data.user = user
        socket.data.token = token
        if (!socket.connected) {
          // Closed while we counted it: the disconnect handler ran before `user` was set.
          await left(user.id)
          return
        }
        clearTimeout(grace)
        socket.join([Rooms.userRoom(user.id), Rooms.AUTHENTICATED_ROOM])
        metrics.authenticated(user.via)
        socket.emit(EventName.authenticated, { user, socketId: socket.id })
        if (joined.cameOnline) announce(io, user.id, true, Date.now())
      } catch (error) {
        fail("SERVER_ERROR", "Authentication failed on the server")
        console.error("realtime: authentication failed:", error instanceof Error ? error.message : error)
      } finally {
        socket.data.authenticating = false
      }
    }

    const left = async (userId: string) => {
      const { wentOffline } = await presence.disconnect(userId)
      if (wentOffline) announce(io, userId, false, Date.now())
    }

    /** Runs a handler for an authenticated socket with a decoded payload. */
    const on = <A, I>(
      event: string,
      kind: EventClass,
      schema: Schema.Schema<A, I>,
      handle: (
        user: AuthenticatedUser,
        payload: A,
        ack: ((answer: unknown) => void) | undefined
      ) => Promise<void> | void
    ) => {
      const decode = Schema.decodeUnknownEither(schema)
      socket.on(event, async (payload: unknown, ack: unknown) => {
        metrics.received(event)
        const reply = typeof ack === "function" ? (ack as (answer: unknown) => void) : undefined
        const user = socket.data.user
        if (user === undefined) {
          fail("AUTH_FAILED", `Authenticate before sending ${event}`)
          return reply?.({ success: false, error: "Not authenticated", code: "AUTH_FAILED" })
        }
        if (!(await allowed(kind)))
          return reply?.({ success: false, error: "Rate limited", code: "RATE_LIMITED" })
        const decoded = decode(payload)
        if (Either.isLeft(decoded)) {
          const problem = problemOf(decoded.left)
          fail("VALIDATION_ERROR", `${event}: ${problem.field} ${problem.message}`, { field: problem.field })
          return reply?.({
            success: false,
            error: `${problem.field} ${problem.message}`,
            code: "VALIDATION_ERROR"
          })
        }
        try {
          await handle(user, decoded.right, reply)
        } catch (error) {
          fail("SERVER_ERROR", `${event} failed on the server`)
          console.error(`realtime: ${event} failed:`, error instanceof Error ? error.message : error)
        }
      })
    }

    const token = (socket.handshake.auth as Record<string, unknown> | undefined)?.token
    if (typeof token === "string") void authenticate(token)

    socket.on("authenticate", async (payload: unknown) => {
      metrics.received("authenticate")
      if (!(await allowed("messages"))) return
      const decoded = Schema.decodeUnknownEither(AuthenticatePayload)(payload)
      if (Either.isLeft(decoded)) {
        metrics.authFailed()
        socket.emit(EventName.authenticationError, { error: "A token is required", code: "INVALID_TOKEN" })
        return
      }
      await authenticate(decoded.right.token)
    })

    const subscriptionRefused = (
      channel: string,
      code: ErrorCode,
      error: string,
      ack: ((answer: unknown) => void) | undefined
    ) => {
      fail(code, error, { channel })
      const answer: SubscriptionAck = { success: false, channel, error, code }
      ack?.(answer)
    }

    on("subscribe", "messages", ChannelPayload, async (user, { channel }, ack) => {
      if (!Rooms.isChannelName(channel)) {
        return subscriptionRefused(channel, "VALIDATION_ERROR", "channel: not a valid channel name", ack)
      }
      const kind = Rooms.classify(channel)
      if (kind.kind === "user" && kind.userId !== user.id) {
        return subscriptionRefused(channel, "PERMISSION_DENIED", "Another user's channel", ack)
      }
      if (kind.kind === "private") {
        const verdict = await deps.channelAuth(socket.id, channel, socket.data.token ?? "")
        if (verdict !== "allowed") {
          return verdict === "denied"
            ? subscriptionRefused(channel, "PERMISSION_DENIED", "Not authorised for this channel", ack)
            : subscriptionRefused(channel, "SERVER_ERROR", "The channel could not be authorised now", ack)
        }
      }
      if (!socket.connected) return
      await socket.join(channel)
      const answer: SubscriptionAck = { success: true, channel }
      ack?.(answer)
    })

    on("unsubscribe", "messages", ChannelPayload, async (user, { channel }, ack) => {
      if (channel !== Rooms.userRoom(user.id)) await socket.leave(channel)
      const answer: SubscriptionAck = { success: true, channel }
      ack?.(answer)
    })

    on("notification_read", "notifications", NotificationReadPayload, (user, { notification_id }, ack) => {
      socket
        .to(Rooms.userRoom(user.id))
        .emit(EventName.notificationUpdated, { notification_id, read: true, timestamp: now() })
      ack?.({ success: true })
    })

    for (const [event, typing] of [
      ["typing_start", true],
      ["typing_stop", false]
    ] as const) {
      on(event, "typing", TypingPayload, (user, { thread_id }, ack) => {
        const room = Rooms.threadRoom(thread_id)
        if (!socket.rooms.has(room)) {
          fail("PERMISSION_DENIED", `Subscribe to ${room} before typing in it`, { channel: room })
          return ack?.({ success: false, error: "Not subscribed to the thread", code: "PERMISSION_DENIED" })
        }
        socket.to(room).emit(EventName.userTyping, {
          user_id: user.id,
          name: user.name,
          thread_id: String(thread_id),
          typing
        })
        ack?.({ success: true })
      })
    }

    socket.on("disconnect", () => {
      clearTimeout(grace)
      metrics.disconnected()
      limits.connectionClosed(socket.data.ip)
      const user = socket.data.user
      if (user !== undefined) {
        left(user.id).catch((error: unknown) =>
          console.error("realtime: presence update failed:", error instanceof Error ? error.message : error)
        )
      }
    })
  })
}
