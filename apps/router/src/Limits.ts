/**
 * Limits on the hot path: before a request is forwarded it is admitted by the limiter with an
 * estimate (prompt tokens estimated from the body plus `max_tokens`, priced at the route's rates);
 * when the request ends (success, error or abort) the admission is settled with the real tokens
 * and cost. An estimate that includes `max_tokens` is an upper bound, so the budget is not
 * overspent (see `packages/router-core/src/limits/README.md` for the bound without it).
 */
import {
  type GatewayError,
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

/** The completion tokens a request may produce, when it says (0 when it does not). */
const maxOutputTokens = (req: ClientRequest): number => {
  const body = req.body as unknown as Record<string, unknown>
  const value = body.max_completion_tokens ?? body.max_tokens
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 0
}

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
  const outputTokens = maxOutputTokens(req)
  const { costMicros } = ctx.pricing.cost(route.provider, route.upstreamModel, {
    inputTokens,
    outputTokens,
    cachedInputTokens: 0,
    cacheCreationTokens: 0,
    reasoningTokens: 0,
    estimated: true
  })
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
