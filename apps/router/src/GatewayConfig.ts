/**
 * The router's own settings, read once at start-up.
 */
import type { RouteProviderId } from "@switchyard/domain"
import { EffectiveLimits, Routing } from "@switchyard/router-core"
import { Config, Context, Effect, Layer, Option, type Redacted } from "effect"

/** Settings of the data plane. */
export interface GatewaySettings {
  /** Largest request body accepted (`MAX_BODY_BYTES`, default 10 MiB); larger → 413. */
  readonly maxBodyBytes: number
  /** Time allowed for an upstream to start answering (`UPSTREAM_TIMEOUT_MS`, default 120 s) → 504. */
  readonly upstreamTimeoutMs: number
  /**
   * Largest upstream answer read whole (`UPSTREAM_MAX_BODY_BYTES`, default 128 MiB, room for a
   * full batch of large embeddings); larger → 502. A user's own base URL may point at any server.
   */
  readonly upstreamMaxBodyBytes: number
  /**
   * Longest silence of a streaming upstream after its first chunk (`UPSTREAM_IDLE_TIMEOUT_MS`,
   * default 300 s: reasoning models think for minutes); then the stream is cut with an error event.
   */
  readonly upstreamIdleTimeoutMs: number
  /** Refuse lossy translations instead of dropping fields (`SWITCHYARD_STRICT`, default false). */
  readonly strict: boolean
  /**
   * User-supplied base URLs may point at private addresses (`ALLOW_PRIVATE_UPSTREAMS`, default:
   * local mode); otherwise every call to one is checked at connect time (`UpstreamTarget`).
   */
  readonly allowPrivateUpstreams: boolean
  /** Bearer token `GET /metrics` requires (`METRICS_TOKEN`); unset: see `metricsPublic`. */
  readonly metricsToken: Redacted.Redacted<string> | undefined
  /**
   * Without a token, whether `/metrics` is served to anyone (`METRICS_PUBLIC`, default: local
   * mode); otherwise it answers 404 (keep the port private or set a token).
   */
  readonly metricsPublic: boolean
  /** Serve `GET /v1/user/ai-keys` (`EXPOSE_USER_KEYS`, default false). */
  readonly exposeUserKeys: boolean
  /**
   * The seeds' default request rates per user and family of routes (`API_RATE_LIMIT` per
   * `API_RATE_LIMIT_MINUTES`, 1000 per minute, on every keyed route but `/api/chat`;
   * `RATE_LIMIT_REQUESTS_PER_MINUTE`, 60, on `/api/chat`); a `user.rpm` in the routing file's
   * `limits:` replaces them.
   */
  readonly routeRates: EffectiveLimits.RouteRates
  /**
   * How long `/health` keeps each provider's answer before asking again (`PROVIDER_HEALTH_TTL_MS`,
   * default 60 s; `ProviderHealth.ts`).
   */
  readonly providerHealthTtlMs: number
  /**
   * Seed 003's `OPENAI_TEMPERATURE` (default 1.0, 0–2): the temperature `/api/chat` sends when the
   * request names none; undefined sends none (the provider's own default).
   */
  readonly chatTemperature: number | undefined
  /**
   * Seed 003's `AI_PROVIDER` (unset: `openai-compatible` when `AI_BASE_URL` is set): the provider
   * `/api/chat` sends the models it names to, as seed 003's single backend did (aliases and
   * explicit `provider/model` names keep their own route).
   */
  readonly aiProvider: RouteProviderId | undefined
}

/** The settings service. */
export class GatewayConfig extends Context.Tag("@switchyard/router/GatewayConfig")<
  GatewayConfig,
  GatewaySettings
>() {}

/** Settings from the environment. */
export const settingsConfig = Config.all({
  maxBodyBytes: Config.integer("MAX_BODY_BYTES").pipe(Config.withDefault(10 * 1024 * 1024)),
  upstreamTimeoutMs: Config.integer("UPSTREAM_TIMEOUT_MS").pipe(Config.withDefault(120_000)),
  upstreamMaxBodyBytes: Config.integer("UPSTREAM_MAX_BODY_BYTES").pipe(Config.withDefault(128 * 1024 * 1024)),
  upstreamIdleTimeoutMs: Config.integer("UPSTREAM_IDLE_TIMEOUT_MS").pipe(Config.withDefault(300_000)),
  strict: Config.boolean("SWITCHYARD_STRICT").pipe(Config.withDefault(false)),
  exposeUserKeys: Config.boolean("EXPOSE_USER_KEYS").pipe(Config.withDefault(false)),
  metricsToken: Config.option(Config.redacted("METRICS_TOKEN")).pipe(Config.map(Option.getOrUndefined)),
  metricsPublic: Config.boolean("METRICS_PUBLIC").pipe(
    Config.orElse(() => Config.boolean("SWITCHYARD_LOCAL")),
    Config.withDefault(false)
  ),
  // As `UpstreamUrlGuard.layer` reads it: unset, local mode decides.
  allowPrivateUpstreams: Config.boolean("ALLOW_PRIVATE_UPSTREAMS").pipe(
    Config.orElse(() => Config.boolean("SWITCHYARD_LOCAL")),
    Config.withDefault(false)
  ),
  routeRates: EffectiveLimits.routeRatesConfig,
  providerHealthTtlMs: Config.integer("PROVIDER_HEALTH_TTL_MS").pipe(Config.withDefault(60_000)),
  chatTemperature: Config.number("OPENAI_TEMPERATURE").pipe(
    Config.withDefault(1),
    Config.validate({
      message: "OPENAI_TEMPERATURE must be a number from 0 to 2",
      validation: (t) => t >= 0 && t <= 2
    }),
    Config.map((t): number | undefined => t)
  ),
  aiProvider: Routing.aiProviderConfig
})

/** The settings from the environment. */
export const layer = Layer.effect(GatewayConfig, Effect.map(settingsConfig, GatewayConfig.of))

/** Explicit settings (tests). */
export const layerWith = (overrides: Partial<GatewaySettings>) =>
  Layer.succeed(
    GatewayConfig,
    GatewayConfig.of({
      maxBodyBytes: 10 * 1024 * 1024,
      upstreamTimeoutMs: 120_000,
      upstreamMaxBodyBytes: 128 * 1024 * 1024,
      upstreamIdleTimeoutMs: 300_000,
      strict: false,
      exposeUserKeys: false,
      allowPrivateUpstreams: false,
      metricsToken: undefined,
      metricsPublic: true,
      routeRates: EffectiveLimits.NO_RATES,
      providerHealthTtlMs: 60_000,
      chatTemperature: undefined,
      aiProvider: undefined,
      ...overrides
    })
  )
