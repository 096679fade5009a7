/**
 * Which key a request is sent upstream with: the user's own secret from the vault (BYOK) when they
 * stored one and it is enabled, else the platform's key from the environment
 * (`PLATFORM_KEY_VARIABLES`), else a 401 naming the provider (seed 000).
 *
 * Users' secrets are cached in memory (no database read per request in steady state) and dropped
 * as soon as the control plane publishes a change for that user and provider. The cache is an LRU
 * bounded in entries; "no secret stored" answers are kept too (a user on the platform key must not
 * cost a database read per request) but for a short time, and every entry expires eventually, a
 * safety net should the feed miss a change. The vault and the
 * change feed are supplied by the app, which keeps this package free of storage.
 */
import {
  type DecryptionError,
  GatewayError,
  PLATFORM_COMPATIBLE_VARIABLES,
  PLATFORM_KEY_VARIABLES,
  type ProviderId,
  type RouteProviderId,
  ServiceUnavailable
} from "@switchyard/domain"
import {
  Config,
  Context,
  Duration,
  Effect,
  Layer,
  Option,
  Record,
  Redacted,
  Runtime,
  Schedule,
  Stream
} from "effect"
import { LRUCache } from "lru-cache"
import { Providers, type ResolvedProvider } from "./providers/Providers.ts"

/** A user's stored secret for one provider, as the vault returns it. */
export interface UserSecret {
  readonly enabled: boolean
  /** Required for `openai-compatible`: the server the user's key belongs to. */
  readonly baseUrl: string | undefined
  readonly secret: Redacted.Redacted<string>
  /** Why `baseUrl` may not be used (e.g. it now resolves to a private address); refuses the call. */
  readonly refusal?: string | undefined
}

/**
 * A secret changed (added, replaced, disabled, deleted) for this user and provider; without a
 * provider, any of the user's; without a user, anything may have changed (the feed reconnected).
 */
export interface SecretChange {
  readonly userId?: string | undefined
  readonly provider?: string | undefined
}

/** The key and the address to use for one upstream call. */
export interface Credential {
  readonly provider: ResolvedProvider
  readonly apiKey: Redacted.Redacted<string>
  /** The base URL to send to: the user's for `openai-compatible`, else the provider's. */
  readonly baseUrl: string
  /** `operator`: the deployment's own key from the routing file. */
  readonly source: "user" | "platform" | "builtin" | "operator"
}

/** An operator key configured for one deployment in the routing file (see `Routing.DeploymentCredential`). */
export interface OperatorKey {
  readonly apiKey: Redacted.Redacted<string>
  /** Overrides the provider's base URL; absent: the provider's. */
  readonly baseUrl: string | undefined
}

/** Looks up a user's secret; fails when the store cannot be read or the secret does not decrypt. */
export type SecretLookup = (
  userId: string,
  provider: ProviderId
) => Effect.Effect<Option.Option<UserSecret>, ServiceUnavailable | DecryptionError>

/** Printable ASCII without spaces: what every provider's keys are made of, and safe in a header. */
const HEADER_SAFE_SECRET = /^[\x21-\x7e]+$/

/** Resolves credentials, caching users' secrets until a change is published. */
export class Credentials extends Context.Tag("@switchyard/router-core/Credentials")<
  Credentials,
  {
    /** With `operator` (a deployment's own key), exactly that key: the user's is never used. */
    readonly resolve: (
      userId: string,
      provider: RouteProviderId,
      operator?: OperatorKey
    ) => Effect.Effect<Credential, GatewayError>
    /**
     * `resolve`'s answer when it needs no lookup (operator keys, the mock, a cached secret), else
     * `undefined`: lets the router's hot path skip running an effect in the common case.
     */
    readonly resolveCached: (
      userId: string,
      provider: RouteProviderId,
      operator?: OperatorKey
    ) => Credential | GatewayError | undefined
    /** Drops cached secrets: one provider of a user, all of a user, or (no argument) everyone's. */
    readonly invalidate: (userId?: string, provider?: string) => void
  }
>() {}

/** The 401 of seed 000 when neither the user nor the platform has a key. */
export const noKey = (provider: string) =>
  new GatewayError({
    status: 401,
    type: "authentication_error",
    message: `No API key configured for provider: ${provider}`
  })

/**
 * The platform keys, read once from the environment (`PLATFORM_KEY_VARIABLES`; empty values count
 * as absent), and the platform's OpenAI-compatible server: present when `AI_BASE_URL` is set, with
 * `AI_API_KEY` as its key (empty: a server that takes none).
 */
export const platformKeysConfig = Config.all({
  keys: Config.all(
    Record.map(PLATFORM_KEY_VARIABLES, (variable) => Config.option(Config.redacted(variable)))
  ),
  compatibleUrl: Config.option(Config.nonEmptyString(PLATFORM_COMPATIBLE_VARIABLES.baseUrl)),
  compatibleKey: Config.option(Config.redacted(PLATFORM_COMPATIBLE_VARIABLES.apiKey))
}).pipe(
  Config.map(({ compatibleKey, compatibleUrl, keys }) => {
    const present: Partial<Record<ProviderId, Redacted.Redacted<string>>> = {}
    for (const [provider, key] of Object.entries(keys)) {
      if (Option.isSome(key) && Redacted.value(key.value).length > 0)
        present[provider as ProviderId] = key.value
    }
    if (Option.isSome(compatibleUrl))
      present["openai-compatible"] = Option.getOrElse(compatibleKey, () => Redacted.make(""))
    return present
  })
)

/** What `make` needs. */
export interface MakeOptions {
  readonly lookup: SecretLookup
  readonly platformKeys: Partial<Record<ProviderId, Redacted.Redacted<string>>>
  readonly changes: Stream.Stream<SecretChange, unknown>
  /** Most (user, provider) answers held. Default 50 000. */
  readonly capacity?: number
  /** How long a stored secret is trusted without re-reading it. Default 10 minutes. */
  readonly secretTtl?: Duration.DurationInput
  /** How long "no secret stored" is remembered. Default 1 minute. */
  readonly absentTtl?: Duration.DurationInput
  /**
   * Longest a lookup may take before the request gets a 503. It also frees the entry's one lookup
   * slot, so a store that hangs cannot hold a user's requests forever. Default 10 seconds.
   */
  readonly lookupTimeout?: Duration.DurationInput
  /** The cache's clock in milliseconds (tests); default `performance.now`. */
  readonly now?: () => number
}

const cacheKey = (userId: string, provider: string) => `${userId}\u0000${provider}`

/** What a lookup needs besides the cache key. */
interface SecretKey {
  readonly userId: string
  readonly provider: ProviderId
}

/** The share of an answer's life after which reading it starts a refresh (as in the verifiers' cache). */
const REFRESH_AFTER = 0.8

/** One lookup's answer as cached: what the store holds, and whether a refresh of it was started. */
interface Looked {
  readonly found: Option.Option<UserSecret>
  /** Set when a refresh starts: an answer is refreshed once, so a failing store is asked once. */
  refreshStarted: boolean
}

const storeUnavailable = new GatewayError({
  status: 503,
  type: "api_error",
  message: "The credential store is unavailable; try again shortly"
})

/**
 * Builds the service and subscribes to the change feed for the lifetime of the scope. While the
 * feed is (re)connecting nothing can be trusted, so each (re)subscription starts from an empty cache.
 */
export const make = (options: MakeOptions) =>
  Effect.gen(function* () {
    const providers = yield* Providers
    const secretTtl = Duration.toMillis(options.secretTtl ?? Duration.minutes(10))
    const absentTtl = Duration.toMillis(options.absentTtl ?? Duration.minutes(1))
    const ttlOf = (found: Option.Option<UserSecret>) => (Option.isSome(found) ? secretTtl : absentTtl)
    const lookupTimeout = options.lookupTimeout ?? Duration.seconds(10)
    const runtime = yield* Effect.runtime<never>()
    const cache = new LRUCache<string, Looked, SecretKey>({
      max: options.capacity ?? 50_000,
      ttl: secretTtl,
      ...(options.now === undefined ? {} : { perf: { now: options.now }, ttlResolution: 0 }),
      // lru-cache runs one lookup per key at a time: concurrent misses share it, and so do the
      // requests that arrive while an answer is being refreshed (they get the answer in hand).
      fetchMethod: (_key, _stale, { options: stored, context }) =>
        Runtime.runPromise(runtime)(
          options.lookup(context.userId, context.provider).pipe(
            Effect.timeoutFail({ duration: lookupTimeout, onTimeout: ServiceUnavailable.database }),
            Effect.map((found): Looked => {
              stored.ttl = ttlOf(found)
              return { found, refreshStarted: false }
            }),
            Effect.tapError((error) =>
              Effect.logError("reading the user's provider secret failed", error.message)
            )
          )
        ),
      // An invalidation during a lookup must not store its (stale) answer, but the requests waiting
      // on it still get it, as they would have had it a moment earlier: the abort is ignored, and
      // lru-cache stores nothing for a key deleted while it was fetched.
      ignoreFetchAbort: true,
      // A refresh that fails leaves the answer it was refreshing in place (not refreshed again)
      // until that answer's own expiry; after it, a failing lookup is the request's 503.
      noDeleteOnFetchRejection: true
    })

    /** Every cached key of a user: one per provider, including lookups still in flight. */
    const providerIds = Object.keys(providers)
    const invalidate = (userId?: string, provider?: string) => {
      if (userId === undefined) cache.clear()
      else if (provider !== undefined) cache.delete(cacheKey(userId, provider))
      else for (const id of providerIds) cache.delete(cacheKey(userId, id))
    }

    yield* Effect.sync(() => invalidate()).pipe(
      Effect.zipRight(
        Stream.runForEach(options.changes, (c) => Effect.sync(() => invalidate(c.userId, c.provider)))
      ),
      Effect.tapErrorCause((cause) =>
        Effect.logWarning("credential change feed failed; resubscribing", cause)
      ),
      Effect.retry(Schedule.spaced("1 second")),
      Effect.forkScoped
    )
    const userSecret = (userId: string, provider: ProviderId) =>
      Effect.tryPromise({
        try: () => cache.fetch(cacheKey(userId, provider), { context: { userId, provider } }),
        // The database is down, or the stored secret does not decrypt (logged by the lookup): the
        // store is unavailable to this request.
        catch: () => storeUnavailable
      }).pipe(
        Effect.flatMap((looked) =>
          looked === undefined ? Effect.fail(storeUnavailable) : Effect.succeed(looked.found)
        )
      )

    /**
     * Refresh-ahead: an answer read in the last fifth of its life is looked up again in the
     * background while it keeps being served, so a key in use never expires under its requests
     * (its expiry would hold every request in flight behind one lookup).
     */
    const refreshIfDue = (key: string, looked: Looked, userId: string, provider: ProviderId) => {
      if (looked.refreshStarted) return
      if (cache.getRemainingTTL(key) > ttlOf(looked.found) * (1 - REFRESH_AFTER)) return
      looked.refreshStarted = true
      cache.fetch(key, { forceRefresh: true, context: { userId, provider } }).catch(() => {
        // Logged by the lookup; the answer in hand stays until it expires.
      })
    }

    /** The credential given what the store holds for the user (`None`: no secret stored). */
    const unusableSecret = (providerId: RouteProviderId) =>
      new GatewayError({
        status: 400,
        type: "invalid_request_error",
        message: `Your stored ${providerId} key contains characters an HTTP header cannot carry (spaces, line breaks or control characters); store it again`
      })

    const fromSecret = (
      providerId: RouteProviderId,
      found: Option.Option<UserSecret>
    ): Credential | GatewayError => {
      const provider = providers[providerId]
      if (Option.isSome(found) && found.value.enabled) {
        const { baseUrl, secret, refusal } = found.value
        if (providerId === "openai-compatible" && !baseUrl) return noKey(providerId)
        if (refusal !== undefined) {
          return new GatewayError({ status: 403, type: "permission_error", message: refusal })
        }
        // It goes into a request header: a key with CR, LF or other control characters would make
        // every call fail inside `fetch` (and look like a provider outage).
        if (!HEADER_SAFE_SECRET.test(Redacted.value(secret))) return unusableSecret(providerId)
        return {
          provider,
          apiKey: secret,
          baseUrl: providerId === "openai-compatible" && baseUrl ? trimSlash(baseUrl) : provider.baseUrl,
          source: "user"
        }
      }
      const platform = options.platformKeys[providerId as ProviderId]
      // The platform's OpenAI-compatible server needs its address (`AI_BASE_URL`) as well as a key.
      if (platform === undefined || provider.baseUrl === "") return noKey(providerId)
      return platformCredential(providerId, platform)
    }

    // Credentials that do not depend on a lookup are built once, so a request allocates none.
    const fixed = new Map<string, Credential>()
    const platformCredential = (
      providerId: RouteProviderId,
      apiKey: Redacted.Redacted<string>
    ): Credential => {
      let credential = fixed.get(providerId)
      if (credential === undefined) {
        const provider = providers[providerId]
        credential = { provider, apiKey, baseUrl: provider.baseUrl, source: "platform" }
        fixed.set(providerId, credential)
      }
      return credential
    }
    const mock: Credential = {
      provider: providers.mock,
      apiKey: Redacted.make(""),
      baseUrl: providers.mock.baseUrl,
      source: "builtin"
    }

    const resolveCached = (
      userId: string,
      providerId: RouteProviderId,
      operator?: OperatorKey
    ): Credential | GatewayError | undefined => {
      if (operator !== undefined) {
        const provider = providers[providerId]
        return {
          provider,
          apiKey: operator.apiKey,
          baseUrl: operator.baseUrl ?? provider.baseUrl,
          source: "operator"
        }
      }
      if (providerId === "mock") return mock
      const key = cacheKey(userId, providerId)
      const cached = cache.get(key)
      if (cached === undefined) return undefined
      refreshIfDue(key, cached, userId, providerId as ProviderId)
      return fromSecret(providerId, cached.found)
    }

    const resolve = (
      userId: string,
      providerId: RouteProviderId,
      operator?: OperatorKey
    ): Effect.Effect<Credential, GatewayError> => {
      const known = resolveCached(userId, providerId, operator)
      if (known !== undefined)
        return known instanceof GatewayError ? Effect.fail(known) : Effect.succeed(known)
      return Effect.flatMap(userSecret(userId, providerId as ProviderId), (found) => {
        const credential = fromSecret(providerId, found)
        return credential instanceof GatewayError ? Effect.fail(credential) : Effect.succeed(credential)
      })
    }

    return Credentials.of({ resolve, resolveCached, invalidate })
  })

const trimSlash = (url: string) => url.replace(/\/+$/, "")

/** The service from a lookup and a change stream, with the platform keys from the environment. */
export const layer = (options: Omit<MakeOptions, "platformKeys">) =>
  Layer.scoped(
    Credentials,
    Effect.flatMap(platformKeysConfig, (platformKeys) => make({ ...options, platformKeys }))
  )
