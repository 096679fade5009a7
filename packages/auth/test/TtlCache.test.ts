import { describe, expect, it } from "@effect/vitest"
import { Effect, Ref, TestClock } from "effect"
import * as TtlCache from "../src/internal/TtlCache.ts"

/** Lets a background refresh (another fiber) run: scheduling only, no clock involved. */
const settle = Effect.repeatN(Effect.yieldNow(), 20)

/** A lookup that counts its calls, answers `value` (or fails while `failing`), for 1 000 ms. */
const counted = Effect.gen(function* () {
  const calls = yield* Ref.make(0)
  const state = { value: "v1", failing: false }
  const lookup = Effect.gen(function* () {
    yield* Ref.update(calls, (n) => n + 1)
    if (state.failing) return yield* Effect.fail("store down" as const)
    return { value: state.value, ttlMillis: 1_000 }
  })
  return { calls: Ref.get(calls), state, lookup }
})

describe("TtlCache refresh-ahead", () => {
  it.effect("a value read in the last fifth of its life is served while it is looked up again", () =>
    Effect.gen(function* () {
      const cache = yield* TtlCache.make<string>({ capacity: 10 })
      const { calls, state, lookup } = yield* counted
      expect(yield* cache.get("k", lookup)).toBe("v1")
      state.value = "v2"
      yield* TestClock.adjust("700 millis")
      expect(yield* cache.get("k", lookup)).toBe("v1")
      yield* settle
      expect(yield* calls).toBe(1)
      // Due: the reader is answered from the cache at once; one refresh runs behind it.
      yield* TestClock.adjust("150 millis")
      expect(yield* cache.get("k", lookup)).toBe("v1")
      yield* settle
      expect(yield* calls).toBe(2)
      expect(yield* cache.get("k", lookup)).toBe("v2")
      // The refreshed value lives a full lifetime from its refresh, past the first one's expiry.
      yield* TestClock.adjust("600 millis")
      expect(cache.peek("k", 1_450)).toBe("v2")
      expect(yield* calls).toBe(2)
    })
  )

  it.effect("peek refreshes with the lookup it is given, and never without one", () =>
    Effect.gen(function* () {
      const cache = yield* TtlCache.make<string>({ capacity: 10 })
      const { calls, state, lookup } = yield* counted
      yield* cache.get("k", lookup)
      state.value = "v2"
      yield* TestClock.adjust("900 millis")
      expect(cache.peek("k", 900)).toBe("v1")
      yield* settle
      expect(yield* calls).toBe(1)
      expect(cache.peek("k", 900, () => lookup)).toBe("v1")
      yield* settle
      expect(yield* calls).toBe(2)
      expect(cache.peek("k", 900)).toBe("v2")
    })
  )

  it.effect("a refresh that fails is tried once and leaves the value to expire when it would have", () =>
    Effect.gen(function* () {
      const cache = yield* TtlCache.make<string>({ capacity: 10 })
      const { calls, state, lookup } = yield* counted
      yield* cache.get("k", lookup)
      state.failing = true
      yield* TestClock.adjust("900 millis")
      for (let i = 0; i < 5; i++) {
        expect(cache.peek("k", 900, () => lookup)).toBe("v1")
        yield* settle
      }
      expect(yield* calls).toBe(2)
      expect(cache.peek("k", 1_000, () => lookup)).toBeUndefined()
      yield* TestClock.adjust("100 millis")
      expect(yield* Effect.flip(cache.get("k", lookup))).toBe("store down")
    })
  )

  it.effect("an invalidation during a refresh keeps its answer out of the cache", () =>
    Effect.gen(function* () {
      const cache = yield* TtlCache.make<string>({ capacity: 10 })
      const { state, lookup } = yield* counted
      yield* cache.get("k", lookup)
      state.value = "stale"
      yield* TestClock.adjust("900 millis")
      // The refresh is forked but has not run yet when the key changes.
      expect(cache.peek("k", 900, () => lookup)).toBe("v1")
      yield* cache.invalidate("k")
      yield* settle
      expect(cache.peek("k", 900)).toBeUndefined()
    })
  )
})
