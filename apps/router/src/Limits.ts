/**
 * Limits on the hot path: before a request is forwarded it is admitted by the limiter with an
 * estimate (prompt tokens estimated from the body plus `max_tokens`, priced at the route's rates);
 * when the request ends (success, error or abort) the admission is settled with the real tokens
 * and cost. The estimate's output is `max_tokens`, or the model's maximum output when the request
 * sets none, so it is an upper bound and the budget is not overspent (see
 * `packages/router-core/src/limits/README.md`). A model without a price is refused under a budget.
 */
import {
  GatewayError,
  LimitExceeded,
  type LimitsConfig,
  LimitsUnavailable,
  type TokenUsage
} from "@switchyard/domain"
import {
  type ClientRequest,
  EffectiveLimits,
  estimateInputTokens,
  LimitErrors,
  Limiter,
  MaxOutput,
  RateLimitHeaders,
  type Routing
} from "@switchyard/router-core"
import type { RequestLog } from "./Accounting.ts"
import type { Caller } from "./CallerAuth.ts"
import type { GatewayContext } from "./GatewayContext.ts"

/** An admitted request (settle through `bind`), or a refusal with its headers. */
export type Admitted =
  | { readonly ok: true; readonly admission: Limiter.Admission; readonly headers: Record<string, string> }
  | { readonly ok: false; readonly error: GatewayError; readonly headers: Record<string, string> }

/**
 * The completion tokens a request may produce: what it asks for (`max_output_tokens` for Responses
 * clients), never more than the model can
 * write; when it does not say, the model's documented maximum output (`MaxOutput`), so the
 * estimate stays an upper bound and a budget holds.
 */
export const maxOutputTokens = (req: ClientRequest, upstreamModel: string): number => {
  const body = req.body as unknown as Record<string, unknown>
  const value = body.max_completion_tokens ?? body.max_tokens ?? body.max_output_tokens
  const most = MaxOutput.maxOutputTokens(upstreamModel)
  return typeof value === "number" && value > 0 && value < most ? Math.ceil(value) : most
}

/** 403: the model has no price, and a spend budget applies (it would be charged $0). */
const unpriced = (route: Routing.Route) =>
  new GatewayError({
    status: 403,
    type: "invalid_request_error",
    code: "model_not_priced",
    param: "model",
    message: `The model \`${route.provider}/${route.upstreamModel}\` has no price in this gateway's price table, so it cannot be used under a spend budget; the operator can price it in PRICING_FILE`
  })

const hasBudget = (limits: EffectiveLimits.EffectiveLimits) =>
  limits.user.budget !== undefined || limits.key.budget !== undefined

/** Tokens a usage counts against `tpm`: every prompt token (cached or not) and every output token. */
export const tokensOf = (usage: TokenUsage): number =>
  usage.inputTokens + usage.cachedInputTokens + usage.cacheCreationTokens + usage.outputTokens

/** A family of routes with a default request rate of its own (`GatewaySettings.routeRates`). */
export type RouteFamily = EffectiveLimits.RouteFamily

/** A caller's effective limits, and whether any applies. */
interface Resolved {
  readonly limits: EffectiveLimits.EffectiveLimits
  readonly any: boolean
}

const resolve = (
  defaults: EffectiveLimits.LimitDefaults,
  keyLimits: LimitsConfig | undefined,
  hasKey: boolean,
  rate: EffectiveLimits.RouteRate | undefined
): Resolved => {
  const scoped = EffectiveLimits.resolve(defaults, { key: keyLimits })
  const limits = rate === undefined ? scoped : { ...scoped, route: rate }
  const any =
    rate !== undefined ||
    EffectiveLimits.hasAny(limits.user) ||
    (hasKey && EffectiveLimits.hasAny(limits.key))
  return { limits, any }
}

/** The resolutions of one defaults object for one family. */
interface Family {
  readonly rate: EffectiveLimits.RouteRate | undefined
  withoutKey: Resolved | undefined
  keyless: Resolved | undefined
  readonly byKey: WeakMap<LimitsConfig, Resolved>
}

/**
 * Resolved limits, remembered per defaults object (a new one per routing table), per family and
 * per stored key limits (one object per cached key record, replaced when the key changes):
 * resolving them again for every request only made garbage.
 */
const resolvedByDefaults = new WeakMap<EffectiveLimits.LimitDefaults, Partial<Record<RouteFamily, Family>>>()

const resolvedLimits = (ctx: GatewayContext, caller: Caller, family: RouteFamily): Resolved => {
  const defaults = ctx.limitDefaults()
  let families = resolvedByDefaults.get(defaults)
  if (families === undefined) {
    families = {}
    resolvedByDefaults.set(defaults, families)
  }
  let cached = families[family]
  if (cached === undefined) {
    const rate = EffectiveLimits.routeRate(ctx.settings.routeRates, family, defaults)
    cached = { rate, withoutKey: undefined, keyless: undefined, byKey: new WeakMap() }
    families[family] = cached
  }
  // A session token (no key): only the user's limits apply.
  if (caller.apiKeyId === null) {
    cached.keyless ??= resolve(defaults, undefined, false, cached.rate)
    return cached.keyless
  }
  const stored = caller.keyLimits ?? undefined
  if (stored === undefined) {
    cached.withoutKey ??= resolve(defaults, undefined, true, cached.rate)
    return cached.withoutKey
  }
  let found = cached.byKey.get(stored)
  if (found === undefined) {
    found = resolve(defaults, stored, true, cached.rate)
    cached.byKey.set(stored, found)
  }
  return found
}

/**
 * Admits a request for `caller` on `route` (never rejects: a refusal is a value). Synchronous with
 * the memory limiter; a promise only when the limiter is remote.
 */
export const admit = (
  ctx: GatewayContext,
  caller: Caller,
  route: Routing.Route,
  req: ClientRequest,
  family: RouteFamily = "api"
): Admitted | Promise<Admitted> => {
  const resolved = resolvedLimits(ctx, caller, family)
  if (!resolved.any) return unlimitedAdmission
  const limits = resolved.limits
  const inputTokens = estimateInputTokens(req)
  const outputTokens = maxOutputTokens(req, route.upstreamModel)
  const { costMicros, priced } = ctx.pricing.cost(route.provider, route.upstreamModel, {
    inputTokens,
    outputTokens,
    cachedInputTokens: 0,
    cacheCreationTokens: 0,
    reasoningTokens: 0,
    estimated: true
  })
  // Unpriced means charged $0: under a budget that would be spending without limit.
  if (!priced && hasBudget(limits)) return { ok: false, error: unpriced(route), headers: {} }
  const result = ctx.limiter.admit({ userId: caller.userId, keyId: caller.apiKeyId ?? undefined }, limits, {
    tokens: inputTokens + outputTokens,
    costMicros
  })
  return result instanceof Promise ? result.then(admitted) : admitted(result)
}

const admitted = (result: Limiter.AdmitResult): Admitted =>
  result instanceof LimitExceeded || result instanceof LimitsUnavailable
    ? {
        ok: false,
        error: LimitErrors.toGatewayError(result),
        headers: result instanceof LimitExceeded ? RateLimitHeaders.fromLimitExceeded(result) : {}
      }
    : { ok: true, admission: result, headers: RateLimitHeaders.fromSnapshot(result.rateLimit) }

const unlimitedAdmission: Admitted = { ok: true, admission: Limiter.unlimited, headers: {} }

/** Settles `admission` with the request's real usage and cost when `log` is finished. */
export const bind = (log: RequestLog, admission: Limiter.Admission): void => {
  log.admission = admission
}

/**
 * Admits a request under the caller's limits with a usage estimate of its own (embeddings: the
 * input's tokens, priced); settle it through `bind` when the request ends.
 */
export const admitUsage = (
  ctx: GatewayContext,
  caller: Caller,
  family: RouteFamily,
  estimate: Limiter.Usage
): Admitted | Promise<Admitted> => {
  const resolved = resolvedLimits(ctx, caller, family)
  if (!resolved.any) return unlimitedAdmission
  const result = ctx.limiter.admit(
    { userId: caller.userId, keyId: caller.apiKeyId ?? undefined },
    resolved.limits,
    estimate
  )
  return result instanceof Promise ? result.then(admitted) : admitted(result)
}

/**
 * Admits a request that is not a model call (the key listing, failed-request sync, models list):
 * counted against the caller's request rate and concurrency like any other, charged no tokens or
 * money, settled at once. Its answer carries the same `x-ratelimit-*` headers as a model call's.
 */
export const admitPlain = async (
  ctx: GatewayContext,
  caller: Caller,
  family: RouteFamily = "api"
): Promise<Admitted> => {
  const answer = await admitUsage(ctx, caller, family, NOTHING)
  if (answer.ok) answer.admission.settle(NOTHING)
  return answer
}

const NOTHING: Limiter.Usage = { tokens: 0, costMicros: 0 }
