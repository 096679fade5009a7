/**
 * The limiter backend for a single router instance: plain maps, checked and charged in one
 * synchronous step (JavaScript runs it to completion, so concurrent requests cannot interleave
 * between the check and the charge). Same arithmetic and refusals as the Redis scripts.
 */
import type { LimitExceeded, RateLimitWindow } from "@switchyard/domain"
import * as BudgetPeriod from "./BudgetPeriod.ts"
import type { AdmitRequest, LimitStore, StoreAdmission } from "./LimitStore.ts"
import { refusal } from "./Refusal.ts"
import * as TokenBucket from "./TokenBucket.ts"

interface Bucket {
  capacity: number
  state: TokenBucket.BucketState
}

interface Spend {
  spent: number
  /** When the counter may be forgotten: the period's end plus the settle grace. */
  expiresAt: number
}

/** Options of the in-memory store. */
export interface MemoryStoreOptions {
  /** How long a concurrency slot is held when a request never releases it (a bug or a crash). */
  readonly leaseTtlMs: number
}

const SWEEP_EVERY_MS = 60_000

/** Tighter of two windows: the one with fewer units left. */
const tighter = (a: RateLimitWindow | undefined, b: RateLimitWindow): RateLimitWindow =>
  a === undefined || b.remaining < a.remaining ? b : a

const window = (capacity: number, level: number): RateLimitWindow => ({
  limit: capacity,
  remaining: TokenBucket.remaining(level),
  resetMs: TokenBucket.msUntil(capacity, level, capacity)
})

/** Makes an empty in-memory store. */
export const make = (options: MemoryStoreOptions): LimitStore => {
  const buckets = new Map<string, Bucket>()
  const leases = new Map<string, Map<string, number>>()
  const spends = new Map<string, Spend>()
  let lastSweep = 0

  const sweep = (now: number) => {
    lastSweep = now
    for (const [name, bucket] of buckets) {
      if (TokenBucket.levelAt(bucket.capacity, bucket.state, now) >= bucket.capacity) buckets.delete(name)
    }
    for (const [name, held] of leases) {
      for (const [lease, expiresAt] of held) if (expiresAt <= now) held.delete(lease)
      if (held.size === 0) leases.delete(name)
    }
    for (const [name, spend] of spends) if (spend.expiresAt <= now) spends.delete(name)
  }

  const level = (name: string, capacity: number, now: number) =>
    TokenBucket.levelAt(capacity, buckets.get(name)?.state, now)

  const setLevel = (name: string, capacity: number, value: number, now: number) => {
    buckets.set(name, { capacity, state: { level: Math.min(value, capacity), at: now } })
  }

  const heldSlots = (name: string, now: number): Map<string, number> => {
    let held = leases.get(name)
    if (held === undefined) {
      held = new Map()
      leases.set(name, held)
    }
    for (const [lease, expiresAt] of held) if (expiresAt <= now) held.delete(lease)
    return held
  }

  const spentIn = (name: string, now: number) => {
    const spend = spends.get(name)
    return spend === undefined || spend.expiresAt <= now ? 0 : spend.spent
  }

  /** Checks and charges every limit, or returns the first refusal and charges nothing. */
  const admitNow = (request: AdmitRequest): StoreAdmission | LimitExceeded => {
    const { estimate, leaseId, now } = request
    if (now - lastSweep > SWEEP_EVERY_MS) sweep(now)
    const names = request.scopes.map((plan) => {
      const base = `${plan.scope}\u0000${plan.id}\u0000`
      const period = plan.budget === undefined ? undefined : BudgetPeriod.windowAt(plan.budget.period, now)
      return {
        plan,
        rpm: `${base}rpm`,
        tpm: `${base}tpm`,
        slots: `${base}slots`,
        spend: period === undefined ? "" : `${base}spend\u0000${period.id}`,
        period
      }
    })
    let snapshot: { requests?: RateLimitWindow; tokens?: RateLimitWindow } = {}
    const levels = names.map(({ plan, rpm, tpm }) => {
      const requests = plan.rpm > 0 ? level(rpm, plan.rpm, now) : 0
      const tokens = plan.tpm > 0 ? level(tpm, plan.tpm, now) : 0
      if (plan.rpm > 0)
        snapshot = { ...snapshot, requests: tighter(snapshot.requests, window(plan.rpm, requests)) }
      if (plan.tpm > 0) snapshot = { ...snapshot, tokens: tighter(snapshot.tokens, window(plan.tpm, tokens)) }
      return { requests, tokens }
    })
    for (let i = 0; i < names.length; i++) {
      const { period, plan, slots, spend } = names[i]!
      const { requests, tokens } = levels[i]!
      const scope = plan.scope
      if (plan.rpm > 0 && !TokenBucket.admits(plan.rpm, requests, 1)) {
        return refusal({
          kind: "requests",
          scope,
          limit: plan.rpm,
          remaining: TokenBucket.remaining(requests),
          resetMs: TokenBucket.msUntil(plan.rpm, requests, 1),
          snapshot
        })
      }
      if (plan.tpm > 0 && !TokenBucket.admits(plan.tpm, tokens, estimate.tokens)) {
        return refusal({
          kind: "tokens",
          scope,
          limit: plan.tpm,
          remaining: TokenBucket.remaining(tokens),
          resetMs: TokenBucket.msUntil(plan.tpm, tokens, Math.max(Math.min(estimate.tokens, plan.tpm), 1)),
          snapshot
        })
      }
      if (plan.concurrency > 0) {
        const held = heldSlots(slots, now).size
        if (held >= plan.concurrency) {
          return refusal({
            kind: "concurrency",
            scope,
            limit: plan.concurrency,
            remaining: 0,
            resetMs: 1000,
            snapshot
          })
        }
      }
      if (plan.budget !== undefined && period !== undefined) {
        const spent = spentIn(spend, now)
        const amount = plan.budget.amountMicros
        if (spent >= amount || spent + estimate.costMicros > amount) {
          return refusal({
            kind: "budget",
            scope,
            limit: amount,
            remaining: Math.max(0, amount - spent),
            resetMs: period.endsAt - now,
            snapshot
          })
        }
      }
    }
    // Every limit admits the request: charge them all.
    let after: { requests?: RateLimitWindow; tokens?: RateLimitWindow } = {}
    for (let i = 0; i < names.length; i++) {
      const { period, plan, rpm, slots, spend, tpm } = names[i]!
      const { requests, tokens } = levels[i]!
      if (plan.rpm > 0) {
        setLevel(rpm, plan.rpm, requests - 1, now)
        after = { ...after, requests: tighter(after.requests, window(plan.rpm, requests - 1)) }
      }
      if (plan.tpm > 0) {
        setLevel(tpm, plan.tpm, tokens - estimate.tokens, now)
        after = { ...after, tokens: tighter(after.tokens, window(plan.tpm, tokens - estimate.tokens)) }
      }
      if (plan.concurrency > 0 && leaseId !== undefined)
        heldSlots(slots, now).set(leaseId, now + options.leaseTtlMs)
      if (plan.budget !== undefined && period !== undefined) {
        spends.set(spend, {
          spent: spentIn(spend, now) + estimate.costMicros,
          expiresAt: period.endsAt + BudgetPeriod.SETTLE_GRACE_MS
        })
      }
    }
    return {
      rateLimit: after,
      adjust: (adjustment, at) => {
        for (const { plan, slots, spend, tpm } of names) {
          if (plan.tpm > 0 && adjustment.tokens !== 0) {
            setLevel(tpm, plan.tpm, level(tpm, plan.tpm, at) - adjustment.tokens, at)
          }
          if (plan.budget !== undefined && adjustment.costMicros !== 0) {
            const entry = spends.get(spend)
            if (entry !== undefined && entry.expiresAt > at) entry.spent += adjustment.costMicros
          }
          if (adjustment.release && leaseId !== undefined) leases.get(slots)?.delete(leaseId)
        }
      }
    }
  }

  return {
    backend: "memory",
    admit: admitNow,
    ping: () => Promise.resolve()
  }
}
