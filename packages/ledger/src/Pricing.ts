/**
 * What a request cost, in integer micro-dollars (1 USD = 1 000 000), from its token classes.
 *
 * Rates are kept as integer micro-dollars per MILLION tokens, so a cost is
 * `Σ tokens × rate / 1 000 000`: the products are summed exactly in bigint and divided once, rounded
 * half up. A request is therefore off by at most half a micro-dollar, never by float drift.
 *
 * Token classes never overlap (see `TokenUsage`) and each has its own rate:
 * - input → `input`; cached input read → `cachedInput`, else `input`; cache write → `cacheWrite`,
 *   else `input` (explicit fallbacks for models whose provider lists no cache rate);
 * - output → `output`; reasoning tokens are part of output and billed at `output`, unless the model
 *   lists a `reasoning` rate, in which case `reasoning` of the output tokens use that rate instead.
 *
 * Model matching, after lower-casing: a `models/` prefix (Gemini) and a `@version` suffix (Vertex)
 * are removed; `provider/model` names (OpenRouter style) are looked up under that provider when it is
 * known; Anthropic's dotted names (`claude-3.5-sonnet`) become dashed. Then an exact entry wins, else
 * the LONGEST listed model that is a prefix ending at a `-` boundary: `claude-sonnet-4-5-20250929` →
 * `claude-sonnet-4-5`, `gpt-4o-mini-2024-07-18` → `gpt-4o-mini`, `grok-4-fast-reasoning` →
 * `grok-4-fast`, `gemini-2.5-flash-preview-09-2025` → `gemini-2.5-flash`. Nothing matches →
 * `{ costMicros: 0, priced: false }`.
 *
 * Operator prices: `PRICING_FILE` names a JSON or YAML file
 * `{ "models": { "provider/model": { "input": 2.5, "output": 10, "cachedInput": 1.25,
 *   "cacheWrite": 3.75, "reasoning": 10 } } }` in USD per million tokens; each entry replaces or adds
 * that model (any provider name, e.g. an `openai-compatible` upstream's models).
 */
import type { TokenUsage } from "@switchyard/domain"
import { Config, type ConfigError, Context, Effect, Layer, Option, Schema } from "effect"
import { type ListPrice, SHIPPED_PRICES } from "./PriceTable.ts"

/** A model's rates in integer micro-dollars per million tokens, fallbacks already resolved. */
export interface ModelRates {
  /** The table entry that matched, `provider/model`. */
  readonly key: string
  readonly input: bigint
  readonly output: bigint
  readonly cachedInput: bigint
  readonly cacheWrite: bigint
  readonly reasoning: bigint
}

/** The outcome of pricing one request. */
export interface Cost {
  /** Integer micro-dollars. */
  readonly costMicros: number
  /** False when the model is not in the price table (cost then reads 0). */
  readonly priced: boolean
}

/** `PRICING_FILE` could not be read or is not a valid price list. */
export class PricingFileError extends Schema.TaggedError<PricingFileError>()("PricingFileError", {
  path: Schema.String,
  message: Schema.String
}) {}

/** Prices requests. */
export class Pricing extends Context.Tag("@switchyard/ledger/Pricing")<
  Pricing,
  {
    /** The cost of one request; `provider`/`upstreamModel` null (never reached a provider) → 0. */
    readonly cost: (provider: string | null, upstreamModel: string | null, usage: TokenUsage) => Cost
    /** The rates that apply to a model, if it is priced. */
    readonly rates: (provider: string, model: string) => Option.Option<ModelRates>
  }
>() {
  /** The shipped price list only. */
  static readonly layerShipped: Layer.Layer<Pricing> = Layer.sync(Pricing, () => make({}))
  /** The shipped price list with the operator's `PRICING_FILE` (if set) on top. */
  static readonly layer: Layer.Layer<Pricing, PricingFileError | ConfigError.ConfigError> = Layer.effect(
    Pricing,
    Effect.gen(function* () {
      const path = yield* Config.option(Config.string("PRICING_FILE"))
      if (Option.isNone(path)) return make({})
      return make(yield* loadPriceFile(path.value))
    })
  )
  /** The shipped list with explicit overrides (`"provider/model"` → USD per million tokens). */
  static readonly layerWith = (overrides: Readonly<Record<string, ListPrice>>): Layer.Layer<Pricing> =>
    Layer.sync(Pricing, () => make(overrides))
}

const MICROS_PER_USD = 1_000_000
const TOKENS_PER_RATE = 1_000_000n
const HALF = TOKENS_PER_RATE / 2n
const TOKENS_PER_RATE_NUMBER = 1_000_000
const HALF_NUMBER = TOKENS_PER_RATE_NUMBER / 2

/** USD per million tokens → integer micro-dollars per million tokens (rates have ≤ 6 decimals). */
const toMicros = (usd: number): bigint => BigInt(Math.round(usd * MICROS_PER_USD))

const resolveRates = (key: string, price: ListPrice): ModelRates => {
  const input = toMicros(price.input)
  const output = toMicros(price.output)
  return {
    key,
    input,
    output,
    cachedInput: price.cachedInput === undefined ? input : toMicros(price.cachedInput),
    cacheWrite: price.cacheWrite === undefined ? input : toMicros(price.cacheWrite),
    reasoning: price.reasoning === undefined ? output : toMicros(price.reasoning)
  }
}

/** Provider names as routes spell them → the price table's. */
const PROVIDER_ALIASES: Readonly<Record<string, string>> = { gemini: "google", grok: "xai", "x-ai": "xai" }

/** The cost of `usage` at `rates`, exact, rounded half up to a micro-dollar. */
export const costAt = (rates: ModelRates, usage: TokenUsage): number => {
  // Every request is priced twice (its admission's estimate, then its real usage), so the common
  // case stays in doubles, which are exact for integers up to 2^53: products and sums of
  // non-negative integers are exact whenever the total is, and a product that was rounded makes the
  // total exceed 2^53 too. Anything larger (or not an integer) goes the bigint way.
  const reasoning = Math.min(usage.reasoningTokens, usage.outputTokens)
  const rounded =
    usage.inputTokens * Number(rates.input) +
    usage.cachedInputTokens * Number(rates.cachedInput) +
    usage.cacheCreationTokens * Number(rates.cacheWrite) +
    (usage.outputTokens - reasoning) * Number(rates.output) +
    reasoning * Number(rates.reasoning) +
    HALF_NUMBER
  if (rounded >= 0 && Number.isSafeInteger(rounded + TOKENS_PER_RATE_NUMBER)) {
    const quotient = Math.floor(rounded / TOKENS_PER_RATE_NUMBER)
    // The division itself may round up to the next integer: correct it exactly.
    return quotient * TOKENS_PER_RATE_NUMBER > rounded ? quotient - 1 : quotient
  }
  return costAtExact(rates, usage)
}

/** `costAt` in bigint throughout: the reference, and the path for totals beyond 2^53. */
export const costAtExact = (rates: ModelRates, usage: TokenUsage): number => {
  const reasoning = BigInt(Math.min(usage.reasoningTokens, usage.outputTokens))
  const plainOutput = BigInt(usage.outputTokens) - reasoning
  const scaled =
    BigInt(usage.inputTokens) * rates.input +
    BigInt(usage.cachedInputTokens) * rates.cachedInput +
    BigInt(usage.cacheCreationTokens) * rates.cacheWrite +
    plainOutput * rates.output +
    reasoning * rates.reasoning
  return Number((scaled + HALF) / TOKENS_PER_RATE)
}

/** Builds the price lookup from the shipped list plus `overrides` keyed `provider/model`. */
export const make = (overrides: Readonly<Record<string, ListPrice>>): Context.Tag.Service<Pricing> => {
  const table = new Map<string, Map<string, ModelRates>>()
  const put = (provider: string, model: string, price: ListPrice) => {
    const p = provider.toLowerCase()
    const m = model.toLowerCase()
    let models = table.get(p)
    if (!models) {
      models = new Map()
      table.set(p, models)
    }
    models.set(m, resolveRates(`${p}/${m}`, price))
  }
  for (const [provider, models] of Object.entries(SHIPPED_PRICES)) {
    for (const [model, price] of Object.entries(models)) put(provider, model, price)
  }
  for (const [key, price] of Object.entries(overrides)) {
    const slash = key.indexOf("/")
    put(key.slice(0, slash), key.slice(slash + 1), price)
  }

  const match = (providerIn: string, modelIn: string): ModelRates | undefined => {
    let provider = providerIn.toLowerCase()
    provider = PROVIDER_ALIASES[provider] ?? provider
    let model = modelIn.trim().toLowerCase()
    if (model.startsWith("models/")) model = model.slice("models/".length)
    const at = model.indexOf("@")
    if (at > 0) model = model.slice(0, at)
    const slash = model.indexOf("/")
    if (slash > 0) {
      const named = model.slice(0, slash)
      const namedProvider = PROVIDER_ALIASES[named] ?? named
      if (table.has(namedProvider)) provider = namedProvider
      model = model.slice(slash + 1)
    }
    if (provider === "anthropic") model = model.replace(/(\d)\.(\d)/g, "$1-$2")
    const models = table.get(provider)
    if (!models) return undefined
    const exact = models.get(model)
    if (exact) return exact
    let best: ModelRates | undefined
    let bestLength = 0
    for (const [name, rates] of models) {
      if (name.length > bestLength && model.startsWith(`${name}-`)) {
        best = rates
        bestLength = name.length
      }
    }
    return best
  }

  // Lookups run once per request: remember them (bounded; provider and model names are few).
  const cache = new Map<string, ModelRates | null>()
  const lookup = (provider: string, model: string): ModelRates | undefined => {
    const key = `${provider}\u0000${model}`
    const hit = cache.get(key)
    if (hit !== undefined) return hit ?? undefined
    if (cache.size >= 10_000) cache.clear()
    const found = match(provider, model)
    cache.set(key, found ?? null)
    return found
  }

  return {
    cost: (provider, upstreamModel, usage) => {
      const billable =
        usage.inputTokens + usage.outputTokens + usage.cachedInputTokens + usage.cacheCreationTokens
      if (billable === 0) return { costMicros: 0, priced: true }
      if (provider === null || upstreamModel === null) return { costMicros: 0, priced: false }
      const rates = lookup(provider, upstreamModel)
      return rates ? { costMicros: costAt(rates, usage), priced: true } : { costMicros: 0, priced: false }
    },
    rates: (provider, model) => Option.fromNullable(lookup(provider, model))
  }
}

const UsdPerMillion = Schema.Number.pipe(Schema.nonNegative(), Schema.finite())

/** The operator's price file. */
const PriceFile = Schema.Struct({
  models: Schema.Record({
    key: Schema.String.pipe(Schema.pattern(/^[^/]+\/.+$/, { message: () => "keys are provider/model" })),
    value: Schema.Struct({
      input: UsdPerMillion,
      output: UsdPerMillion,
      cachedInput: Schema.optional(UsdPerMillion),
      cacheWrite: Schema.optional(UsdPerMillion),
      reasoning: Schema.optional(UsdPerMillion)
    })
  })
})

/** Reads and validates an operator price file (JSON when it ends in `.json`, else YAML). */
export const loadPriceFile = (path: string) =>
  Effect.gen(function* () {
    const text = yield* Effect.tryPromise({
      try: () => import("node:fs/promises").then((fs) => fs.readFile(path, "utf8")),
      catch: (e) => new PricingFileError({ path, message: `cannot read: ${String(e)}` })
    })
    // yaml is imported only when a YAML price file is read: the serving thread loads this module.
    const parseYaml = path.endsWith(".json") ? undefined : (yield* Effect.promise(() => import("yaml"))).parse
    const raw = yield* Effect.try({
      try: () => (parseYaml === undefined ? JSON.parse(text) : parseYaml(text)) as unknown,
      catch: (e) => new PricingFileError({ path, message: `cannot parse: ${String(e)}` })
    })
    const file = yield* Schema.decodeUnknown(PriceFile)(raw).pipe(
      Effect.mapError((e) => new PricingFileError({ path, message: e.message }))
    )
    return file.models as Readonly<Record<string, ListPrice>>
  })
