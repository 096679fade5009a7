/**
 * Who is online: how many sockets each user holds on every live instance, and when each user was
 * last seen. A user comes online with their first socket anywhere and goes offline when their
 * last one closes, on whichever instance.
 *
 * In memory for one instance; in Redis when several share the load. There each instance writes a
 * heartbeat every `heartbeatMs` and counts only the sockets of instances heard from within
 * `ttlMs`; a live instance sweeps every dead one (the first to remove it from the instance set
 * does it, so each is swept once), dropping its sockets and announcing the users who thereby went
 * offline. An instance that dies therefore takes its sockets' presence with it within
 * `ttlMs + heartbeatMs` (20 s by default).
 *
 * The counting is done by Lua scripts, so two instances can never both see a user's "first"
 * socket or "last" one. (All keys of one deployment live on one Redis node: not for Redis Cluster.)
 */
import type { Redis } from "ioredis"

/** A socket joining. */
export interface Joined {
  /** False when the user already holds the most sockets allowed. */
  readonly accepted: boolean
  /** The user's sockets on every live instance, this one included if accepted. */
  readonly total: number
  readonly cameOnline: boolean
}

/** A socket leaving. */
export interface Left {
  readonly total: number
  readonly wentOffline: boolean
}

/** A user's presence. */
export interface Seen {
  readonly connections: number
  /** Epoch ms of the last disconnect; `null` if never seen (or seen before the records expire). */
  readonly lastSeen: number | null
}

/** The presence store of one instance. */
export interface Presence {
  readonly backend: "memory" | "redis"
  readonly connect: (userId: string, max: number) => Promise<Joined>
  readonly disconnect: (userId: string) => Promise<Left>
  readonly lookup: (userId: string) => Promise<Seen>
  /** Starts the heartbeat and the sweep; `wentOffline` hears users whose last instance died. */
  readonly start: (wentOffline: (userId: string, lastSeen: number) => void) => void
  /** Stops, and withdraws this instance's sockets (announcing who went offline). */
  readonly stop: () => Promise<void>
}

/** One instance, no Redis. */
export const memory = (): Presence => {
  const counts = new Map<string, number>()
  const lastSeen = new Map<string, number>()
  return {
    backend: "memory",
    connect: async (userId, max) => {
      const total = counts.get(userId) ?? 0
      if (total >= max) return { accepted: false, total, cameOnline: false }
      counts.set(userId, total + 1)
      return { accepted: true, total: total + 1, cameOnline: total === 0 }
    },
    disconnect: async (userId) => {
      const total = Math.max(0, (counts.get(userId) ?? 0) - 1)
      if (total === 0) {
        counts.delete(userId)
        lastSeen.set(userId, Date.now())
      } else counts.set(userId, total)
      return { total, wentOffline: total === 0 }
    },
    lookup: async (userId) => ({
      connections: counts.get(userId) ?? 0,
      lastSeen: lastSeen.get(userId) ?? null
    }),
    start: () => {},
    stop: async () => {}
  }
}

/** Sums a user's sockets over the instances heard from since ARGV[now] - ARGV[ttl]. */
const LIVE_TOTAL = `
local function liveTotal(userKey, instances, oldest)
  local fields = redis.call('HGETALL', userKey)
  local total = 0
  for i = 1, #fields, 2 do
    local beat = redis.call('ZSCORE', instances, fields[i])
    if beat and tonumber(beat) >= oldest then total = total + tonumber(fields[i + 1]) end
  end
  return total
end
`

/** KEYS: user hash, instance's user set, instances zset. ARGV: instance, user, now, ttl, max. */
const CONNECT = `${LIVE_TOTAL}
local oldest = tonumber(ARGV[3]) - tonumber(ARGV[4])
local before = liveTotal(KEYS[1], KEYS[3], oldest)
if before >= tonumber(ARGV[5]) then return {0, before} end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], 'GT', ARGV[3], ARGV[1])
return {1, before + 1}
`

/** KEYS: user hash, instance's user set, instances zset, last-seen hash. ARGV: instance, user, now, ttl. */
const DISCONNECT = `${LIVE_TOTAL}
local left = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if left <= 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('SREM', KEYS[2], ARGV[2])
end
local total = liveTotal(KEYS[1], KEYS[3], tonumber(ARGV[3]) - tonumber(ARGV[4]))
if total == 0 then redis.call('HSET', KEYS[4], ARGV[2], ARGV[3]) end
return total
`

/**
 * Withdraws a (dead or stopping) instance. KEYS: instances zset, the instance's user set,
 * last-seen hash. ARGV: instance, now, ttl, user-key prefix, force (1: our own, even if present).
 * Returns the users who went offline; nothing if another instance swept it first.
 */
const WITHDRAW = `${LIVE_TOTAL}
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
if removed == 0 and ARGV[5] ~= '1' then return {} end
local users = redis.call('SMEMBERS', KEYS[2])
local offline = {}
local oldest = tonumber(ARGV[2]) - tonumber(ARGV[3])
for _, user in ipairs(users) do
  local userKey = ARGV[4] .. user
  redis.call('HDEL', userKey, ARGV[1])
  if liveTotal(userKey, KEYS[1], oldest) == 0 then
    redis.call('HSET', KEYS[3], user, ARGV[2])
    table.insert(offline, user)
  end
end
redis.call('DEL', KEYS[2])
return offline
`

/** Options of the Redis store. */
export interface RedisPresenceOptions {
  readonly prefix: string
  readonly instanceId: string
  readonly heartbeatMs: number
  readonly ttlMs: number
}

/** Several instances sharing `redis` (a connection of its own, not in subscriber mode). */
export const redis = (client: Redis, options: RedisPresenceOptions): Presence => {
  const base = `${options.prefix}:presence`
  const instances = `${base}:instances`
  const seen = `${base}:seen`
  const userKey = (userId: string) => `${base}:user:${userId}`
  const usersOf = (instance: string) => `${base}:instance:${instance}:users`
  const me = options.instanceId
  let heartbeat: ReturnType<typeof setInterval> | undefined
  let wentOffline: (userId: string, lastSeen: number) => void = () => {}
  // Once stopping, this instance's sockets are withdrawn all at once (see `stop`).
  let stopped = false

  const beat = () => client.zadd(instances, Date.now(), me)

  const withdraw = async (instance: string, force: boolean) => {
    const now = Date.now()
    const offline = (await client.eval(
      WITHDRAW,
      3,
      instances,
      usersOf(instance),
      seen,
      instance,
      now,
      options.ttlMs,
      `${base}:user:`,
      force ? 1 : 0
    )) as Array<string>
    for (const user of offline) wentOffline(user, now)
  }

  const sweep = async () => {
    const dead = await client.zrangebyscore(instances, "-inf", Date.now() - options.ttlMs)
    for (const instance of dead) if (instance !== me) await withdraw(instance, false)
  }

  return {
    backend: "redis",
    connect: async (userId, max) => {
      if (stopped) return { accepted: false, total: 0, cameOnline: false }
      const [accepted, total] = (await client.eval(
        CONNECT,
        3,
        userKey(userId),
        usersOf(me),
        instances,
        me,
        userId,
        Date.now(),
        options.ttlMs,
        max
      )) as [number, number]
      return { accepted: accepted === 1, total, cameOnline: accepted === 1 && total === 1 }
    },
    disconnect: async (userId) => {
      if (stopped) return { total: 0, wentOffline: false }
      const total = (await client.eval(
        DISCONNECT,
        4,
        userKey(userId),
        usersOf(me),
        instances,
        seen,
        me,
        userId,
        Date.now(),
        options.ttlMs
      )) as number
      return { total, wentOffline: total === 0 }
    },
    lookup: async (userId) => {
      const now = Date.now()
      const [fields, last] = await Promise.all([client.hgetall(userKey(userId)), client.hget(seen, userId)])
      const ids = Object.keys(fields)
      const beats = ids.length === 0 ? [] : await client.zmscore(instances, ...ids)
      let connections = 0
      ids.forEach((id, i) => {
        const at = beats[i]
        if (at != null && Number(at) >= now - options.ttlMs) connections += Number(fields[id])
      })
      return { connections, lastSeen: last === null ? null : Number(last) }
    },
    start: (listener) => {
      wentOffline = listener
      const tick = () =>
        beat()
          .then(sweep)
          .catch((error: unknown) =>
            console.error(
              `realtime: presence heartbeat failed: ${error instanceof Error ? error.message : error}`
            )
          )
      void tick()
      heartbeat = setInterval(tick, options.heartbeatMs)
      heartbeat.unref?.()
    },
    stop: async () => {
      stopped = true
      if (heartbeat !== undefined) clearInterval(heartbeat)
      await withdraw(me, true).catch(() => undefined)
    }
  }
}
