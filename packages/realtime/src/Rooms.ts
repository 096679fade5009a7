/**
 * Room naming: one place that turns users, threads and channels into Socket.IO room names, and
 * says which channels a socket may join by itself.
 *
 *   user.{id}      a user's private room: every socket of that user joins it on authentication
 *   thread.{id}    a thread (seed: replies, typing)
 *   presence       who comes online and goes offline
 *   private-*      authorised per socket by the backend (`REALTIME_CHANNEL_AUTH_URL`)
 *   anything else  a public named channel
 *
 * Internal rooms start with `#`, which no channel name may, so a client can never join them.
 */
import { Schema } from "effect"

/** A channel name a client or backend may use. */
export const ChannelName = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/, {
    message: () => "must start with a letter or digit and be at most 100 letters, digits, _ . : or -"
  })
)

/** Every authenticated socket (the target of `to: "all"`). */
export const AUTHENTICATED_ROOM = "#authenticated"

/** The channel presence changes are sent to. */
export const PRESENCE_CHANNEL = "presence"

/** A user's private room. */
export const userRoom = (userId: string | number): string => `user.${userId}`

/** A thread's room. */
export const threadRoom = (threadId: string | number): string => `thread.${threadId}`

/** What kind of channel a name is, for the subscribe rules. */
export type ChannelKind =
  | { readonly kind: "user"; readonly userId: string }
  | { readonly kind: "thread"; readonly threadId: string }
  | { readonly kind: "private" }
  | { readonly kind: "public" }

const USER = /^user\.([A-Za-z0-9_-]{1,64})$/
const THREAD = /^thread\.([A-Za-z0-9_-]{1,64})$/

/** Classifies a channel name that already passed `ChannelName`. */
export const classify = (channel: string): ChannelKind => {
  const user = USER.exec(channel)
  if (user) return { kind: "user", userId: user[1]! }
  const thread = THREAD.exec(channel)
  if (thread) return { kind: "thread", threadId: thread[1]! }
  if (channel.startsWith("private-")) return { kind: "private" }
  return { kind: "public" }
}

/** True for a name `ChannelName` accepts. */
export const isChannelName = Schema.is(ChannelName)
