/**
 * The limiter backend for a single router instance: plain maps, checked and charged in one
 * synchronous step (JavaScript runs it to completion, so concurrent requests cannot interleave
 * between the check and the charge). Same arithmetic and refusals as the Redis scripts.
 *
 * It runs once per request, so an admission does constant work per scope: one map lookup finds
 * everything the scope holds (no names are built), expired leases are only looked for when they
 * could change the answer (the scope is at its concurrency limit), the budget period is reused
 * while the clock stays inside it, and the snapshot of a refusal is only built for a refusal.
 */
import type { LimitExceeded, LimitScope, BudgetPeriod as Period, RateLimitWindow } from "@switchyard/domain"
import * as BudgetPeriod from "./BudgetPeriod.ts"
import type { AdmitRequest, LimitStore, RateLimitSnapshot, ScopePlan, StoreAdmission } from "./LimitStore.ts"
import { refusal } from "./Refusal.ts"
import * as TokenBucket from "./TokenBucket.ts"

/** A rate bucket, updated in place; `capacity` is the one it was last charged with (for the sweep). */
interface Bucket extends TokenBucket.BucketState {
  capacity: number
  level: number
  at: number
}

interface Spend {
  spent: number
  /** When the counter may be forgotten: the period's end plus the settle grace. */
  expiresAt: number
}

/** Everything the store keeps for one scope (one key or one user). */
interface ScopeState {
  rpm: Bucket | undefined
  tpm: Bucket | undefined
  /** Concurrency leases held, id to expiry. Expired ones may linger until they matter. */
  readonly leases: Map<string, number>
  /** No lease in `leases` expires before this. Releases do not raise it: it is a lower bound. */
  leaseFloor: number
  /**
   * When the leases were last checked. A lease that had expired by then is gone for good, even if
   * the clock steps back afterwards (as when every check purged); purging being lazy, such a lease
   * may still be in `leases`, so a check at an earlier instant drops them first.
   */
  leasesCheckedAt: number
  /** Budget counters by period id: a late settlement goes to the period it reserved in. */
  readonly spends: Map<string, Spend>
  /** False once the sweep has forgotten this state; an admission holding it looks it up again. */
  live: boolean
}

/** Options of the in-memory store. */
export interface MemoryStoreOptions {
  /** How long a concurrency slot is held when a request never releases it (a bug or a crash). */
  readonly leaseTtlMs: number
}

const SWEEP_EVERY_MS = 60_000

/** The tighter of `current` and the window of a bucket at `level`: the one with fewer units left. */
const tighter = (
  current: RateLimitWindow | undefined,
  capacity: number,
  level: number
): RateLimitWindow | undefined => {
  const remaining = TokenBucket.remaining(level)
  return current === undefined || remaining < current.remaining
    ? { limit: capacity, remaining, resetMs: TokenBucket.msUntil(capacity, level, capacity) }
    : current
}

/** A snapshot with the windows that exist, in the order the scopes first produced them. */
const snapshotOf = (
  requests: RateLimitWindow | undefined,
  tokens: RateLimitWindow | undefined,
  tokensFirst: boolean
): RateLimitSnapshot => {
  if (requests === undefined) return tokens === undefined ? {} : { tokens }
  if (tokens === undefined) return { requests }
  return tokensFirst ? { tokens, requests } : { requests, tokens }
}

/** Sets a bucket's level at `now` (capped at its capacity), reusing the bucket when there is one. */
const charged = (bucket: Bucket | undefined, capacity: number, value: number, now: number): Bucket => {
  const level = Math.min(value, capacity)
  if (bucket === undefined) return { capacity, level, at: now }
  bucket.capacity = capacity
  bucket.level = level
  bucket.at = now
  return bucket
}

/** Drops a scope's expired leases and recomputes the exact earliest expiry of the rest. */
const purgeLeases = (state: ScopeState, now: number) => {
  let floor = Number.POSITIVE_INFINITY
  for (const [lease, expiresAt] of state.leases) {
    if (expiresAt <= now) state.leases.delete(lease)
    else if (expiresAt < floor) floor = expiresAt
  }
  state.leaseFloor = floor
}

/** Records a check of the leases at `now`, first dropping those already expired if the clock stepped back. */
const checkLeasesAt = (state: ScopeState, now: number) => {
  if (now < state.leasesCheckedAt && state.leaseFloor <= state.leasesCheckedAt)
    purgeLeases(state, state.leasesCheckedAt)
  state.leasesCheckedAt = now
}

/**
 * Whether `limit` unexpired leases are held at `now`. Below the limit expired leases cannot change
 * the answer, so they are only purged once the count reaches it, and only if one may have expired.
 */
const slotsFull = (state: ScopeState, limit: number, now: number): boolean => {
  checkLeasesAt(state, now)
  if (state.leases.size < limit) return false
  if (state.leaseFloor <= now) purgeLeases(state, now)
  return state.leases.size >= limit
}

const spentIn = (spend: Spend | undefined, now: number) =>
  spend === undefined || spend.expiresAt <= now ? 0 : spend.spent

/** Makes an empty in-memory store. */
export const make = (options: MemoryStoreOptions): LimitStore => {
  const { leaseTtlMs } = options
  const states: Record<LimitScope, Map<string, ScopeState>> = {
    key: new Map(),
    user: new Map(),
    route: new Map()
  }
  /** The last period computed of each kind, and the instant it was computed for. */
  const periods: Record<Period, { from: number; window: BudgetPeriod.PeriodWindow } | undefined> = {
    day: undefined,
    month: undefined
  }
  // Per-scope values of the admission in progress (admissions never interleave).
  const requestLevels: Array<number> = []
  const tokenLevels: Array<number> = []
  const budgetPeriods: Array<BudgetPeriod.PeriodWindow | undefined> = []
  let lastSweep = 0

  const sweep = (now: number) => {
    lastSweep = now
    for (const scoped of Object.values(states)) {
      for (const [id, state] of scoped) {
        const { rpm, tpm } = state
        if (rpm !== undefined && TokenBucket.levelAt(rpm.capacity, rpm, now) >= rpm.capacity)
          state.rpm = undefined
        if (tpm !== undefined && TokenBucket.levelAt(tpm.capacity, tpm, now) >= tpm.capacity)
          state.tpm = undefined
        if (state.leases.size > 0) {
          purgeLeases(state, Math.max(now, state.leasesCheckedAt))
          state.leasesCheckedAt = now
        }
        for (const [period, spend] of state.spends) if (spend.expiresAt <= now) state.spends.delete(period)
        if (
          state.rpm === undefined &&
          state.tpm === undefined &&
          state.leases.size === 0 &&
          state.spends.size === 0
        ) {
          scoped.delete(id)
          state.live = false
        }
      }
    }
  }

  const stateOf = (plan: ScopePlan): ScopeState => {
    const scoped = states[plan.scope]
    let state = scoped.get(plan.id)
    if (state === undefined) {
      state = {
        rpm: undefined,
        tpm: undefined,
        leases: new Map(),
        leaseFloor: Number.POSITIVE_INFINITY,
        leasesCheckedAt: Number.NEGATIVE_INFINITY,
        spends: new Map(),
        live: true
      }
      scoped.set(plan.id, state)
    }
    return state
  }

  /** The budget period containing `now`, recomputed only when `now` leaves the last one. */
  const periodAt = (kind: Period, now: number): BudgetPeriod.PeriodWindow => {
    const cached = periods[kind]
    if (cached !== undefined && now >= cached.from && now < cached.window.endsAt) return cached.window
    const window = BudgetPeriod.windowAt(kind, now)
    periods[kind] = { from: now, window }
    return window
  }

  /** The windows of every scope before charging, as a refusal reports them. */
  const snapshotBefore = (scopes: ReadonlyArray<ScopePlan>): RateLimitSnapshot => {
    let requests: RateLimitWindow | undefined
    let tokens: RateLimitWindow | undefined
    let tokensFirst = false
    for (let i = 0; i < scopes.length; i++) {
      const plan = scopes[i]!
      if (plan.rpm > 0) requests = tighter(requests, plan.rpm, requestLevels[i]!)
      if (plan.tpm > 0) {
        if (requests === undefined) tokensFirst = true
        tokens = tighter(tokens, plan.tpm, tokenLevels[i]!)
      }
    }
    return snapshotOf(requests, tokens, tokensFirst)
  }

  /** Checks and charges every limit, or returns the first refusal and charges nothing. */
  const admitNow = (request: AdmitRequest): StoreAdmission | LimitExceeded => {
    const { estimate, leaseId, now, scopes } = request
    if (now - lastSweep > SWEEP_EVERY_MS) sweep(now)
    const count = scopes.length
    const held: Array<ScopeState> = []
    // Every level is read before any check: a refusal reports all scopes' windows.
    for (let i = 0; i < count; i++) {
      const plan = scopes[i]!
      const state = stateOf(plan)
      held.push(state)
      requestLevels[i] = plan.rpm > 0 ? TokenBucket.levelAt(plan.rpm, state.rpm, now) : 0
      tokenLevels[i] = plan.tpm > 0 ? TokenBucket.levelAt(plan.tpm, state.tpm, now) : 0
    }
    for (let i = 0; i < count; i++) {
      const plan = scopes[i]!
      const state = held[i]!
      const requests = requestLevels[i]!
      const tokens = tokenLevels[i]!
      const scope = plan.scope
      if (plan.rpm > 0 && !TokenBucket.admits(plan.rpm, requests, 1)) {
        return refusal({
          kind: "requests",
          scope,
          limit: plan.rpm,
          remaining: TokenBucket.remaining(requests),
          resetMs: TokenBucket.msUntil(plan.rpm, requests, 1),
          snapshot: snapshotBefore(scopes)
        })
      }
      if (plan.tpm > 0 && !TokenBucket.admits(plan.tpm, tokens, estimate.tokens)) {
        return refusal({
          kind: "tokens",
          scope,
          limit: plan.tpm,
          remaining: TokenBucket.remaining(tokens),
          resetMs: TokenBucket.msUntil(plan.tpm, tokens, Math.max(Math.min(estimate.tokens, plan.tpm), 1)),
          snapshot: snapshotBefore(scopes)
        })
      }
      if (plan.concurrency > 0 && slotsFull(state, plan.concurrency, now)) {
        return refusal({
          kind: "concurrency",
          scope,
          limit: plan.concurrency,
          remaining: 0,
          resetMs: 1000,
          snapshot: snapshotBefore(scopes)
        })
      }
      const period = plan.budget === undefined ? undefined : periodAt(plan.budget.period, now)
      budgetPeriods[i] = period
      if (plan.budget !== undefined && period !== undefined) {
        const spent = spentIn(state.spends.get(period.id), now)
        const amount = plan.budget.amountMicros
        if (spent >= amount || spent + estimate.costMicros > amount) {
          return refusal({
            kind: "budget",
            scope,
            limit: amount,
            remaining: Math.max(0, amount - spent),
            resetMs: period.endsAt - now,
            snapshot: snapshotBefore(scopes)
          })
        }
      }
    }
    // Every limit admits the request: charge them all.
    let requestsAfter: RateLimitWindow | undefined
    let tokensAfter: RateLimitWindow | undefined
    let tokensFirst = false
    let periodIds: Array<string | undefined> | undefined
    for (let i = 0; i < count; i++) {
      const plan = scopes[i]!
      const state = held[i]!
      if (plan.rpm > 0) {
        const level = requestLevels[i]! - 1
        state.rpm = charged(state.rpm, plan.rpm, level, now)
        requestsAfter = tighter(requestsAfter, plan.rpm, level)
      }
      if (plan.tpm > 0) {
        const level = tokenLevels[i]! - estimate.tokens
        state.tpm = charged(state.tpm, plan.tpm, level, now)
        if (requestsAfter === undefined) tokensFirst = true
        tokensAfter = tighter(tokensAfter, plan.tpm, level)
      }
      if (plan.concurrency > 0 && leaseId !== undefined) {
        const expiresAt = now + leaseTtlMs
        state.leases.set(leaseId, expiresAt)
        if (expiresAt < state.leaseFloor) state.leaseFloor = expiresAt
      }
      const period = budgetPeriods[i]
      if (plan.budget !== undefined && period !== undefined) {
        const spend = state.spends.get(period.id)
        const expiresAt = period.endsAt + BudgetPeriod.SETTLE_GRACE_MS
        if (spend === undefined) state.spends.set(period.id, { spent: estimate.costMicros, expiresAt })
        else {
          spend.spent = spentIn(spend, now) + estimate.costMicros
          spend.expiresAt = expiresAt
        }
        periodIds ??= []
        periodIds[i] = period.id
      }
    }
    return {
      rateLimit: snapshotOf(requestsAfter, tokensAfter, tokensFirst),
      adjust: (adjustment, at) => {
        for (let i = 0; i < count; i++) {
          const plan = scopes[i]!
          let state = held[i]!
          if (!state.live) {
            state = stateOf(plan)
            held[i] = state
          }
          if (plan.tpm > 0 && adjustment.tokens !== 0) {
            const level = TokenBucket.levelAt(plan.tpm, state.tpm, at) - adjustment.tokens
            state.tpm = charged(state.tpm, plan.tpm, level, at)
          }
          const periodId = periodIds?.[i]
          if (periodId !== undefined && adjustment.costMicros !== 0) {
            const spend = state.spends.get(periodId)
            if (spend !== undefined && spend.expiresAt > at) spend.spent += adjustment.costMicros
          }
          if (adjustment.release && leaseId !== undefined) state.leases.delete(leaseId)
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
