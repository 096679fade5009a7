/**
 * The limits in force for one request: the operator's defaults (config file `limits:` section and
 * the seeds' environment variables) overlaid with what is stored on the key (`PATCH /v1/apikey`)
 * or the user. Resolve once when a key is loaded into the auth cache, not per request.
 */
import { type Budget, LimitsConfig } from "@switchyard/domain"
import { Config, Option, Schema } from "effect"

/** The limits of one scope after resolution; an absent field means no limit of that kind. */
export interface ResolvedLimits {
  readonly rpm?: number | undefined
  readonly tpm?: number | undefined
  readonly concurrency?: number | undefined
  readonly budget?: Budget | undefined
}

/** Both scopes' limits for one request; the limiter enforces all of them together. */
export interface EffectiveLimits {
  readonly key: ResolvedLimits
  readonly user: ResolvedLimits
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
 * Per-user request rate from the seeds' environment variables:
 * - seed 003: `RATE_LIMIT_REQUESTS_PER_MINUTE` (requests per minute per user);
 * - seed 000: `API_RATE_LIMIT` requests per `API_RATE_LIMIT_MINUTES` minutes (default 1) per
 *   user, expressed per minute (rounded up).
 * When both are set the lower wins. Unset: no default limit (the seeds' own defaults of 60 and
 * 1000 are not imposed on an operator who did not ask for them).
 */
export const envDefaults: Config.Config<LimitDefaults> = Config.all({
  perMinute: Config.option(Config.integer("RATE_LIMIT_REQUESTS_PER_MINUTE")),
  apiLimit: Config.option(Config.integer("API_RATE_LIMIT")),
  apiMinutes: Config.integer("API_RATE_LIMIT_MINUTES").pipe(Config.withDefault(1))
}).pipe(
  Config.validate({
    message: "RATE_LIMIT_REQUESTS_PER_MINUTE, API_RATE_LIMIT and API_RATE_LIMIT_MINUTES must be positive",
    validation: ({ apiLimit, apiMinutes, perMinute }) =>
      apiMinutes > 0 &&
      Option.getOrElse(
        Option.map(perMinute, (n) => n > 0),
        () => true
      ) &&
      Option.getOrElse(
        Option.map(apiLimit, (n) => n > 0),
        () => true
      )
  }),
  Config.map(({ apiLimit, apiMinutes, perMinute }) => {
    const candidates = [
      ...Option.toArray(perMinute),
      ...Option.toArray(Option.map(apiLimit, (n) => Math.ceil(n / apiMinutes)))
    ]
    return candidates.length === 0 ? {} : { user: { rpm: Math.min(...candidates) } }
  })
)
