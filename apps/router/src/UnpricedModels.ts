/**
 * The models the router knows it serves (each provider's advertised models and the operator's
 * aliases) that the price table cannot price. Logged at start-up: such a model is charged $0, so
 * it is refused under a spend budget (`Limits.admit`) and worth pricing in `PRICING_FILE`.
 */
import type { Pricing } from "@switchyard/ledger"
import { Providers, type Routing } from "@switchyard/router-core"
import { Effect, Option } from "effect"

/** `provider/model` of every known model without a price (the mock's are free by design). */
export const unpricedModels = (table: Routing.RoutingTable, pricing: Pricing["Type"]): Array<string> => {
  const known = new Set<string>()
  for (const [, route] of table.aliases) known.add(`${route.provider}/${route.upstreamModel}`)
  for (const [provider, spec] of Object.entries(Providers.specs)) {
    for (const model of spec.models) known.add(`${provider}/${model}`)
  }
  const out: Array<string> = []
  for (const name of known) {
    const slash = name.indexOf("/")
    const provider = name.slice(0, slash)
    if (provider === "mock") continue
    if (Option.isNone(pricing.rates(provider, name.slice(slash + 1)))) out.push(name)
  }
  return out.sort()
}

/** Logs the unpriced models, if any. */
export const logUnpriced = (table: Routing.RoutingTable, pricing: Pricing["Type"]) =>
  Effect.suspend(() => {
    const unpriced = unpricedModels(table, pricing)
    return unpriced.length === 0
      ? Effect.void
      : Effect.logWarning(
          `models without a price (charged $0, refused under a spend budget; price them in PRICING_FILE): ${unpriced.join(", ")}`
        )
  })
