/**
 * What the fallback engine needs beside the routing table: its timers (the system's; tests swap
 * in `Timers.manual()` through `EngineTimers`) and a circuit breaker table per routing table (a
 * reloaded file with a new `circuitBreaker:` section starts with fresh breakers).
 */
import { CircuitBreaker, type Routing, Timers } from "@switchyard/router-core"
import { Context, Effect, Layer, Option } from "effect"

/** The engine's clock and timers. */
export class EngineTimers extends Context.Tag("@switchyard/router/EngineTimers")<
  EngineTimers,
  Timers.Timers
>() {}

/** Manual timers (tests). */
export const layerTimers = (timers: Timers.Timers) => Layer.succeed(EngineTimers, timers)

/** The timers in the context, else the system's. */
export const timers = Effect.map(
  Effect.serviceOption(EngineTimers),
  Option.getOrElse(() => Timers.system)
)

/** The breaker table for the routing table in force, made when the table changes. */
export const breakers = (
  routing: Routing.Routing["Type"],
  clock: Timers.Timers
): (() => CircuitBreaker.CircuitBreaker["Type"]) => {
  let madeFor: Routing.RoutingTable | undefined
  let breaker: CircuitBreaker.CircuitBreaker["Type"] | undefined
  return () => {
    const table = routing.current()
    if (table !== madeFor || breaker === undefined) {
      madeFor = table
      breaker = CircuitBreaker.make(table.circuitBreaker, clock.now)
    }
    return breaker
  }
}
