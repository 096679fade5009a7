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

/** A caller's effective limits, and whether any applies. */
interface Resolved {
  readonly limits: EffectiveLimits.EffectiveLimits
  readonly any: boolean
}

const resolve = (
  defaults: EffectiveLimits.LimitDefaults,
  keyLimits: LimitsConfig | undefined,
  hasKey: boolean
) => {
  const limits = EffectiveLimits.resolve(defaults, { key: keyLimits })
  const any = EffectiveLimits.hasAny(limits.user) || (hasKey && EffectiveLimits.hasAny(limits.key))
  return { limits, any }
}

/**
 * Resolved limits, remembered per defaults object (a new one per routing table) and per stored key
 * limits (one object per cached key record, replaced when the key changes): resolving them again
 * for every request only made garbage.
 */
const resolvedByDefaults = new WeakMap<
  EffectiveLimits.LimitDefaults,
  { withoutKey: Resolved | undefined; keyless: Resolved | undefined; byKey: WeakMap<LimitsConfig, Resolved> }
>()

const resolvedLimits = (defaults: EffectiveLimits.LimitDefaults, caller: Caller): Resolved => {
  let cached = resolvedByDefaults.get(defaults)
  if (cached === undefined) {
    cached = { withoutKey: undefined, keyless: undefined, byKey: new WeakMap() }
    resolvedByDefaults.set(defaults, cached)
  }
  // A session token (no key): only the user's limits apply.
  if (caller.apiKeyId === null) {
    cached.keyless ??= resolve(defaults, undefined, false)
    return cached.keyless
  }
  const stored = caller.keyLimits ?? undefined
  if (stored === undefined) {
    cached.withoutKey ??= resolve(defaults, undefined, true)
    return cached.withoutKey
  }
  let found = cached.byKey.get(stored)
  if (found === undefined) {
    found = resolve(defaults, stored, true)
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
  req: ClientRequest
): Admitted | Promise<Admitted> => {
  const resolved = resolvedLimits(ctx.limitDefaults(), caller)
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
  log.onFinish = (usage, costMicros) => admission.settle({ tokens: tokensOf(usage), costMicros })
}

/**
 * Admits a request that is not a model call (failed-request sync): counted against the caller's
 * request rate and concurrency like any other, charged no tokens or money, settled at once.
 */
export const admitPlain = async (ctx: GatewayContext, caller: Caller): Promise<Admitted> => {
  const resolved = resolvedLimits(ctx.limitDefaults(), caller)
  if (!resolved.any) return unlimitedAdmission
  const result = await ctx.limiter.admit(
    { userId: caller.userId, keyId: caller.apiKeyId ?? undefined },
    resolved.limits,
    { tokens: 0, costMicros: 0 }
  )
  const answer = admitted(result)
  if (answer.ok) answer.admission.settle({ tokens: 0, costMicros: 0 })
  return answer
}
