/**
 * Budget alerts: the limiter still decides exactly as before; a user whose spend (plus what is
 * reserved) reaches 80 % of the budget gets one `budget_alert` at 80, a request refused for the
 * budget one at 100, each once per period.
 */
import { describe, expect, it } from "@effect/vitest"
import { Limiter } from "@switchyard/router-core"
import { Effect, Layer } from "effect"
import { BudgetTap, PublishedEvents, Publisher } from "../src/index.ts"

const layer = BudgetTap.layer({ probeIntervalMs: 0 }).pipe(
  Layer.provideMerge(Layer.mergeAll(Limiter.layerMemory(), Publisher.layerMemory))
)

const budget = { amountMicros: 1_000, period: "day" as const }
const limits = { user: { budget }, key: {} }
const subject = { userId: "u1", keyId: "k1" }

/** The alerts published so far, once the probes scheduled before now have run. */
const alerts = Effect.gen(function* () {
  yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 0)))
  return (yield* PublishedEvents)
    .all()
    .filter((p) => p.event === "budget_alert")
    .map((p) => p.data as { threshold: number; scope: string; id: string; budgetMicros: number })
})

describe("BudgetTap", () => {
  it.effect("announces 80 % once spent, and 100 % when a request is refused for the budget", () =>
    Effect.gen(function* () {
      const limiter = yield* Limiter.Limiter
      const first = yield* Limiter.asEffect(limiter.admit(subject, limits, { tokens: 10, costMicros: 100 }))
      yield* Effect.promise(async () => first.settle({ tokens: 10, costMicros: 700 }))
      expect(yield* alerts).toEqual([])

      const second = yield* Limiter.asEffect(limiter.admit(subject, limits, { tokens: 10, costMicros: 100 }))
      yield* Effect.promise(async () => second.settle({ tokens: 10, costMicros: 150 }))
      const at80 = yield* alerts
      expect(at80).toHaveLength(1)
      expect(at80[0]).toMatchObject({ threshold: 80, scope: "user", id: "u1", budgetMicros: 1_000 })

      const refused = yield* Effect.flip(
        Limiter.asEffect(limiter.admit(subject, limits, { tokens: 10, costMicros: 200 }))
      )
      expect(refused).toMatchObject({ _tag: "LimitExceeded", kind: "budget" })
      const third = yield* Limiter.asEffect(limiter.admit(subject, limits, { tokens: 1, costMicros: 10 }))
      yield* Effect.promise(async () => third.settle({ tokens: 1, costMicros: 10 }))
      yield* Effect.flip(Limiter.asEffect(limiter.admit(subject, limits, { tokens: 10, costMicros: 200 })))
      const all = yield* alerts
      expect(all.map((alert) => alert.threshold)).toEqual([80, 100])
      expect(all[1]).toMatchObject({ scope: "user", id: "u1" })
    }).pipe(Effect.provide(layer))
  )

  it.effect("does nothing for callers without a budget", () =>
    Effect.gen(function* () {
      const limiter = yield* Limiter.Limiter
      const admitted = limiter.admit(subject, { user: { rpm: 1 }, key: {} }, { tokens: 1, costMicros: 1 })
      expect(admitted).not.toBeInstanceOf(Promise)
      yield* Effect.flip(
        Limiter.asEffect(limiter.admit(subject, { user: { rpm: 1 }, key: {} }, { tokens: 1, costMicros: 1 }))
      )
      expect(yield* alerts).toEqual([])
    }).pipe(Effect.provide(layer))
  )
})
