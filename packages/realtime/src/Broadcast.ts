/**
 * The broadcast API's body (seed 001: `POST /api/broadcast`), its answer, and the presence query's
 * answers. A backend names an event, a target (`user`, `thread`, `channel` or `all`) and data;
 * the hub answers with how many sockets it reached on every instance.
 */
import { Schema } from "effect"
import { RoomId } from "./Events.ts"
import { ChannelName } from "./Rooms.ts"

/** An event name a backend may broadcast (anything but Socket.IO's reserved names). */
export const BroadcastEventName = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/, {
    message: () => "must start with a letter and be at most 64 letters, digits, _ . : or -"
  }),
  Schema.filter((name) => !RESERVED.has(name) || `"${name}" is reserved by Socket.IO and cannot be broadcast`)
)

const RESERVED = new Set([
  "connect",
  "connect_error",
  "disconnect",
  "disconnecting",
  "newListener",
  "removeListener"
])

/** An id in the body: the seed's Laravel sends integers, others strings. */
const IdField = Schema.Union(RoomId, Schema.Int.pipe(Schema.nonNegative()))

/** The body of `POST /api/broadcast`. */
export const BroadcastRequest = Schema.Union(
  Schema.Struct({
    event: BroadcastEventName,
    to: Schema.Literal("user"),
    user_id: IdField,
    data: Schema.Unknown
  }),
  Schema.Struct({
    event: BroadcastEventName,
    to: Schema.Literal("thread"),
    thread_id: IdField,
    data: Schema.Unknown
  }),
  Schema.Struct({
    event: BroadcastEventName,
    to: Schema.Literal("channel"),
    channel: ChannelName,
    data: Schema.Unknown
  }),
  Schema.Struct({
    event: BroadcastEventName,
    to: Schema.Literal("all"),
    data: Schema.Unknown
  })
)
export type BroadcastRequest = typeof BroadcastRequest.Type

/** The body of `POST /api/broadcast/batch`: several broadcasts in one request (publishers batch). */
export const BroadcastBatch = Schema.Struct({
  broadcasts: Schema.Array(BroadcastRequest).pipe(Schema.minItems(1), Schema.maxItems(500))
})
export type BroadcastBatch = typeof BroadcastBatch.Type

/** The answer to a broadcast. */
export interface BroadcastResult {
  readonly success: true
  readonly event: string
  /** The room the event went to (`null` for `all`). */
  readonly room: string | null
  /** Sockets in that room on every instance when it was sent. */
  readonly recipients: number
  readonly timestamp: string
}

/** `GET /api/presence/users/:id`. */
export interface UserPresence {
  readonly user_id: string
  readonly online: boolean
  /** Sockets the user holds on every live instance. */
  readonly connections: number
  readonly last_seen: string | null
}

/** `GET /api/presence/channels/:channel`. */
export interface ChannelPresence {
  readonly channel: string
  readonly users: ReadonlyArray<{ readonly user_id: string; readonly name: string | null }>
  readonly sockets: number
}
