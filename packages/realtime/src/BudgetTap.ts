/**
 * Budget alerts for the live view: a `Limiter` that admits exactly as the one it wraps and, for
 * callers with a spend budget, publishes `budget_alert` to the user's room when the budget's
 * period crosses 80 % and 100 %.
 *
 * - 100 %: the wrapped limiter refused a request for its budget (`LimitExceeded`, kind `budget`).
 * - 80 %: after an admission, at most once per `probeIntervalMs` per budget, the wrapped limiter is
 *   asked to admit a zero-cost request against 80 % of the budget (no other limit, nothing
 *   reserved); a refusal means what is spent and reserved has reached 80 %. The limiter is the one
 *   authority on spend (memory or Redis, shared by every router), so the check is as right as the
 *   budget itself, and costs one store call per budget per interval, never on the request's path.
 *
 * Each threshold is announced once per budget period per router instance.
 */
import { LimitExceeded, type LimitScope } from "@switchyard/domain"
import type { EffectiveLimits } from "@switchyard/router-core"
import { Limiter } from "@switchyard/router-core"
import { Effect, Layer } from "effect"
import { Publisher } from "./Publisher.ts"

/** The scopes that can hold a budget (a route rate is a request rate only). */
type BudgetScope = Exclude<LimitScope, "route">

type Budget = NonNullable<EffectiveLimits.ResolvedLimits["budget"]>

/** The period a budget is counted in now (UTC), as a key. */
const periodOf = (budget: Budget, now: Date) =>
  budget.period === "day" ? now.toISOString().slice(0, 10) : now.toISOString().slice(0, 7)

/** Wraps the `Limiter` below it (provide it, and a `Publisher`, to this layer). */
export const layer = (options: { readonly probeIntervalMs?: number } = {}) =>
  Layer.effect(
    Limiter.Limiter,
    Effect.gen(function* () {
      const inner = yield* Limiter.Limiter
      const publisher = yield* Publisher
      const probeInterval = options.probeIntervalMs ?? 5_000
      /** Highest threshold announced, by scope, id and period. */
      const announced = new Map<string, 80 | 100>()
      const lastProbe = new Map<string, number>()

      const alert = (
        userId: string,
        scope: BudgetScope,
        id: string,
        budget: Budget,
        threshold: 80 | 100,
        spent: number
      ) => {
        const now = new Date()
        const key = `${scope}:${id}:${periodOf(budget, now)}`
        if ((announced.get(key) ?? 0) >= threshold) return
        if (announced.size > 100_000) announced.clear()
        announced.set(key, threshold)
        publisher.publish(userId, "budget_alert", {
          scope,
          id,
          threshold,
          spentMicros: Math.max(0, Math.round(spent)),
          budgetMicros: budget.amountMicros,
          period: budget.period,
          timestamp: now.toISOString()
        })
      }

      /** Asks the wrapped limiter whether 80 % of `budget` is spent or reserved. */
      const probe = (subject: Limiter.Subject, scope: BudgetScope, id: string, budget: Budget) => {
        const key = `${scope}:${id}`
        const now = Date.now()
        if (now - (lastProbe.get(key) ?? 0) < probeInterval) return
        if (lastProbe.size > 100_000) lastProbe.clear()
        lastProbe.set(key, now)
        const at80 = { amountMicros: Math.floor(budget.amountMicros * 0.8), period: budget.period }
        const limits: EffectiveLimits.EffectiveLimits =
          scope === "user" ? { user: { budget: at80 }, key: {} } : { user: {}, key: { budget: at80 } }
        const answered = (result: Limiter.AdmitResult) => {
          if (result instanceof LimitExceeded) {
            if (result.kind === "budget")
              alert(subject.userId, scope, id, budget, 80, result.limit - result.remaining)
          } else if (!(result instanceof Error)) void result.settle({ tokens: 0, costMicros: 0 })
        }
        try {
          const result = inner.admit(subject, limits, { tokens: 0, costMicros: 0 })
          if (result instanceof Promise) result.then(answered, () => {})
          else answered(result)
        } catch {
          // A probe never disturbs a request.
        }
      }

      const watch = (subject: Limiter.Subject, limits: EffectiveLimits.EffectiveLimits, result: unknown) => {
        const userBudget = limits.user.budget
        const keyBudget = subject.keyId === undefined ? undefined : limits.key.budget
        if (userBudget === undefined && keyBudget === undefined) return
        if (result instanceof LimitExceeded) {
          if (result.kind !== "budget" || result.scope === "route") return
          const budget = result.scope === "user" ? userBudget : keyBudget
          const id = result.scope === "user" ? subject.userId : subject.keyId
          if (budget !== undefined && id !== undefined) {
            alert(subject.userId, result.scope, id, budget, 100, result.limit - result.remaining)
          }
          return
        }
        if (result instanceof Error) return
        // At most one probe per scope every `probeInterval`: skip the timer unless one is due.
        const now = Date.now()
        const due = (key: string) => now - (lastProbe.get(key) ?? 0) >= probeInterval
        const userDue = userBudget !== undefined && due(`user:${subject.userId}`)
        const keyDue = keyBudget !== undefined && subject.keyId !== undefined && due(`key:${subject.keyId}`)
        if (!userDue && !keyDue) return
        setTimeout(() => {
          if (userBudget !== undefined) probe(subject, "user", subject.userId, userBudget)
          if (keyBudget !== undefined && subject.keyId !== undefined)
            probe(subject, "key", subject.keyId, keyBudget)
        }, 0)
      }

      return {
        health: inner.health,
        admit: (subject, limits, estimate) => {
          const result = inner.admit(subject, limits, estimate)
          if (result instanceof Promise) {
            return result.then((answer) => {
              watch(subject, limits, answer)
              return answer
            })
          }
          watch(subject, limits, result)
          return result
        }
      }
    })
  )
