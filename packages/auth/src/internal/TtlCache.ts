/**
 * The in-memory cache behind the verifiers: entries expire after a per-entry time to live, the
 * oldest entry goes first when full, and concurrent misses on one key share a single lookup.
 *
 * Effect's `Cache` is not used because a lookup that is in flight while its key is invalidated
 * would still store its (stale) answer afterwards. Here every invalidation bumps a generation,
 * and a lookup stores its answer only if no invalidation happened while it ran.
 */
import { Clock, Deferred, Effect, Exit } from "effect"

/** A lookup's answer and how long it may be reused. */
export interface Cached<V> {
  readonly value: V
  readonly ttlMillis: number
}

/** A TTL cache keyed by string. */
export interface TtlCache<V> {
  /** The cached value, or the lookup's (cached for its TTL). */
  readonly get: <E>(key: string, lookup: Effect.Effect<Cached<V>, E>) => Effect.Effect<V, E>
  /** The cached value if it is fresh at `now` (epoch ms), without running anything: the hot path's hit. */
  readonly peek: (key: string, now: number) => V | undefined
  readonly invalidate: (key: string) => Effect.Effect<void>
  readonly invalidateAll: Effect.Effect<void>
  readonly size: Effect.Effect<number>
}

/** A cache holding at most `capacity` entries. */
export const make = <V>(options: { readonly capacity: number }): TtlCache<V> => {
  const entries = new Map<string, { readonly value: V; readonly expiresAt: number }>()
  const inFlight = new Map<string, Deferred.Deferred<V, unknown>>()
  let generation = 0

  const store = (key: string, value: V, expiresAt: number) => {
    entries.delete(key)
    entries.set(key, { value, expiresAt })
    if (entries.size > options.capacity) {
      const oldest = entries.keys().next()
      if (!oldest.done) entries.delete(oldest.value)
    }
  }

  const miss = <E>(key: string, lookup: Effect.Effect<Cached<V>, E>) =>
    Effect.gen(function* () {
      const deferred = yield* Deferred.make<V, unknown>()
      inFlight.set(key, deferred)
      const started = generation
      // Uninterruptible so that callers waiting on the same key always get an answer.
      const exit: Exit.Exit<Cached<V>, E> = yield* Effect.uninterruptible(Effect.exit(lookup))
      if (inFlight.get(key) === deferred) inFlight.delete(key)
      if (exit._tag === "Success" && generation === started && exit.value.ttlMillis > 0) {
        store(key, exit.value.value, (yield* Clock.currentTimeMillis) + exit.value.ttlMillis)
      }
      const value = Exit.map(exit, (cached) => cached.value)
      yield* Deferred.done(deferred, value)
      return yield* value
    })

  return {
    get: <E>(key: string, lookup: Effect.Effect<Cached<V>, E>) =>
      Effect.flatMap(Clock.currentTimeMillis, (now): Effect.Effect<V, E> => {
        const entry = entries.get(key)
        if (entry !== undefined) {
          if (entry.expiresAt > now) return Effect.succeed(entry.value)
          entries.delete(key)
        }
        const pending = inFlight.get(key)
        if (pending !== undefined) return Deferred.await(pending) as Effect.Effect<V, E>
        return miss(key, lookup)
      }),
    peek: (key, now) => {
      const entry = entries.get(key)
      return entry !== undefined && entry.expiresAt > now ? entry.value : undefined
    },
    invalidate: (key) =>
      Effect.sync(() => {
        generation++
        entries.delete(key)
        inFlight.delete(key)
      }),
    invalidateAll: Effect.sync(() => {
      generation++
      entries.clear()
      inFlight.clear()
    }),
    size: Effect.sync(() => entries.size)
  }
}
