/**
 * Seed 000's per-provider entries in `/health` (`services.openai`, `.anthropic`, `.google`, and
 * here `.xai` and `.openai-compatible` too): whether the platform has a key for the provider
 * (configured) and whether the provider answers that key (reachable). Asked by listing the
 * provider's models, a call that spends no tokens, with the platform key; the answers are kept for
 * `PROVIDER_HEALTH_TTL_MS` (60 s) and concurrent health checks share one round of calls, so a
 * load balancer polling `/health` every second costs each provider one call a minute. A stale
 * answer is served while the next round runs, so a slow provider never holds the health check.
 */
import type { ProviderId } from "@switchyard/domain"
import { Credentials, Providers } from "@switchyard/router-core"
import { Effect, Option, Redacted } from "effect"

/** The providers reported, in order. */
export const REPORTED: ReadonlyArray<ProviderId> = [
  "openai",
  "anthropic",
  "google",
  "xai",
  "openai-compatible"
]

/** What is known of one provider. */
export interface ProviderStatus {
  /** The platform has a key (or, for `openai-compatible`, a server: `AI_BASE_URL`). */
  readonly configured: boolean
  /** The provider answered the models list (any status below 500); null when not configured. */
  readonly reachable: boolean | null
  /** The provider's HTTP status, when it answered. */
  readonly status?: number
  /** Why it is not healthy (never the key). */
  readonly message?: string
  /** When it was asked (ISO 8601); null when not configured. */
  readonly checkedAt: string | null
}

/** The one-word-or-so verdict in `services`, seed 000's `healthy` when all is well. */
export const verdict = (status: ProviderStatus): string => {
  if (!status.configured) return "not configured"
  if (status.reachable === null) return `unknown: ${status.message ?? "not checked yet"}`
  if (!status.reachable) return `unreachable: ${status.message ?? "no answer"}`
  if (status.status !== undefined && status.status >= 300)
    return `degraded: ${status.message ?? `answered ${status.status}`}`
  return "healthy"
}

/** Where a provider lists its models (all take the same headers as a chat call). */
const modelsUrl = (provider: ProviderId, baseUrl: string) =>
  provider === "anthropic" ? `${baseUrl}/v1/models` : `${baseUrl}/models`

/** What the checks need. */
export interface ProviderHealthOptions {
  readonly providers: Providers.Providers["Type"]
  readonly platformKeys: Partial<Record<ProviderId, Redacted.Redacted<string>>>
  readonly ttlMs: number
  /** Longest wait for one provider's answer. */
  readonly timeoutMs: number
  /** Longest a health check waits for the very first round (then: `not checked yet`). */
  readonly firstWaitMs: number
}

/** The checker: `report()` answers from the cache, or runs one round of checks when it is stale. */
export interface ProviderHealth {
  readonly report: () => Promise<Readonly<Record<string, ProviderStatus>>>
}

const describe = (error: unknown): string =>
  error instanceof Error
    ? error.name === "TimeoutError"
      ? "no answer in time"
      : `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ""}`
    : String(error)

/** Builds the checker. */
export const make = (options: ProviderHealthOptions): ProviderHealth => {
  const check = async (provider: ProviderId): Promise<ProviderStatus> => {
    const key = options.platformKeys[provider]
    const { baseUrl, spec } = options.providers[provider]
    if (key === undefined || baseUrl === "") return { configured: false, reachable: null, checkedAt: null }
    const checkedAt = new Date().toISOString()
    try {
      const response = await fetch(modelsUrl(provider, baseUrl), {
        headers: spec.headers(Redacted.value(key)),
        signal: AbortSignal.timeout(options.timeoutMs),
        redirect: "manual"
      })
      await response.body?.cancel()
      const { status } = response
      if (status >= 500)
        return { configured: true, reachable: false, status, message: `answered ${status}`, checkedAt }
      if (status === 401 || status === 403)
        return {
          configured: true,
          reachable: true,
          status,
          message: `the platform key was refused (${status})`,
          checkedAt
        }
      return status >= 300
        ? { configured: true, reachable: true, status, message: `answered ${status}`, checkedAt }
        : { configured: true, reachable: true, status, checkedAt }
    } catch (error) {
      return { configured: true, reachable: false, message: describe(error), checkedAt }
    }
  }
  const pending = (): Record<string, ProviderStatus> =>
    Object.fromEntries(
      REPORTED.map((provider) => {
        const configured =
          options.platformKeys[provider] !== undefined && options.providers[provider].baseUrl !== ""
        const status: ProviderStatus = configured
          ? { configured, reachable: null, message: "not checked yet", checkedAt: null }
          : { configured, reachable: null, checkedAt: null }
        return [provider, status]
      })
    )
  let latest: Record<string, ProviderStatus> | undefined
  let doneAt = Number.NEGATIVE_INFINITY
  let inFlight: Promise<Record<string, ProviderStatus>> | undefined
  // One round at a time, shared by every caller; its answers serve until `ttlMs` after it ended.
  const refresh = () => {
    inFlight ??= Promise.all(REPORTED.map(check)).then((statuses) => {
      latest = Object.fromEntries(REPORTED.map((provider, i) => [provider, statuses[i]!]))
      doneAt = Date.now()
      inFlight = undefined
      return latest
    })
    return inFlight
  }
  return {
    report: () => {
      if (Date.now() - doneAt >= options.ttlMs) void refresh()
      // Stale answers serve while the next round runs: a slow provider never holds `/health`.
      if (latest !== undefined) return Promise.resolve(latest)
      const first = refresh()
      const timer = new Promise<Record<string, ProviderStatus>>((resolve) => {
        const handle = setTimeout(() => resolve(pending()), options.firstWaitMs)
        void first.then(() => clearTimeout(handle))
      })
      return Promise.race([first, timer])
    }
  }
}

/** The checker from the app: its providers' base URLs and the platform keys from the environment. */
export const fromConfig = (settings: {
  readonly ttlMs: number
  readonly timeoutMs: number
  readonly firstWaitMs: number
}) =>
  Effect.gen(function* () {
    const found = yield* Effect.serviceOption(Providers.Providers)
    const providers = Option.isSome(found)
      ? found.value
      : yield* Effect.provide(Providers.Providers, Providers.layer)
    const platformKeys = yield* Credentials.platformKeysConfig
    return make({ providers, platformKeys, ...settings })
  })
