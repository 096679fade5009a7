/**
 * Everything the hot routes use, fetched from the app's runtime once at start-up. A request whose
 * key and credential are cached runs no effect at all (each costs microseconds per request, which
 * the gateway benchmark shows); `run` is for cache misses and the routes off the hot path.
 */
import { Pricing, UsageRecorder } from "@switchyard/ledger"
import {
  type CircuitBreaker,
  Credentials,
  type EffectiveLimits,
  Limiter,
  Routing,
  type Timers
} from "@switchyard/router-core"
import { Effect, Option, Runtime } from "effect"
import { type Accounting, makeAccounting } from "./Accounting.ts"
import { CallerAuth } from "./CallerAuth.ts"
import { GatewayConfig, type GatewaySettings } from "./GatewayConfig.ts"
import * as Reliability from "./Reliability.ts"
import * as UpstreamTarget from "./UpstreamTarget.ts"

/** The services of the hot path, unwrapped. */
export interface GatewayContext {
  /** Runs an effect that cannot fail through the app's runtime. */
  readonly run: <A>(effect: Effect.Effect<A>) => Promise<A>
  readonly auth: CallerAuth["Type"]
  readonly routing: Routing.Routing["Type"]
  readonly credentials: Credentials.Credentials["Type"]
  readonly settings: GatewaySettings
  readonly accounting: Accounting
  readonly pricing: Pricing["Type"]
  readonly limiter: Limiter.Limiter["Type"]
  /** The default limits in force: the routing file's (reloadable). */
  readonly limitDefaults: () => EffectiveLimits.LimitDefaults
  /** The fallback engine's timers. */
  readonly timers: Timers.Timers
  /** The circuit breakers of this instance, for the routing table in force. */
  readonly breaker: () => CircuitBreaker.CircuitBreaker["Type"]
  /** Where a call to a user-supplied base URL goes, checked at connect time. */
  readonly targets: UpstreamTarget.Targets
}

/** Builds the context from the running app's services. */
export const make = Effect.gen(function* () {
  const runtime = yield* Effect.runtime<never>()
  const runPromise = Runtime.runPromise(runtime)
  const recorder = yield* UsageRecorder
  const pricing = yield* Pricing
  const routing = yield* Routing.Routing
  const settings = yield* GatewayConfig
  // An app without a limiter (some tests) gets one in memory; with no limits set it admits at once.
  const limiter = yield* Option.match(yield* Effect.serviceOption(Limiter.Limiter), {
    onNone: () => Effect.provide(Limiter.Limiter, Limiter.layerMemory()),
    onSome: Effect.succeed
  })
  const limitDefaults = () => routing.current().limits
  const timers = yield* Reliability.timers
  const resolver = Option.getOrElse(
    yield* Effect.serviceOption(UpstreamTarget.UpstreamResolver),
    () => UpstreamTarget.UpstreamResolver.system
  )
  const context: GatewayContext = {
    targets: UpstreamTarget.make(resolver, settings.allowPrivateUpstreams),
    timers,
    breaker: Reliability.breakers(routing, timers),
    run: (effect) => runPromise(effect),
    auth: yield* CallerAuth,
    routing,
    credentials: yield* Credentials.Credentials,
    settings,
    pricing,
    limiter,
    limitDefaults,
    accounting: makeAccounting(recorder, pricing)
  }
  return context
})
