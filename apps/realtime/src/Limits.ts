/**
 * The seed's limits: connections per IP (counted on this instance), new connections per IP per
 * minute, and per-user events per minute by class (messages, notifications, typing), plus the
 * broadcast API's rate. Windows are `rate-limiter-flexible`'s fixed one-minute windows, kept in
 * Redis when the hub has Redis (so a user spread over instances gets one allowance) and in
 * memory otherwise. A Redis failure lets the event through (`insuranceLimiter` in memory).
 */
import type { Redis } from "ioredis"
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes
} from "rate-limiter-flexible"
import type { HubSettings } from "./Settings.ts"

/** The class an incoming event is counted in. */
export type EventClass = "messages" | "notifications" | "typing"

/** The hub's limiters. */
export interface Limits {
  /** Counts one new connection from `ip`; false when over the per-minute rate or the open-connection cap. */
  readonly admitConnection: (ip: string) => Promise<boolean>
  /** The connection from `ip` closed. */
  readonly connectionClosed: (ip: string) => void
  /** Counts one event of `user`; false when over the minute's allowance. */
  readonly admitEvent: (userId: string, kind: EventClass) => Promise<boolean>
  /** Counts one broadcast request; false when over the rate. */
  readonly admitBroadcast: () => Promise<boolean>
}

const perMinute = (points: number, keyPrefix: string, redis: Redis | undefined): RateLimiterAbstract => {
  const memory = new RateLimiterMemory({ points, duration: 60, keyPrefix })
  return redis === undefined
    ? memory
    : new RateLimiterRedis({
        storeClient: redis,
        points,
        duration: 60,
        keyPrefix,
        rejectIfRedisNotReady: true,
        insuranceLimiter: memory
      })
}

/** A refusal is a `RateLimiterRes`; anything else thrown is a store error already covered by insurance. */
const consumed = (limiter: RateLimiterAbstract, key: string) =>
  limiter.consume(key).then(
    () => true,
    (refusal: unknown) => {
      if (refusal instanceof RateLimiterRes) return false
      throw refusal
    }
  )

/** Builds the limiters. `redis` is a plain command connection; keys are under `prefix`. */
export const make = (settings: HubSettings, prefix: string, redis: Redis | undefined): Limits => {
  const open = new Map<string, number>()
  const connections = perMinute(settings.connectionsPerMinute, `${prefix}:rl:conn`, redis)
  const events = {
    messages: perMinute(settings.eventsPerMinute.messages, `${prefix}:rl:msg`, redis),
    notifications: perMinute(settings.eventsPerMinute.notifications, `${prefix}:rl:notif`, redis),
    typing: perMinute(settings.eventsPerMinute.typing, `${prefix}:rl:typing`, redis)
  }
  // Per instance: the broadcast API is server to server, and each instance protects itself.
  const broadcasts = new RateLimiterMemory({ points: settings.broadcastsPerMinute, duration: 60 })
  const closed = (ip: string) => {
    const left = (open.get(ip) ?? 1) - 1
    if (left <= 0) open.delete(ip)
    else open.set(ip, left)
  }
  return {
    admitConnection: async (ip) => {
      // Counted before the wait, so simultaneous handshakes cannot all pass the cap.
      const current = open.get(ip) ?? 0
      if (current >= settings.maxConnectionsPerIp) return false
      open.set(ip, current + 1)
      if (await consumed(connections, ip)) return true
      closed(ip)
      return false
    },
    connectionClosed: closed,
    admitEvent: (userId, kind) => consumed(events[kind], userId),
    admitBroadcast: () => consumed(broadcasts, "all")
  }
}
