/**
 * The events of the realtime hub (seed 001), as they travel over Socket.IO: what clients send,
 * what the hub answers, and Switchyard's own live events (`usage`, `budget_alert`,
 * `key_changed`). Field names follow the seed (snake_case) where the seed names them; Switchyard's
 * own events use the names the dashboard reads.
 *
 * Servers decode what clients send with these schemas; clients (the dashboard) decode what they
 * receive with them.
 */
import { Schema } from "effect"

/** Error codes of the seed's `error` event. */
export const ErrorCode = Schema.Literal(
  "AUTH_FAILED",
  "INVALID_TOKEN",
  "PERMISSION_DENIED",
  "RATE_LIMITED",
  "VALIDATION_ERROR",
  "SERVER_ERROR"
)
export type ErrorCode = typeof ErrorCode.Type

/** Longest token accepted (JWTs and opaque tokens alike). */
export const MAX_TOKEN_LENGTH = 4096

/** A thread id or user id as it appears in room names. */
export const RoomId = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9_-]{1,64}$/, { message: () => "must be 1-64 letters, digits, _ or -" })
)

// ---- client → hub -------------------------------------------------------------------------------

/** `authenticate {token}`. */
export const AuthenticatePayload = Schema.Struct({
  token: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(MAX_TOKEN_LENGTH))
})
export type AuthenticatePayload = typeof AuthenticatePayload.Type

/** `subscribe {channel}` / `unsubscribe {channel}`. */
export const ChannelPayload = Schema.Struct({
  channel: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200))
})
export type ChannelPayload = typeof ChannelPayload.Type

/** `typing_start {thread_id}` / `typing_stop {thread_id}`. */
export const TypingPayload = Schema.Struct({
  thread_id: Schema.Union(RoomId, Schema.Int.pipe(Schema.nonNegative()))
})
export type TypingPayload = typeof TypingPayload.Type

/** `notification_read {notification_id}`. */
export const NotificationReadPayload = Schema.Struct({
  notification_id: Schema.Union(
    Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200)),
    Schema.Int.pipe(Schema.nonNegative())
  )
})
export type NotificationReadPayload = typeof NotificationReadPayload.Type

/** The answer to `subscribe` / `unsubscribe` (the Socket.IO acknowledgement). */
export const SubscriptionAck = Schema.Union(
  Schema.Struct({ success: Schema.Literal(true), channel: Schema.String }),
  Schema.Struct({
    success: Schema.Literal(false),
    channel: Schema.String,
    error: Schema.String,
    code: ErrorCode
  })
)
export type SubscriptionAck = typeof SubscriptionAck.Type

// ---- hub → client -------------------------------------------------------------------------------

/** Emitted on every new connection. */
export const Connected = Schema.Struct({ socketId: Schema.String, timestamp: Schema.String })
export type Connected = typeof Connected.Type

/** Who a socket authenticated as. */
export const AuthenticatedUser = Schema.Struct({
  id: Schema.String,
  name: Schema.NullOr(Schema.String),
  /** How the token was verified: `jwt`, `laravel`, `session` or `api_key`. */
  via: Schema.Literal("jwt", "laravel", "session", "api_key")
})
export type AuthenticatedUser = typeof AuthenticatedUser.Type

/** `authenticated {user, socketId}`. */
export const Authenticated = Schema.Struct({ user: AuthenticatedUser, socketId: Schema.String })
export type Authenticated = typeof Authenticated.Type

/** `authentication_error {error, code}`. */
export const AuthenticationError = Schema.Struct({ error: Schema.String, code: ErrorCode })
export type AuthenticationError = typeof AuthenticationError.Type

/** The seed's `error {error, code, details, timestamp}`. */
export const ErrorEvent = Schema.Struct({
  error: Schema.String,
  code: ErrorCode,
  details: Schema.NullOr(Schema.Unknown),
  timestamp: Schema.String
})
export type ErrorEvent = typeof ErrorEvent.Type

/** `user_typing`, to the others in the thread. */
export const UserTyping = Schema.Struct({
  user_id: Schema.String,
  name: Schema.NullOr(Schema.String),
  thread_id: Schema.String,
  typing: Schema.Boolean
})
export type UserTyping = typeof UserTyping.Type

/** `notification_updated`, to the user's other sockets after `notification_read`. */
export const NotificationUpdated = Schema.Struct({
  notification_id: Schema.Union(Schema.String, Schema.Number),
  read: Schema.Boolean,
  timestamp: Schema.String
})
export type NotificationUpdated = typeof NotificationUpdated.Type

/** `user_online` / `user_offline`, to the sockets subscribed to the `presence` channel. */
export const PresenceChange = Schema.Struct({
  user_id: Schema.String,
  online: Schema.Boolean,
  /** When the user was last connected (ISO time); the current time while online. */
  last_seen: Schema.String
})
export type PresenceChange = typeof PresenceChange.Type

// ---- Switchyard's own live events (router and control plane → a user's room) ------------------

/** `usage`: one model request of the user, as the router recorded it. */
export const UsageLive = Schema.Struct({
  requestId: Schema.String,
  model: Schema.String,
  provider: Schema.NullOr(Schema.String),
  upstreamModel: Schema.NullOr(Schema.String),
  apiKeyId: Schema.NullOr(Schema.String),
  /** HTTP status returned to the client. */
  status: Schema.Int,
  outcome: Schema.String,
  inputTokens: Schema.NonNegativeInt,
  outputTokens: Schema.NonNegativeInt,
  cachedInputTokens: Schema.NonNegativeInt,
  /** Cost in integer micro-dollars (1 USD = 1 000 000). */
  costMicros: Schema.NonNegativeInt,
  latencyMs: Schema.NonNegative,
  ttftMs: Schema.NullOr(Schema.NonNegative),
  stream: Schema.Boolean,
  /** ISO time the request ended. */
  createdAt: Schema.String
})
export type UsageLive = typeof UsageLive.Type

/** `budget_alert`: a spend budget crossed 80 % or 100 %. */
export const BudgetAlert = Schema.Struct({
  scope: Schema.Literal("user", "key"),
  /** The key id (scope `key`) or the user id. */
  id: Schema.String,
  threshold: Schema.Literal(80, 100),
  spentMicros: Schema.NonNegativeInt,
  budgetMicros: Schema.NonNegativeInt,
  period: Schema.String,
  timestamp: Schema.String
})
export type BudgetAlert = typeof BudgetAlert.Type

/** `key_changed`: the user's API key was created, regenerated, enabled, disabled or deleted. */
export const KeyChanged = Schema.Struct({
  action: Schema.Literal("created", "regenerated", "enabled", "disabled", "updated", "deleted"),
  /** The key's visible prefix, never the key. */
  keyId: Schema.NullOr(Schema.String),
  timestamp: Schema.String
})
export type KeyChanged = typeof KeyChanged.Type

/** `app_status`: one of the user's vibe apps (seed 004) changed status as it was generated, stopped or deleted. */
export const AppStatusChanged = Schema.Struct({
  app_id: Schema.String,
  status: Schema.Literal("creating", "active", "failed", "stopped", "deleted"),
  /** The version now served, when there is one. */
  version: Schema.optional(Schema.Int),
  timestamp: Schema.String
})
export type AppStatusChanged = typeof AppStatusChanged.Type

/** Names of the events the hub emits, in one place for servers and clients. */
export const EventName = {
  connected: "connected",
  authenticated: "authenticated",
  authenticationError: "authentication_error",
  error: "error",
  notification: "notification",
  notificationUpdated: "notification_updated",
  threadUpdated: "thread_updated",
  newReply: "new_reply",
  userTyping: "user_typing",
  userOnline: "user_online",
  userOffline: "user_offline",
  usage: "usage",
  budgetAlert: "budget_alert",
  keyChanged: "key_changed",
  appStatus: "app_status"
} as const

/** Switchyard's own events, by name (what `Publisher.publish` takes). */
export interface SwitchyardEvents {
  readonly usage: UsageLive
  readonly budget_alert: BudgetAlert
  readonly key_changed: KeyChanged
  readonly app_status: AppStatusChanged
}
