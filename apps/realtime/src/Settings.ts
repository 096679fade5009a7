/**
 * The hub's settings, read once at start-up. Names follow seed 001 where it names them
 * (`WEBSOCKET_API_KEY_HASH`, `LARAVEL_API_KEY`, `LARAVEL_API_URL`, `JWT_SECRET`); the seed's
 * limits are settings with the seed's defaults.
 */
import { Config, Effect, Option, type Redacted } from "effect"

/** The seed's per-minute event limits, per user. */
export interface EventLimits {
  /** `subscribe`, `unsubscribe`, `authenticate` and any other message. */
  readonly messages: number
  /** `notification_read`. */
  readonly notifications: number
  /** `typing_start`, `typing_stop`. */
  readonly typing: number
}

/** Everything the hub is configured with. */
export interface HubSettings {
  readonly port: number
  readonly hostname: string
  /** `bun` (`@socket.io/bun-engine` on Bun.serve, the default under bun) or `node` (Socket.IO's engine on node:http). */
  readonly engine: "bun" | "node"
  /** SHA-256 (hex) of the broadcast key (`WEBSOCKET_API_KEY_HASH`). */
  readonly apiKeyHash: Option.Option<string>
  /** The raw broadcast key (`LARAVEL_API_KEY`), accepted too. */
  readonly apiKey: Option.Option<Redacted.Redacted<string>>
  readonly redisUrl: Option.Option<Redacted.Redacted<string>>
  readonly redisPrefix: string
  /** Laravel's broadcasting-auth endpoint for `private-*` channels. */
  readonly channelAuthUrl: Option.Option<string>
  /** Origins browsers may connect from (`CORS_ORIGIN`, comma-separated). */
  readonly corsOrigins: ReadonlyArray<string>
  /** How long a socket may stay unauthenticated. */
  readonly authGraceMs: number
  readonly maxConnectionsPerIp: number
  readonly maxConnectionsPerUser: number
  /** New connections per IP per minute. */
  readonly connectionsPerMinute: number
  readonly eventsPerMinute: EventLimits
  /** Broadcast API requests per minute (all callers together, per instance). */
  readonly broadcastsPerMinute: number
  /** Largest broadcast body, bytes. */
  readonly maxBroadcastBytes: number
  /** How often an instance proves it is alive, and how long until one that stopped is declared dead. */
  readonly presenceHeartbeatMs: number
  readonly presenceTtlMs: number
}

const int = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.withDefault(fallback),
    Config.validate({ message: `${name} must be a positive integer`, validation: (n) => n > 0 })
  )

/** Reads the settings. */
export const load = Effect.gen(function* () {
  const port = yield* Config.integer("PORT").pipe(Config.withDefault(8070))
  const hostname = yield* Config.string("HOST").pipe(Config.withDefault("0.0.0.0"))
  const engine = yield* Config.literal(
    "bun",
    "node"
  )("REALTIME_ENGINE").pipe(
    Config.withDefault(typeof Bun === "undefined" ? ("node" as const) : ("bun" as const))
  )
  const apiKeyHash = yield* Config.option(
    Config.string("WEBSOCKET_API_KEY_HASH").pipe(
      Config.validate({
        message: "WEBSOCKET_API_KEY_HASH must be a SHA-256 in hex (64 characters)",
        validation: (hex) => /^[0-9a-fA-F]{64}$/.test(hex)
      })
    )
  )
  const apiKey = yield* Config.option(Config.redacted("LARAVEL_API_KEY"))
  const redisUrl = yield* Config.option(Config.redacted("REDIS_URL"))
  const redisPrefix = yield* Config.string("REALTIME_REDIS_PREFIX").pipe(
    Config.withDefault("switchyard-realtime")
  )
  const channelAuthUrl = yield* Config.option(Config.url("REALTIME_CHANNEL_AUTH_URL"))
  const cors = yield* Config.string("CORS_ORIGIN").pipe(Config.withDefault("http://localhost:3000"))
  const settings: HubSettings = {
    port,
    hostname,
    engine,
    apiKeyHash: Option.map(apiKeyHash, (hex) => hex.toLowerCase()),
    apiKey,
    redisUrl,
    redisPrefix,
    channelAuthUrl: Option.map(channelAuthUrl, (url) => url.toString()),
    corsOrigins: cors
      .split(",")
      .map((origin) => origin.trim())
      .filter((origin) => origin.length > 0),
    authGraceMs: yield* int("REALTIME_AUTH_GRACE_MS", 10_000),
    maxConnectionsPerIp: yield* int("REALTIME_MAX_CONNECTIONS_PER_IP", 10),
    maxConnectionsPerUser: yield* int("REALTIME_MAX_CONNECTIONS_PER_USER", 5),
    connectionsPerMinute: yield* int("REALTIME_CONNECTIONS_PER_MINUTE", 5),
    eventsPerMinute: {
      messages: yield* int("REALTIME_MESSAGES_PER_MINUTE", 60),
      notifications: yield* int("REALTIME_NOTIFICATIONS_PER_MINUTE", 30),
      typing: yield* int("REALTIME_TYPING_PER_MINUTE", 120)
    },
    broadcastsPerMinute: yield* int("REALTIME_BROADCASTS_PER_MINUTE", 60_000),
    maxBroadcastBytes: yield* int("REALTIME_MAX_BROADCAST_BYTES", 64 * 1024),
    presenceHeartbeatMs: yield* int("REALTIME_PRESENCE_HEARTBEAT_MS", 5_000),
    presenceTtlMs: yield* int("REALTIME_PRESENCE_TTL_MS", 15_000)
  }
  return settings
})
