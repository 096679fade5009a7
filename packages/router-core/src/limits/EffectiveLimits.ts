/**
 * The limits in force for one request: the operator's defaults (config file `limits:` section and
 * the seeds' environment variables) overlaid with what is stored on the key (`PATCH /v1/apikey`)
 * or the user. Resolve once when a key is loaded into the auth cache, not per request.
 */
import { type Budget, LimitsConfig } from "@switchyard/domain"
import { Config, Schema } from "effect"

/** The limits of one scope after resolution; an absent field means no limit of that kind. */
export interface ResolvedLimits {
  readonly rpm?: number | undefined
  readonly tpm?: number | undefined
  readonly concurrency?: number | undefined
  readonly budget?: Budget | undefined
}

/**
 * The user's request rate on one family of routes (`family` names it: its counter is the user's
 * own for those routes only).
 */
export interface RouteRate {
  readonly family: string
  readonly rpm: number
}

/** Every scope's limits for one request; the limiter enforces all of them together. */
export interface EffectiveLimits {
  readonly key: ResolvedLimits
  readonly user: ResolvedLimits
  readonly route?: RouteRate | undefined
}

/** No limits at all: the limiter admits without touching any counter. */
export const unlimited: EffectiveLimits = { key: {}, user: {} }

/**
 * The operator's defaults, the `limits:` section of the routing file:
 *
 * ```yaml
 * limits:
 *   user: { rpm: 60, tpm: 200000, concurrency: 8, budget: { usd: "20.00", period: month } }
 *   key:  { rpm: 600 }
 * ```
 *
 * Put ceilings under `user`: a key's owner can replace the key's limits through
 * `PATCH /v1/apikey`, but the user's limits still apply to every key they own.
 */
export const LimitDefaults = Schema.Struct({
  key: Schema.optional(LimitsConfig),
  user: Schema.optional(LimitsConfig)
})
export type LimitDefaults = typeof LimitDefaults.Type

const pick = <A>(override: A | null | undefined, fallback: A | null | undefined): A | undefined =>
  override === undefined ? (fallback ?? undefined) : (override ?? undefined)

/** One scope: each field of `override` that is present wins (`null` meaning "no limit"). */
export const resolveScope = (
  defaults: LimitsConfig | undefined,
  override: LimitsConfig | undefined
): ResolvedLimits => ({
  rpm: pick(override?.rpm, defaults?.rpm),
  tpm: pick(override?.tpm, defaults?.tpm),
  concurrency: pick(override?.concurrency, defaults?.concurrency),
  budget: pick(override?.budget, defaults?.budget)
})

/** The limits of a request from the defaults and the key's and user's stored limits. */
export const resolve = (
  defaults: LimitDefaults,
  stored: { readonly key?: LimitsConfig | undefined; readonly user?: LimitsConfig | undefined }
): EffectiveLimits => ({
  key: resolveScope(defaults.key, stored.key),
  user: resolveScope(defaults.user, stored.user)
})

/** Whether a scope has any limit (the limiter skips scopes that have none). */
export const hasAny = (limits: ResolvedLimits): boolean =>
  limits.rpm !== undefined ||
  limits.tpm !== undefined ||
  limits.concurrency !== undefined ||
  limits.budget !== undefined

/** `over`'s fields replace `base`'s where present (the file over the environment). */
export const mergeDefaults = (base: LimitDefaults, over: LimitDefaults): LimitDefaults => ({
  key: { ...base.key, ...over.key },
  user: { ...base.user, ...over.user }
})

/**
 * The seeds' default request rates per user, one counter per family of routes, in requests per
 * minute (0: none). They apply when nothing else sets the user's rate: a `user.rpm` in the
 * defaults (the routing file's `limits:`) replaces both with one user-wide rate.
 */
export interface RouteRates {
  /** Seed 000's API and every other keyed route but `/api/chat`. */
  readonly api: number
  /** Seed 003's `/api/chat`. */
  readonly chat: number
}

/** A family of routes with a rate of its own. */
export type RouteFamily = keyof RouteRates

/** The seeds' own defaults: 1000 per minute (seed 000's `API_RATE_LIMIT`), 60 (seed 003's). */
export const SEED_RATES: RouteRates = { api: 1000, chat: 60 }

/** No default rates (tests, and operators who turn both off). */
export const NO_RATES: RouteRates = { api: 0, chat: 0 }

/**
 * The rates from the seeds' environment variables, with the seeds' defaults:
 * - seed 000: `API_RATE_LIMIT` (1000) requests per `API_RATE_LIMIT_MINUTES` (1) minutes, as a
 *   per-minute rate (rounded up; the bucket holds one minute's worth);
 * - seed 003: `RATE_LIMIT_REQUESTS_PER_MINUTE` (60).
 * `0` turns a rate off.
 */
export const routeRatesConfig: Config.Config<RouteRates> = Config.all({
  perMinute: Config.integer("RATE_LIMIT_REQUESTS_PER_MINUTE").pipe(Config.withDefault(SEED_RATES.chat)),
  apiLimit: Config.integer("API_RATE_LIMIT").pipe(Config.withDefault(SEED_RATES.api)),
  apiMinutes: Config.integer("API_RATE_LIMIT_MINUTES").pipe(Config.withDefault(1))
}).pipe(
  Config.validate({
    message:
      "RATE_LIMIT_REQUESTS_PER_MINUTE and API_RATE_LIMIT must be 0 (no limit) or more, API_RATE_LIMIT_MINUTES at least 1",
    validation: ({ apiLimit, apiMinutes, perMinute }) => apiMinutes > 0 && perMinute >= 0 && apiLimit >= 0
  }),
  Config.map(({ apiLimit, apiMinutes, perMinute }) => ({
    api: Math.ceil(apiLimit / apiMinutes),
    chat: perMinute
  }))
)

/** The route rate a request of `family` is under, if any (see `RouteRates`). */
export const routeRate = (
  rates: RouteRates,
  family: RouteFamily,
  defaults: LimitDefaults
): RouteRate | undefined => {
  const rpm = rates[family]
  return rpm > 0 && defaults.user?.rpm === undefined ? { family, rpm } : undefined
}
