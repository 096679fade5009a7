/**
 * What a limiter backend (memory or Redis) does: check every limit of a request and charge them
 * all, atomically, or charge none; later adjust the charge to the real usage and free the
 * concurrency slot. `Limiter.ts` builds the public service (Effects, failure mode, idempotent
 * settle) on top of a store.
 *
 * Stores are plain functions, synchronous (memory) or returning a Promise (Redis): on the hot
 * path every Effect step around an asynchronous call costs microseconds (measured: an ioredis
 * call alone ~7 µs, wrapped in `Effect.tryPromise` + `map` ~22 µs), so the limiter makes exactly
 * one async boundary per Redis call and none for memory.
 */
import type { Budget, LimitExceeded, LimitScope, RateLimitWindow } from "@switchyard/domain"

/** One scope's limits, normalised: `0` means no limit of that kind. */
export interface ScopePlan {
  readonly scope: LimitScope
  /** The key id (scope `key`), the user id (scope `user`), or `user id/family` (scope `route`). */
  readonly id: string
  readonly rpm: number
  readonly tpm: number
  readonly concurrency: number
  readonly budget: Budget | undefined
}

/** A request's usage, estimated before or measured after. */
export interface Usage {
  /** Input plus output tokens. */
  readonly tokens: number
  /** Cost in integer micro-dollars. */
  readonly costMicros: number
}

/** Everything a store needs to admit one request. */
export interface AdmitRequest {
  /** The user the request belongs to: all its counters share this user's Redis hash slot. */
  readonly userId: string
  /** The scopes with at least one limit (one to three, each scope at most once). */
  readonly scopes: ReadonlyArray<ScopePlan>
  readonly estimate: Usage
  /** Identifies the concurrency slot taken, when a scope limits concurrency. */
  readonly leaseId: string | undefined
  /** The caller's clock (epoch ms): picks the budget period (the memory store uses it for everything). */
  readonly now: number
}

/** The OpenAI-style rate windows after admission (the tighter scope of each kind). */
export interface RateLimitSnapshot {
  readonly requests?: RateLimitWindow | undefined
  readonly tokens?: RateLimitWindow | undefined
}

/** A correction applied after the request: deltas from the estimate, and whether to free the slot. */
export interface Adjustment {
  readonly tokens: number
  readonly costMicros: number
  readonly release: boolean
}

/** An admitted request as the store sees it. */
export interface StoreAdmission {
  readonly rateLimit: RateLimitSnapshot
  /** Applies a correction at `now`; a rejected Promise means the store was unreachable. */
  readonly adjust: (adjustment: Adjustment, now: number) => void | Promise<void>
}

/**
 * A limiter backend. `admit` returns the admission or the refusal (as a value); a Promise that
 * rejects means the store could not be reached.
 */
export interface LimitStore {
  readonly backend: "memory" | "redis"
  readonly admit: (
    request: AdmitRequest
  ) => StoreAdmission | LimitExceeded | Promise<StoreAdmission | LimitExceeded>
  /** Resolves when the backend answers. */
  readonly ping: () => Promise<void>
}
