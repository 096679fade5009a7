/**
 * Model name → provider + upstream model. In order: an operator alias (exact name), an explicit
 * `provider/model`, then prefix rules for bare names (`gpt-`, `o1-`, `o3-`, `o4-`, `chatgpt-`,
 * `text-embedding-` → openai; `claude-` → anthropic; `gemini-` → google; `grok-` → xai). Any other
 * name goes, as seed 000 sends it, to the platform's default provider (`UnknownModels`), or is
 * refused (404) when the operator says so (`UNKNOWN_MODELS=refuse`).
 *
 * Resolution is a synchronous lookup in a table built at start-up: it runs on every request.
 */
import { type RouteProviderId, RouteProviderId as RouteProviderIdSchema } from "@switchyard/domain"
import { Config, Context, Duration, Effect, Either, Layer, Option, Redacted, Schedule, Schema } from "effect"
import type { LimitDefaults } from "./limits/EffectiveLimits.ts"
import * as RoutingConfig from "./RoutingConfig.ts"
import { type CircuitBreakerConfig, defaultConfig as defaultBreaker } from "./reliability/CircuitBreaker.ts"
import { defaultPolicy, type RetryPolicy } from "./reliability/RetryPolicy.ts"
import type { Timeouts } from "./reliability/Timeouts.ts"

/** Where a model name goes. */
export interface Route {
  readonly provider: RouteProviderId
  /** The model name the provider is sent. */
  readonly upstreamModel: string
}

/** An operator key configured for one deployment, read from the environment at load time. */
export interface DeploymentCredential {
  /** The environment variable it was read from (for messages; never the key). */
  readonly env: string
  readonly apiKey: Redacted.Redacted<string>
  /** Overrides the provider's base URL (openai-compatible deployments). */
  readonly baseUrl: string | undefined
}

/** A route as one deployment of a model: an id for its circuit breaker and a weight. */
export interface Deployment extends Route {
  /** `provider/upstreamModel`, with `@ENV` when it has its own credential. */
  readonly id: string
  readonly weight: number
  /** Its own operator key; absent: the user's key, else the platform's. */
  readonly credential?: DeploymentCredential | undefined
}

/** The resolved routing table. */
export interface RoutingTable {
  /** The route for a model name, or undefined when it is refused (→ 404; see `UnknownModels`). */
  readonly resolve: (model: string) => Route | undefined
  /** The model used when a request names none (seed 003's `/api/chat`). */
  readonly defaultModel: string
  /** Operator aliases with their routes, for `GET /v1/models`. */
  readonly aliases: ReadonlyArray<readonly [string, Route]>
  /** Whether the built-in `mock` provider answers. */
  readonly mockEnabled: boolean
  /** The file's default limits (`limits:`); the environment's defaults lie under them. */
  readonly limits: LimitDefaults
  /**
   * Where a model name may go, in groups tried in order: its deployments (one for a plain name,
   * spread by weight for an alias), then one group per fallback. Undefined when unknown.
   */
  readonly deployments: (model: string) => ReadonlyArray<ReadonlyArray<Deployment>> | undefined
  readonly retry: RetryPolicy
  /** The file's timeouts; undefined: the router's own default applies. */
  readonly timeouts: Timeouts | undefined
  readonly circuitBreaker: CircuitBreakerConfig
}

const deployment = (route: Route, weight = 1, credential?: DeploymentCredential): Deployment => ({
  ...route,
  // Two deployments of one model with different keys are different deployments (plans, breakers).
  id: `${route.provider}/${route.upstreamModel}${credential === undefined ? "" : `@${credential.env}`}`,
  weight,
  ...(credential === undefined ? {} : { credential })
})

const toDeployment = (
  route: Route | undefined,
  weight?: number,
  credential?: DeploymentCredential
): Deployment | undefined => (route === undefined ? undefined : deployment(route, weight, credential))

/** Reads a deployment's operator key; a missing or empty variable is a config error naming it. */
const readCredential = (
  alias: string,
  config: RoutingConfig.DeploymentCredentialConfig | undefined
): Effect.Effect<DeploymentCredential | undefined, RoutingConfig.RoutingConfigError> =>
  config === undefined
    ? Effect.succeed(undefined)
    : Config.redacted(config.env).pipe(
        Config.validate({ message: "is empty", validation: (key) => Redacted.value(key).length > 0 }),
        Effect.map((apiKey) => ({ env: config.env, apiKey, baseUrl: config.baseUrl?.replace(/\/+$/, "") })),
        Effect.mapError(
          () =>
            new RoutingConfig.RoutingConfigError({
              path: "aliases",
              message: `alias "${alias}": credential environment variable ${config.env} is not set (or empty)`
            })
        )
      )

const isRouteProvider = Schema.is(RouteProviderIdSchema)

const PREFIXES: ReadonlyArray<readonly [string, RouteProviderId]> = [
  ["gpt-", "openai"],
  ["o1-", "openai"],
  ["o3-", "openai"],
  ["o4-", "openai"],
  ["chatgpt-", "openai"],
  // OpenAI's embedding models (Google's are named `google/text-embedding-004` or `gemini-embedding-*`).
  ["text-embedding-", "openai"],
  ["claude-", "anthropic"],
  ["gemini-", "google"],
  ["grok-", "xai"]
]

/** Explicit `provider/model` or a prefix rule; no aliases. */
export const resolveName = (model: string, mockEnabled: boolean): Route | undefined => {
  const slash = model.indexOf("/")
  if (slash > 0) {
    const provider = model.slice(0, slash)
    const upstreamModel = model.slice(slash + 1)
    if (!isRouteProvider(provider) || upstreamModel.length === 0) return undefined
    if (provider === "mock" && !mockEnabled) return undefined
    return { provider, upstreamModel }
  }
  for (const [prefix, provider] of PREFIXES) {
    if (model.startsWith(prefix)) return { provider, upstreamModel: model }
  }
  return undefined
}

/**
 * What happens to a model name no alias, `provider/` prefix or prefix rule matches: sent unchanged
 * to one provider (seed 000 sent such names to OpenAI), or refused with 404 `model_not_found`.
 */
export type UnknownModels =
  | {
      readonly _tag: "Route"
      /** The provider to send them to; absent: the default model's provider, else OpenAI. */
      readonly provider: RouteProviderId | undefined
    }
  | { readonly _tag: "Refuse" }

/** Unknown names are refused (404). */
export const refuseUnknown: UnknownModels = { _tag: "Refuse" }

/** Unknown names go to the default model's provider, else OpenAI (seed 000's rule). */
export const routeUnknown: UnknownModels = { _tag: "Route", provider: undefined }

/** Options for building a table. */
export interface TableOptions {
  readonly file: RoutingConfig.RoutingConfigFile
  readonly mockEnabled: boolean
  /** `DEFAULT_MODEL`, which wins over the file's `defaultModel`. */
  readonly defaultModel: string | undefined
  /** Names that match no rule; see `UnknownModels`. */
  readonly unknownModels: UnknownModels
  /**
   * The default model when neither `DEFAULT_MODEL` nor the file names one (seed 003's
   * `OPENAI_MODEL`, sent to `AI_PROVIDER`); absent: the mock's `mock/echo` when it is on, else
   * `gpt-5-mini` (seed 003's default).
   */
  readonly seedModel?: string | undefined
}

/** Seed 003's default model (`OPENAI_MODEL` unset). */
export const SEED_DEFAULT_MODEL = "gpt-5-mini"

/**
 * A model name as sent to the platform's provider: prefixed with `AI_PROVIDER/` when that is not
 * OpenAI and the name does not already name a provider (so `gpt-5-mini` reaches a vLLM server).
 */
export const onPlatformProvider = (model: string, provider: RouteProviderId | undefined): string => {
  if (provider === undefined || provider === "openai") return model
  const slash = model.indexOf("/")
  return slash > 0 && isRouteProvider(model.slice(0, slash)) ? model : `${provider}/${model}`
}

/** The provider unknown names go to, or undefined when they are refused. */
const unknownProvider = (
  options: TableOptions,
  resolveKnown: (model: string) => Route | undefined
): RouteProviderId | undefined => {
  const unknown = options.unknownModels
  if (unknown._tag === "Refuse") return undefined
  if (unknown.provider !== undefined) return unknown.provider
  const configured = options.defaultModel ?? options.file.defaultModel
  const provider = configured === undefined ? undefined : resolveKnown(configured)?.provider
  // A demo default (the mock) does not make every unknown name a demo.
  return provider === undefined || provider === "mock" ? "openai" : provider
}

/** What a model name resolves to in one table. */
interface Resolved {
  readonly route: Route | undefined
  readonly deployments: ReadonlyArray<ReadonlyArray<Deployment>> | undefined
}

/** Most model names a table remembers the resolution of. */
const RESOLVED_MEMO_LIMIT = 4096

/** Builds the table; fails when an alias points at nothing routable. */
export const makeTable = (
  options: TableOptions
): Effect.Effect<RoutingTable, RoutingConfig.RoutingConfigError> =>
  Effect.gen(function* () {
    const { mockEnabled } = options
    const aliases = new Map<string, Route>()
    const groups = new Map<string, ReadonlyArray<Deployment>>()
    const routable = (route: Route | undefined) =>
      route === undefined || (route.provider === "mock" && !mockEnabled) ? undefined : route
    for (const [name, target] of Object.entries(options.file.aliases ?? {})) {
      const routes: ReadonlyArray<Deployment | undefined> =
        typeof target === "string"
          ? [toDeployment(resolveName(target, mockEnabled))]
          : "deployments" in target
            ? yield* Effect.forEach(target.deployments, (d) =>
                Effect.map(readCredential(name, d.credential), (credential) =>
                  toDeployment(
                    routable({ provider: d.provider, upstreamModel: d.model }),
                    d.weight,
                    credential
                  )
                )
              )
            : [toDeployment(routable({ provider: target.provider, upstreamModel: target.model }))]
      if (routes.some((r) => r === undefined)) {
        return yield* new RoutingConfig.RoutingConfigError({
          path: "aliases",
          message: `alias "${name}" points at ${JSON.stringify(target)}, which names no known provider`
        })
      }
      const list = routes as ReadonlyArray<Deployment>
      aliases.set(name, { provider: list[0]!.provider, upstreamModel: list[0]!.upstreamModel })
      groups.set(name, list)
    }
    const known = (model: string) => aliases.get(model) ?? resolveName(model, mockEnabled)
    const fallbackProvider = unknownProvider(options, known)
    // A disabled mock is a known provider switched off, not an unknown name: still refused.
    const unknown = (model: string): Route | undefined =>
      fallbackProvider === undefined || model.startsWith("mock/")
        ? undefined
        : { provider: fallbackProvider, upstreamModel: model }
    const resolveUncached = (model: string) => known(model) ?? unknown(model)
    /** A name's own deployments; the file's own names (fallbacks) must be known, never guessed. */
    const ownGroup = (model: string, strict = true): ReadonlyArray<Deployment> | undefined => {
      const group = groups.get(model)
      if (group !== undefined) return group
      const route = resolveName(model, mockEnabled) ?? (strict ? undefined : unknown(model))
      return route === undefined ? undefined : [deployment(route)]
    }
    const chains = new Map<string, Array<ReadonlyArray<Deployment>>>()
    const names = new Set([...groups.keys(), ...Object.keys(options.file.fallbacks ?? {})])
    for (const name of names) {
      const target = options.file.aliases?.[name]
      const own = typeof target === "object" && "deployments" in target ? (target.fallbacks ?? []) : []
      const fallbackNames = [...own, ...(options.file.fallbacks?.[name] ?? [])]
      const chain: Array<ReadonlyArray<Deployment>> = []
      for (const fallback of fallbackNames) {
        // A fallback contributes its own deployments, not its fallbacks: chains never loop.
        const group = ownGroup(fallback)
        if (group === undefined) {
          return yield* new RoutingConfig.RoutingConfigError({
            path: "fallbacks",
            message: `fallback "${fallback}" of "${name}" names no known model or alias`
          })
        }
        chain.push(group)
      }
      chains.set(name, chain)
    }
    const deploymentsUncached = (model: string) => {
      const own = ownGroup(model, false)
      if (own === undefined) return undefined
      const chain = chains.get(model)
      return chain === undefined || chain.length === 0 ? [own] : [own, ...chain]
    }
    // A name resolves to the same route and deployments every time: made once per name, not per
    // request (they were a dozen objects of every request's garbage). Names come from clients, so
    // the memo is bounded: emptied when full.
    const memo = new Map<string, Resolved>()
    const resolved = (model: string): Resolved => {
      let entry = memo.get(model)
      if (entry === undefined) {
        if (memo.size >= RESOLVED_MEMO_LIMIT) memo.clear()
        entry = { route: resolveUncached(model), deployments: deploymentsUncached(model) }
        memo.set(model, entry)
      }
      return entry
    }
    return {
      resolve: (model) => resolved(model).route,
      defaultModel:
        options.defaultModel ??
        options.file.defaultModel ??
        options.seedModel ??
        (mockEnabled ? "mock/echo" : SEED_DEFAULT_MODEL),
      aliases: [...aliases.entries()],
      mockEnabled,
      limits: options.file.limits ?? {},
      deployments: (model) => resolved(model).deployments,
      retry: options.file.retry ?? defaultPolicy,
      timeouts: options.file.timeouts,
      circuitBreaker: options.file.circuitBreaker ?? defaultBreaker
    }
  })

/**
 * The routing table in force. A service holding a getter (not a value) so a reloaded file can
 * replace the table without restarting.
 */
export class Routing extends Context.Tag("@switchyard/router-core/Routing")<
  Routing,
  { readonly current: () => RoutingTable }
>() {}

/** Whether the mock provider is on: `MOCK_PROVIDER` if set, else on in local mode only. */
export const mockEnabledConfig = Config.all({
  local: Config.boolean("SWITCHYARD_LOCAL").pipe(Config.withDefault(false)),
  mock: Config.option(Config.boolean("MOCK_PROVIDER"))
}).pipe(Config.map(({ local, mock }) => Option.getOrElse(mock, () => local)))

/**
 * The platform's default provider (seed 003's `AI_PROVIDER`: `openai`, `openai-compatible` or any
 * other provider id); unset, `openai-compatible` when `AI_BASE_URL` names such a server.
 */
export const aiProviderConfig: Config.Config<RouteProviderId | undefined> = Config.all({
  provider: Config.option(Config.literal(...RouteProviderIdSchema.literals)("AI_PROVIDER")),
  baseUrl: Config.option(Config.nonEmptyString("AI_BASE_URL"))
}).pipe(
  Config.map(({ baseUrl, provider }) =>
    Option.getOrElse(provider, () => (Option.isSome(baseUrl) ? ("openai-compatible" as const) : undefined))
  )
)

/**
 * `UNKNOWN_MODELS`: `route` (the default: to `AI_PROVIDER`, else the default model's provider,
 * else OpenAI) or `refuse` (404).
 */
export const unknownModelsConfig: Config.Config<UnknownModels> = Config.all({
  mode: Config.literal("route", "refuse")("UNKNOWN_MODELS").pipe(Config.withDefault("route" as const)),
  provider: aiProviderConfig
}).pipe(
  Config.map(
    ({ mode, provider }): UnknownModels => (mode === "refuse" ? refuseUnknown : { _tag: "Route", provider })
  )
)

/**
 * Seed 003's default model: `OPENAI_MODEL` on `AI_PROVIDER`; without `OPENAI_MODEL`, `gpt-5-mini`
 * on a provider other than OpenAI when `AI_PROVIDER` names one (and the mock is off), else none
 * (the table's own default applies).
 */
export const seedModelConfig = (mockEnabled: boolean): Config.Config<string | undefined> =>
  Config.all({
    model: Config.option(Config.nonEmptyString("OPENAI_MODEL")),
    provider: aiProviderConfig
  }).pipe(
    Config.map(({ model, provider }) =>
      Option.isSome(model)
        ? onPlatformProvider(model.value, provider)
        : provider !== undefined && provider !== "openai" && !mockEnabled
          ? onPlatformProvider(SEED_DEFAULT_MODEL, provider)
          : undefined
    )
  )

/**
 * The table from `SWITCHYARD_CONFIG` (optional), `DEFAULT_MODEL`, `OPENAI_MODEL`, `UNKNOWN_MODELS`,
 * `AI_PROVIDER`, `AI_BASE_URL`, `SWITCHYARD_LOCAL`,
 * `MOCK_PROVIDER`. An invalid file stops start-up (the error names the line). While running, the
 * file is re-read every `SWITCHYARD_CONFIG_POLL_MS` (default 2000; 0: never) and a changed file
 * replaces the table once two reads in a row, a poll apart, find the same text; a changed file
 * that is invalid is logged with the reason and the previous table keeps serving. (Polling rather
 * than `fs.watch`: editors and config-map mounts replace the file by renaming, which watchers on
 * the old inode miss.)
 *
 * Why two reads: a file written in place (`cat >`, `cp`, an editor that does not rename) is
 * truncated and then written, and a read in between sees it empty or cut short. A prefix of a
 * routing file is often valid, an empty one always is, and applying it would drop aliases and
 * limits until the next poll. A writer that stalls for a whole poll interval mid-write can still
 * be read twice alike; the file read at start-up is read once.
 */
export const layer = Layer.scoped(
  Routing,
  Effect.gen(function* () {
    const path = yield* Config.option(Config.string("SWITCHYARD_CONFIG"))
    const mockEnabled = yield* mockEnabledConfig
    const defaultModel = Option.getOrUndefined(yield* Config.option(Config.string("DEFAULT_MODEL")))
    const unknownModels = yield* unknownModelsConfig
    const seedModel = yield* seedModelConfig(mockEnabled)
    const pollMs = yield* Config.integer("SWITCHYARD_CONFIG_POLL_MS").pipe(Config.withDefault(2000))
    const build = (file: RoutingConfig.RoutingConfigFile) =>
      makeTable({ file, mockEnabled, defaultModel, unknownModels, seedModel })
    if (Option.isNone(path)) {
      const table = yield* build({})
      return { current: () => table }
    }
    const file = path.value
    let text = yield* RoutingConfig.read(file)
    let table = yield* Effect.flatMap(RoutingConfig.parse(file, text), build)
    // A changed text seen once, waiting for the next poll to find it again before it is applied.
    let settling: string | undefined
    const check = Effect.gen(function* () {
      const next = yield* RoutingConfig.read(file)
      if (next === text) {
        settling = undefined
        return
      }
      if (next !== settling) {
        settling = next
        return
      }
      settling = undefined
      text = next
      const built = yield* Effect.either(Effect.flatMap(RoutingConfig.parse(file, next), build))
      if (Either.isLeft(built)) {
        yield* Effect.logWarning(
          `routing: ${file} changed but is invalid; still serving the previous config.\n${built.left.message}`
        )
        return
      }
      table = built.right
      yield* Effect.logInfo(`routing: reloaded ${file}`)
    }).pipe(
      Effect.catchAll((error) =>
        Effect.logWarning(`routing: ${error.message}; still serving the previous config`)
      )
    )
    if (pollMs > 0) yield* Effect.forkScoped(Effect.repeat(check, Schedule.spaced(Duration.millis(pollMs))))
    return { current: () => table }
  })
)
