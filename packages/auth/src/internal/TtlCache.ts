/**
 * The in-memory cache behind the verifiers: entries expire after a per-entry time to live, the
 * oldest entry goes first when full, and concurrent misses on one key share a single lookup.
 *
 * Refresh-ahead: an entry read in the last fifth of its life is looked up again in the background
 * while it keeps being served, so a key in use never expires under its requests (an expiry would
 * hold every request in flight behind one database read). A refresh that fails leaves the entry
 * to expire when it would have.
 *
 * Effect's `Cache` is not used because a lookup that is in flight while its key is invalidated
 * would still store its (stale) answer afterwards. Here every invalidation bumps a generation,
 * and a lookup stores its answer only if no invalidation happened while it ran.
 */
import { Clock, Deferred, Effect, Exit, FiberId, Runtime } from "effect"

/** A lookup's answer and how long it may be reused. */
export interface Cached<V> {
  readonly value: V
  readonly ttlMillis: number
}

/** A TTL cache keyed by string. */
export interface TtlCache<V> {
  /** The cached value, or the lookup's (cached for its TTL). */
  readonly get: <E>(key: string, lookup: Effect.Effect<Cached<V>, E>) => Effect.Effect<V, E>
  /**
   * The cached value if it is fresh at `now` (epoch ms), without waiting for anything: the hot
   * path's hit. When the value is due for a refresh, `lookup(key)` runs in the background.
   */
  readonly peek: <E>(
    key: string,
    now: number,
    lookup?: (key: string) => Effect.Effect<Cached<V>, E>
  ) => V | undefined
  readonly invalidate: (key: string) => Effect.Effect<void>
  readonly invalidateAll: Effect.Effect<void>
  readonly size: Effect.Effect<number>
}

/** The share of an entry's life after which reading it starts a refresh. */
const REFRESH_AHEAD = 0.8

interface Entry<V> {
  readonly value: V
  readonly expiresAt: number
  /** When a read starts a refresh; `Infinity` once one has started. */
  refreshAt: number
}

/** A cache holding at most `capacity` entries; refreshes run on the runtime it is made in. */
export const make = <V>(options: { readonly capacity: number }): Effect.Effect<TtlCache<V>> =>
  Effect.map(Effect.runtime<never>(), (runtime) => {
    const entries = new Map<string, Entry<V>>()
    const inFlight = new Map<string, Deferred.Deferred<V, unknown>>()
    let generation = 0
    const runInBackground = Runtime.runFork(runtime)

    const store = (key: string, value: V, now: number, ttlMillis: number) => {
      entries.delete(key)
      entries.set(key, { value, expiresAt: now + ttlMillis, refreshAt: now + ttlMillis * REFRESH_AHEAD })
      if (entries.size > options.capacity) {
        const oldest = entries.keys().next()
        if (!oldest.done) entries.delete(oldest.value)
      }
    }

    /**
     * Starts the one lookup of `key` in a fiber of its own and returns what it will answer. Its
     * callers only wait for it: one that is interrupted (its client went away) stops neither the
     * lookup nor the others' answer, and a lookup's own timeout can always end it.
     */
    const lookUp = <E>(key: string, lookup: Effect.Effect<Cached<V>, E>): Deferred.Deferred<V, E> => {
      const deferred = Deferred.unsafeMake<V, E>(FiberId.none)
      inFlight.set(key, deferred as Deferred.Deferred<V, unknown>)
      const started = generation
      runInBackground(
        Effect.flatMap(Effect.exit(lookup), (exit) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) => {
            if (inFlight.get(key) === deferred) inFlight.delete(key)
            if (exit._tag === "Success" && generation === started && exit.value.ttlMillis > 0) {
              store(key, exit.value.value, now, exit.value.ttlMillis)
            }
            return Deferred.done(
              deferred,
              Exit.map(exit, (cached) => cached.value)
            )
          })
        )
      )
      return deferred
    }

    /** Whether reading a fresh entry now should start its refresh. */
    const due = (key: string, entry: Entry<V>, now: number) => now >= entry.refreshAt && !inFlight.has(key)

    /** Refreshes an entry in the background (one attempt per entry). */
    const refresh = <E>(key: string, entry: Entry<V>, lookup: Effect.Effect<Cached<V>, E>) => {
      entry.refreshAt = Number.POSITIVE_INFINITY
      const refreshed = lookUp(key, lookup)
      runInBackground(
        Deferred.await(refreshed).pipe(
          Effect.catchAllCause((cause) =>
            Effect.logWarning("refreshing a cached entry failed; it stays until it expires", cause)
          )
        )
      )
    }

    return {
      get: <E>(key: string, lookup: Effect.Effect<Cached<V>, E>) =>
        Effect.flatMap(Clock.currentTimeMillis, (now): Effect.Effect<V, E> => {
          const entry = entries.get(key)
          if (entry !== undefined) {
            if (entry.expiresAt > now) {
              if (due(key, entry, now)) refresh(key, entry, lookup)
              return Effect.succeed(entry.value)
            }
            entries.delete(key)
          }
          const pending = inFlight.get(key)
          if (pending !== undefined) return Deferred.await(pending) as Effect.Effect<V, E>
          return Deferred.await(lookUp(key, lookup))
        }),
      peek: (key, now, lookup) => {
        const entry = entries.get(key)
        if (entry === undefined || entry.expiresAt <= now) return undefined
        if (lookup !== undefined && due(key, entry, now)) refresh(key, entry, lookup(key))
        return entry.value
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
  })
