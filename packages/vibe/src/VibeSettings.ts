/**
 * The vibe service's settings, from the environment: seed 004's `MODAL_VIBE_*` names and defaults
 * where the seed has them, `VIBE_*` for what is ours (the router, the models, our own limits).
 */
import { Config, Context, Layer, Option, type Redacted } from "effect"

/** Everything the vibe service reads from its configuration. */
export interface VibeSettingsShape {
  /** The Switchyard router generation goes through (`VIBE_ROUTER_URL`, default http://127.0.0.1:8080). */
  readonly routerUrl: string
  /** Operator `ef_` key for callers with no router credential of their own (`VIBE_ROUTER_KEY`). */
  readonly routerKey: Option.Option<Redacted.Redacted<string>>
  /** Model that writes the apps (`VIBE_MODEL`, default claude-sonnet-4-5). */
  readonly model: string
  /** Cheaper model that writes the assistant's history message (`VIBE_EXPLAIN_MODEL`); `off` for none. */
  readonly explainModel: Option.Option<string>
  /** Seconds without a view or an edit before an app stops (`MODAL_VIBE_SANDBOX_TIMEOUT`, 3600). */
  readonly idleTimeoutSeconds: number
  /** Minutes between idle sweeps (`MODAL_VIBE_CLEANUP_INTERVAL`, 5; fractions allowed). */
  readonly cleanupIntervalMinutes: number
  /** Generations running at once (`MODAL_VIBE_MAX_CONCURRENT_REQUESTS`, 200). */
  readonly maxConcurrentGenerations: number
  /** Apps one user may create per hour (`VIBE_CREATES_PER_HOUR`, 10). */
  readonly createsPerHour: number
  /** Largest generated document stored, in bytes (`VIBE_MAX_HTML_BYTES`, 256 KiB). */
  readonly maxHtmlBytes: number
  /** Longest wait for the router's answer, in seconds (`VIBE_GENERATION_TIMEOUT`, 120). */
  readonly generationTimeoutSeconds: number
  /** `max_tokens` asked of the model (`VIBE_MAX_TOKENS`, 16000). */
  readonly maxTokens: number
}

const positive = (name: string, fallback: number) =>
  Config.number(name).pipe(
    Config.withDefault(fallback),
    Config.validate({ message: `${name} must be a positive number`, validation: (n) => n > 0 })
  )

const positiveInt = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.withDefault(fallback),
    Config.validate({ message: `${name} must be a positive integer`, validation: (n) => n > 0 })
  )

/** The configuration, read once at start-up. */
export const config: Config.Config<VibeSettingsShape> = Config.all({
  routerUrl: Config.string("VIBE_ROUTER_URL").pipe(
    Config.withDefault("http://127.0.0.1:8080"),
    Config.validate({
      message: "VIBE_ROUTER_URL must be an http(s) URL",
      validation: (url) => URL.canParse(url) && /^https?:$/.test(new URL(url).protocol)
    }),
    Config.map((url) => url.replace(/\/+$/, ""))
  ),
  routerKey: Config.option(Config.redacted("VIBE_ROUTER_KEY")),
  model: Config.string("VIBE_MODEL").pipe(Config.withDefault("claude-sonnet-4-5")),
  explainModel: Config.string("VIBE_EXPLAIN_MODEL").pipe(
    Config.withDefault("claude-haiku-4-5"),
    Config.map((model) => (model === "" || model === "off" ? Option.none() : Option.some(model)))
  ),
  idleTimeoutSeconds: positive("MODAL_VIBE_SANDBOX_TIMEOUT", 3600),
  cleanupIntervalMinutes: positive("MODAL_VIBE_CLEANUP_INTERVAL", 5),
  maxConcurrentGenerations: positiveInt("MODAL_VIBE_MAX_CONCURRENT_REQUESTS", 200),
  createsPerHour: positiveInt("VIBE_CREATES_PER_HOUR", 10),
  maxHtmlBytes: positiveInt("VIBE_MAX_HTML_BYTES", 256 * 1024),
  generationTimeoutSeconds: positive("VIBE_GENERATION_TIMEOUT", 120),
  maxTokens: positiveInt("VIBE_MAX_TOKENS", 16_000)
})

/** The settings as a service. */
export class VibeSettings extends Context.Tag("@switchyard/vibe/VibeSettings")<
  VibeSettings,
  VibeSettingsShape
>() {
  /** From the environment (or whichever `ConfigProvider` is installed). */
  static readonly layer = Layer.effect(VibeSettings, config)
}
