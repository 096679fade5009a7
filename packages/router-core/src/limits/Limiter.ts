/**
 * The limiter on the router's hot path: per key and per user requests per minute, tokens per
 * minute, concurrent requests and spend budgets, and a user's request rate on one family of routes,
 * checked and charged together in one step.
 *
 * ```ts
 * const limiter = yield* Limiter
 * const admission = yield* limiter.admit({ keyId, userId }, limits, { tokens: 1200, costMicros: 900 })
 * // ... forward; when the response has ended and its usage is known:
 * yield* admission.settle({ tokens: 1043, costMicros: 812 })
 * ```
 *
 * Backends: `layerMemory` (one instance) or `layerRedis` (shared by every instance; one Redis
 * round trip per admission and at most one per settlement). `layer` picks by `REDIS_URL`.
 *
 * Budget accounting, and its overspend bound: `admit` reserves the estimated cost (the request is
 * refused unless `spent + reserved + estimate ≤ budget`) and `settle` replaces the estimate by the
 * real cost. Every admission therefore sees the budget covering everything already charged plus
 * every reservation in flight, so the final spend can exceed the budget only by what requests in
 * flight at the last admission cost beyond their estimates:
 *
 *     spent_final ≤ budget + Σ over requests in flight at the last admission of max(0, actual − estimate)
 *
 * With an estimate that is an upper bound (prompt tokens plus `max_tokens`, priced) there is no
 * overspend at all; with an estimate of 0 the overspend is at most the cost of the requests that
 * were in flight when the budget ran out. A request that is never settled keeps its estimate
 * charged (the safe side). The same argument, with tokens instead of micro-dollars, bounds `tpm`.
 */
import { LimitExceeded, type LimitScope, LimitsUnavailable } from "@switchyard/domain"
import { Config, Context, Effect, Layer, Option, Redacted, Runtime, type Scope } from "effect"
import type { Redis } from "ioredis"
import { type EffectiveLimits, hasAny, type ResolvedLimits } from "./EffectiveLimits.ts"
import type {
  Adjustment,
  LimitStore,
  RateLimitSnapshot,
  ScopePlan,
  StoreAdmission,
  Usage
} from "./LimitStore.ts"
import * as MemoryStore from "./MemoryStore.ts"
import * as RedisStore from "./RedisStore.ts"

export type { RateLimitSnapshot, Usage } from "./LimitStore.ts"

/** Who a request is charged to. A request without an API key (a user's bearer token) has no `keyId`. */
export interface Subject {
  readonly userId: string
  readonly keyId?: string | undefined
}

/**
 * An admitted request. Call `settle` once when its usage is known (after the response or stream
 * has ended, also when it failed: then with what was actually used, often zero); it frees the
 * concurrency slot too.
 */
export interface Admission {
  /** The rate windows after this admission, for `RateLimitHeaders.fromSnapshot`. */
  readonly rateLimit: RateLimitSnapshot
  /** True when the request was let through unchecked because the store was unreachable. */
  readonly degraded: boolean
  /**
   * Starts the settlement and returns at once: applied already (memory), or a promise that
   * resolves when the store has it (Redis), which the hot path need not wait for. Idempotent;
   * never rejects: a store error is logged and the reservation stays.
   */
  readonly settle: (actual: Usage) => void | Promise<void>
}

/** What `admit` answers: the admission, or the refusal as a value. */
export type AdmitResult = Admission | LimitExceeded | LimitsUnavailable

/** What to do when the Redis store cannot be reached: let requests through, or refuse them (503). */
export type FailureMode = "open" | "closed"

/** The limiter's state, for `/health`. */
export interface LimiterHealth {
  readonly backend: "memory" | "redis"
  readonly status: "ok" | "unreachable"
  readonly failureMode: FailureMode
  /** Why the store is unreachable. */
  readonly message?: string
}

/**
 * The limiter service. Its face is the router's hot path's: plain values and promises, no fiber
 * per request (see `asEffect` for the same answer as an effect).
 */
export class Limiter extends Context.Tag("@switchyard/router-core/Limiter")<
  Limiter,
  {
    /**
     * Checks every limit of `limits` for `subject` and charges one request, `estimate.tokens`
     * tokens, a concurrency slot and `estimate.costMicros` of budget; all or nothing. Answers at
     * once (memory) or through a promise (Redis; never rejects): the admission, or the refusal as
     * a value, `LimitExceeded` (429), or `LimitsUnavailable` (503) when the store is unreachable
     * and the failure mode is `closed`.
     */
    readonly admit: (
      subject: Subject,
      limits: EffectiveLimits,
      estimate: Usage
    ) => AdmitResult | Promise<AdmitResult>
    /** Reports the backend and whether it answers (pings Redis). */
    readonly health: Effect.Effect<LimiterHealth>
  }
>() {}

/** The admission of a request no limit applies to: nothing to settle. */
export const unlimited: Admission = {
  rateLimit: {},
  degraded: false,
  settle: () => {}
}
const unchecked: Admission = { ...unlimited, degraded: true }

/** An `admit` answer as an effect: the admission, or the refusal as the failure. */
export const asEffect = (
  result: AdmitResult | Promise<AdmitResult>
): Effect.Effect<Admission, LimitExceeded | LimitsUnavailable> =>
  Effect.flatMap(result instanceof Promise ? Effect.promise(() => result) : Effect.succeed(result), (r) =>
    r instanceof LimitExceeded || r instanceof LimitsUnavailable ? Effect.fail(r) : Effect.succeed(r)
  )

const planOf = (scope: LimitScope, id: string, limits: ResolvedLimits): ScopePlan => ({
  scope,
  id,
  rpm: limits.rpm ?? 0,
  tpm: limits.tpm ?? 0,
  concurrency: limits.concurrency ?? 0,
  budget: limits.budget
})

const nonNegative = (n: number) => (Number.isFinite(n) && n > 0 ? Math.round(n) : 0)

const messageOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/** Options common to every backend. */
export interface LimiterOptions {
  readonly failureMode: FailureMode
}

/**
 * The limiter service over a store. Reads the clock from the context once (the test clock in
 * tests). The work is plain code (`admit`, `settle`): one Promise per Redis call and none
 * for memory, because every Effect step on the hot path costs microseconds (`asEffect` gives
 * the answer as an effect). Log lines (the store becoming unreachable or reachable again) run on the context's runtime.
 */
export const make = (
  store: LimitStore,
  options: LimiterOptions
): Effect.Effect<Context.Tag.Service<Limiter>> =>
  Effect.gen(function* () {
    const clock = yield* Effect.clock
    const log = Runtime.runFork(yield* Effect.runtime<never>())
    const instance = crypto.randomUUID().slice(0, 8)
    let sequence = 0
    let failure: string | undefined

    const recovered = (): void => {
      if (failure === undefined) return
      failure = undefined
      log(Effect.logInfo(`limits: ${store.backend} store reachable again`))
    }

    const unreachable = (cause: unknown): void => {
      const first = failure === undefined
      failure = messageOf(cause)
      if (first) {
        log(
          Effect.logWarning(
            `limits: ${store.backend} store unreachable (${failure}); failing ${options.failureMode}`
          )
        )
      }
    }

    /** Applies a correction; resolves (never rejects) when the store has it, if it is remote. */
    const adjust = (admitted: StoreAdmission, adjustment: Adjustment): void | Promise<void> => {
      let pending: void | Promise<void>
      try {
        pending = admitted.adjust(adjustment, clock.unsafeCurrentTimeMillis())
      } catch (cause) {
        log(Effect.logError("limits: settling a request failed", cause))
        return
      }
      if (pending === undefined) return
      return pending.then(recovered, (cause) => {
        unreachable(cause)
        log(
          Effect.logWarning(`limits: could not settle a request (${messageOf(cause)}); its reservation stays`)
        )
      })
    }

    const admission = (admitted: StoreAdmission, estimate: Usage, holdsSlot: boolean): Admission => {
      let settled = false
      const settle = (actual: Usage): void | Promise<void> => {
        if (settled) return
        settled = true
        return adjust(admitted, {
          tokens: nonNegative(actual.tokens) - estimate.tokens,
          costMicros: nonNegative(actual.costMicros) - estimate.costMicros,
          release: holdsSlot
        })
      }
      return { rateLimit: admitted.rateLimit, degraded: false, settle }
    }

    const unavailable = (cause: unknown): AdmitResult => {
      unreachable(cause)
      return options.failureMode === "open"
        ? unchecked
        : new LimitsUnavailable({ message: "Usage limits cannot be checked right now; try again shortly." })
    }

    const admit = (
      subject: Subject,
      limits: EffectiveLimits,
      rawEstimate: Usage
    ): AdmitResult | Promise<AdmitResult> => {
      const scopes: Array<ScopePlan> = []
      if (subject.keyId !== undefined && hasAny(limits.key))
        scopes.push(planOf("key", subject.keyId, limits.key))
      if (hasAny(limits.user)) scopes.push(planOf("user", subject.userId, limits.user))
      if (limits.route !== undefined && limits.route.rpm > 0)
        scopes.push(planOf("route", `${subject.userId}/${limits.route.family}`, { rpm: limits.route.rpm }))
      if (scopes.length === 0) return unlimited
      const estimate = {
        tokens: nonNegative(rawEstimate.tokens),
        costMicros: nonNegative(rawEstimate.costMicros)
      }
      const holdsSlot = scopes.some((plan) => plan.concurrency > 0)
      const leaseId = holdsSlot ? `${instance}:${++sequence}` : undefined
      const outcome = (result: StoreAdmission | LimitExceeded): AdmitResult =>
        result instanceof LimitExceeded ? result : admission(result, estimate, holdsSlot)
      // A store that throws synchronously has a bug: that is a defect, not an outage.
      const result = store.admit({
        userId: subject.userId,
        scopes,
        estimate,
        leaseId,
        now: clock.unsafeCurrentTimeMillis()
      })
      if (!(result instanceof Promise)) return outcome(result)
      return result.then((value) => {
        recovered()
        return outcome(value)
      }, unavailable)
    }

    const health = Effect.tryPromise({ try: () => store.ping(), catch: messageOf }).pipe(
      Effect.timeoutFail({ duration: "2 seconds", onTimeout: () => "no answer within 2 s" }),
      Effect.as<LimiterHealth>({ backend: store.backend, status: "ok", failureMode: options.failureMode }),
      Effect.catchAll((message) =>
        Effect.succeed<LimiterHealth>({
          backend: store.backend,
          status: "unreachable",
          failureMode: options.failureMode,
          message
        })
      )
    )

    return { admit, health }
  })

/** Defaults shared by the layers. */
export const DEFAULT_LEASE_TTL_MS = 15 * 60_000

/** One router instance: counters in this process's memory. */
export const layerMemory = (
  options: { readonly leaseTtlMs?: number | undefined; readonly failureMode?: FailureMode | undefined } = {}
): Layer.Layer<Limiter> =>
  Layer.effect(
    Limiter,
    make(MemoryStore.make({ leaseTtlMs: options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS }), {
      failureMode: options.failureMode ?? "open"
    })
  )

/** Options of the Redis backend. */
export interface RedisLimiterOptions {
  readonly url: Redacted.Redacted<string> | string
  readonly failureMode: FailureMode
  /** Key prefix (default `switchyard:limits:`); tests use one of their own. */
  readonly prefix?: string | undefined
  /** Longest wait for Redis on the hot path before the failure mode applies (default 250 ms). */
  readonly timeoutMs?: number | undefined
  readonly leaseTtlMs?: number | undefined
}

/**
 * A Redis-backed limiter with a connection of its own, closed with the scope. The connection
 * never queues commands while disconnected and never re-sends an unanswered script after a
 * reconnect (that could charge twice): when Redis is down, `admit` fails fast into the failure
 * mode while ioredis reconnects in the background.
 */
export const makeRedis = (
  options: RedisLimiterOptions
): Effect.Effect<Context.Tag.Service<Limiter>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const timeoutMs = options.timeoutMs ?? 250
    // Imported here, not at the top: a router with an in-memory limiter never loads ioredis.
    const { Redis: RedisClient } = yield* Effect.promise(() => import("ioredis"))
    const client: Redis = yield* Effect.acquireRelease(
      Effect.sync(
        () =>
          new RedisClient(Redacted.isRedacted(options.url) ? Redacted.value(options.url) : options.url, {
            lazyConnect: true,
            enableOfflineQueue: false,
            autoResendUnfulfilledCommands: false,
            maxRetriesPerRequest: 0,
            commandTimeout: timeoutMs,
            connectTimeout: Math.max(1000, timeoutMs),
            retryStrategy: (attempt) => Math.min(attempt * 100, 2000)
          })
      ),
      (client) =>
        Effect.promise(() =>
          client.status === "ready"
            ? client.quit().catch(() => client.disconnect())
            : Promise.resolve(client.disconnect())
        )
    )
    // Errors surface through the commands (and `health`); without a listener ioredis prints them.
    client.on("error", () => {})
    yield* Effect.promise(() => client.connect().catch(() => undefined))
    const store = RedisStore.make(client, {
      prefix: options.prefix ?? "switchyard:limits:",
      leaseTtlMs: options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS
    })
    return yield* make(store, { failureMode: options.failureMode })
  })

/** Every router instance sharing counters through Redis. */
export const layerRedis = (options: RedisLimiterOptions): Layer.Layer<Limiter> =>
  Layer.scoped(Limiter, makeRedis(options))

/**
 * The limiter's settings: `REDIS_URL` (absent: memory), `LIMITS_REDIS_FAILURE` (`open`, the
 * default, or `closed`), `LIMITS_REDIS_PREFIX`, `LIMITS_REDIS_TIMEOUT_MS` (250),
 * `LIMITS_LEASE_TTL_MS` (15 minutes: the longest a request may hold a concurrency slot when it is
 * never released, e.g. its instance died).
 */
export const LimiterConfig = Config.all({
  redisUrl: Config.option(Config.redacted("REDIS_URL")),
  failureMode: Config.literal(
    "open",
    "closed"
  )("LIMITS_REDIS_FAILURE").pipe(Config.withDefault("open" as const)),
  prefix: Config.string("LIMITS_REDIS_PREFIX").pipe(Config.withDefault("switchyard:limits:")),
  timeoutMs: Config.integer("LIMITS_REDIS_TIMEOUT_MS").pipe(Config.withDefault(250)),
  leaseTtlMs: Config.integer("LIMITS_LEASE_TTL_MS").pipe(Config.withDefault(DEFAULT_LEASE_TTL_MS))
})

/** Redis when `REDIS_URL` is set, else memory (see `LimiterConfig`). */
export const layer = Layer.unwrapEffect(
  Effect.map(LimiterConfig, (config) =>
    Option.match(config.redisUrl, {
      onNone: () => layerMemory({ leaseTtlMs: config.leaseTtlMs, failureMode: config.failureMode }),
      onSome: (url) =>
        layerRedis({
          url,
          failureMode: config.failureMode,
          prefix: config.prefix,
          timeoutMs: config.timeoutMs,
          leaseTtlMs: config.leaseTtlMs
        })
    })
  )
)
