import { describe, expect, it } from "@effect/vitest"
import { Effect, Random, Schema } from "effect"
import { PCGRandom } from "effect/Utils"
import * as CircuitBreaker from "../../src/reliability/CircuitBreaker.ts"
import * as RetryAfter from "../../src/reliability/RetryAfter.ts"
import * as RetryPolicy from "../../src/reliability/RetryPolicy.ts"
import * as Timeouts from "../../src/reliability/Timeouts.ts"
import * as WeightedPicker from "../../src/reliability/WeightedPicker.ts"

describe("RetryAfter.parse", () => {
  const now = Date.UTC(2025, 0, 1, 0, 0, 0)
  const parse = (headers: Record<string, string>) => RetryAfter.parse(new Headers(headers), now)

  it("reads seconds, fractional seconds, HTTP dates and retry-after-ms", () => {
    expect(parse({ "retry-after": "7" })).toBe(7000)
    expect(parse({ "retry-after": "1.5" })).toBe(1500)
    expect(parse({ "retry-after": new Date(now + 30_000).toUTCString() })).toBe(30_000)
    expect(parse({ "retry-after": new Date(now - 30_000).toUTCString() })).toBe(0)
    expect(parse({ "retry-after-ms": "250", "retry-after": "1" })).toBe(250)
    expect(parse({})).toBeUndefined()
    expect(parse({ "retry-after": "soon" })).toBeUndefined()
  })
})

describe("RetryPolicy", () => {
  const policy = Schema.decodeSync(RetryPolicy.RetryPolicy)({
    baseDelayMs: 100,
    maxDelayMs: 1000,
    maxRetryAfterMs: 5000
  })

  it("has defaults for every field", () => {
    expect(RetryPolicy.defaultPolicy).toEqual({
      maxRetries: 2,
      baseDelayMs: 250,
      maxDelayMs: 8000,
      maxRetryAfterMs: 30_000,
      retryOn: [429, 500, 502, 503, 504]
    })
    expect(Timeouts.defaultTimeouts).toEqual({ connectMs: 10_000, firstByteMs: 120_000, totalMs: 600_000 })
  })

  it("delays grow exponentially within the jitter band, capped, and never below Retry-After", () => {
    expect(RetryPolicy.delayFor(policy, 0, undefined, () => 0)).toBe(50)
    expect(RetryPolicy.delayFor(policy, 0, undefined, () => 0.999_999)).toBe(100)
    expect(RetryPolicy.delayFor(policy, 3, undefined, () => 0.999_999)).toBe(800)
    expect(RetryPolicy.delayFor(policy, 10, undefined, () => 0.999_999)).toBe(1000)
    expect(RetryPolicy.delayFor(policy, 0, 3000, () => 0.5)).toBe(3000)
    expect(RetryPolicy.delayFor(policy, 0, 5001, () => 0.5)).toBeUndefined()
  })

  it("refuses nonsense", () => {
    expect(() => Schema.decodeSync(RetryPolicy.RetryPolicy)({ maxRetries: -1 })).toThrow()
    expect(() => Schema.decodeSync(RetryPolicy.RetryPolicy)({ retryOn: [999] })).toThrow()
    expect(() => Schema.decodeSync(Timeouts.Timeouts)({ firstByteMs: 0 })).toThrow()
  })
})

describe("CircuitBreaker", () => {
  it("opens after the threshold, probes once after the cooldown, closes on success", () => {
    let now = 0
    const breaker = CircuitBreaker.make({ failureThreshold: 2, cooldownMs: 1000 }, () => now)
    expect(breaker.acquire("d")).toBe("pass")
    breaker.failure("d")
    breaker.success("d") // a success in between resets the count
    breaker.failure("d")
    expect(breaker.acquire("d")).toBe("pass")
    breaker.failure("d")
    expect(breaker.state("d")).toEqual({ status: "open", consecutiveFailures: 2, openUntil: 1000 })
    expect(breaker.acquire("d")).toBe("blocked")
    now = 1000
    expect(breaker.acquire("d")).toBe("probe")
    expect(breaker.acquire("d")).toBe("blocked")
    expect(breaker.state("d").status).toBe("probing")
    breaker.failure("d")
    expect(breaker.state("d")).toMatchObject({ status: "open", openUntil: 2000 })
    now = 2000
    expect(breaker.acquire("d")).toBe("probe")
    breaker.success("d")
    expect(breaker.state("d")).toEqual({ status: "closed", consecutiveFailures: 0 })
    expect(breaker.acquire("d")).toBe("pass")
  })

  it("a probe that never reports does not block the deployment forever", () => {
    let now = 0
    const breaker = CircuitBreaker.make({ failureThreshold: 1, cooldownMs: 1000 }, () => now)
    breaker.failure("d")
    now = 1000
    expect(breaker.acquire("d")).toBe("probe")
    now = 1999
    expect(breaker.acquire("d")).toBe("blocked")
    now = 2000
    expect(breaker.acquire("d")).toBe("probe")
  })
})

describe("WeightedPicker", () => {
  it("puts each item first in proportion to its weight (seeded)", () => {
    const rng = new PCGRandom(7)
    const items = [
      { id: "a", w: 1 },
      { id: "b", w: 2 },
      { id: "c", w: 5 },
      { id: "z", w: 0 }
    ]
    const firsts: Record<string, number> = { a: 0, b: 0, c: 0, z: 0 }
    for (let i = 0; i < 8000; i++) {
      const order = WeightedPicker.weightedOrder(
        items,
        (item) => item.w,
        () => rng.number()
      )
      expect(order).toHaveLength(4)
      expect(order.at(-1)!.id).toBe("z") // weight 0: last resort only
      firsts[order[0]!.id]!++
    }
    expect(firsts.z).toBe(0)
    expect(Math.abs(firsts.a! - 1000)).toBeLessThan(120)
    expect(Math.abs(firsts.b! - 2000)).toBeLessThan(150)
    expect(Math.abs(firsts.c! - 5000)).toBeLessThan(150)
  })

  it.effect("the Effect version draws from the Random service, reproducibly", () =>
    Effect.gen(function* () {
      const items = ["x", "y", "z"]
      const run = Effect.forEach(Array.from({ length: 50 }), () =>
        Effect.map(
          WeightedPicker.order(items, () => 1),
          (order) => order.join("")
        )
      )
      const first = yield* run.pipe(Effect.withRandom(Random.make("seed")))
      const second = yield* run.pipe(Effect.withRandom(Random.make("seed")))
      expect(first).toEqual(second)
      expect(new Set(first).size).toBeGreaterThan(3)
    })
  )
})
