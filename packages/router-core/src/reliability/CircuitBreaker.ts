/**
 * Per-deployment circuit breaker, local to one router instance. After `failureThreshold`
 * consecutive failures a deployment is cooled down for `cooldownMs`: it gets no traffic at all.
 * When the cooldown has passed, exactly one request is let through as a probe; its outcome
 * decides: success closes the breaker, failure cools the deployment down again. While the probe
 * is in flight, everyone else still skips the deployment.
 *
 * Failures are what the retry policy retries (retryable statuses, connection errors, timeouts);
 * any other answer, even a 4xx, shows the deployment is up. The methods are synchronous: they run
 * for every request.
 */
import { Context, Effect, Layer, Schema } from "effect"

/** Breaker settings, embedded in the routing file (`circuitBreaker:`). */
export const CircuitBreakerConfig = Schema.Struct({
  failureThreshold: Schema.optionalWith(Schema.Int.pipe(Schema.positive()), { default: () => 5 }),
  cooldownMs: Schema.optionalWith(Schema.Int.pipe(Schema.positive()), { default: () => 30_000 })
})
export type CircuitBreakerConfig = typeof CircuitBreakerConfig.Type

/** The defaults: 5 consecutive failures, 30 s cooldown. */
export const defaultConfig: CircuitBreakerConfig = Schema.decodeSync(CircuitBreakerConfig)({})

/** May a request go to a deployment: yes; yes, as the probe; no (cooling down). */
export type Gate = "pass" | "probe" | "blocked"

/** A deployment's breaker, for `/health` and tests. */
export interface BreakerState {
  readonly status: "closed" | "open" | "probing"
  readonly consecutiveFailures: number
  /** When the cooldown ends (epoch ms), while open or probing. */
  readonly openUntil?: number
}

/** The breaker service. */
export class CircuitBreaker extends Context.Tag("@switchyard/router-core/CircuitBreaker")<
  CircuitBreaker,
  {
    /** Whether a request may go to the deployment now. A `probe` gate must be answered by `success`, `failure` or `abandon`. */
    readonly acquire: (deploymentId: string) => Gate
    readonly success: (deploymentId: string) => void
    readonly failure: (deploymentId: string) => void
    /** A probe ended without a verdict (the client went away): the next request may probe. */
    readonly abandon: (deploymentId: string) => void
    readonly state: (deploymentId: string) => BreakerState
  }
>() {}

interface Entry {
  failures: number
  /** 0 while closed. */
  openUntil: number
  /** When the probe in flight started, or 0. */
  probeSince: number
}

/** A breaker table on the given clock. */
export const make = (
  config: CircuitBreakerConfig,
  now: () => number
): Context.Tag.Service<CircuitBreaker> => {
  const entries = new Map<string, Entry>()
  const { cooldownMs, failureThreshold } = config
  return {
    acquire: (id) => {
      const entry = entries.get(id)
      if (entry === undefined || entry.openUntil === 0) return "pass"
      const at = now()
      if (at < entry.openUntil) return "blocked"
      // A probe that never reported (its fiber died) does not block the deployment forever.
      if (entry.probeSince !== 0 && at - entry.probeSince < cooldownMs) return "blocked"
      entry.probeSince = at
      return "probe"
    },
    success: (id) => {
      if (entries.size > 0) entries.delete(id)
    },
    failure: (id) => {
      let entry = entries.get(id)
      if (entry === undefined) {
        entry = { failures: 0, openUntil: 0, probeSince: 0 }
        entries.set(id, entry)
      }
      entry.failures++
      if (entry.openUntil !== 0 || entry.failures >= failureThreshold) {
        entry.openUntil = now() + cooldownMs
        entry.probeSince = 0
      }
    },
    abandon: (id) => {
      const entry = entries.get(id)
      if (entry !== undefined) entry.probeSince = 0
    },
    state: (id) => {
      const entry = entries.get(id)
      if (entry === undefined) return { status: "closed", consecutiveFailures: 0 }
      if (entry.openUntil === 0) return { status: "closed", consecutiveFailures: entry.failures }
      return {
        status: entry.probeSince !== 0 ? "probing" : "open",
        consecutiveFailures: entry.failures,
        openUntil: entry.openUntil
      }
    }
  }
}

/** One breaker table per router instance, on the context's clock (the test clock in tests). */
export const layer = (config: CircuitBreakerConfig = defaultConfig): Layer.Layer<CircuitBreaker> =>
  Layer.effect(
    CircuitBreaker,
    Effect.map(Effect.clock, (clock) => make(config, () => clock.unsafeCurrentTimeMillis()))
  )
