/**
 * The provider registry: every provider's folder contributes its spec here, one line each, and
 * this process's base URL for it (`OPENAI_BASE_URL`, `ANTHROPIC_BASE_URL`, `GOOGLE_AI_BASE_URL`,
 * `XAI_BASE_URL`) is read once at start-up.
 */
import type { RouteProviderId } from "@switchyard/domain"
import { Config, Context, Effect, Layer, Record } from "effect"
import { anthropic } from "./anthropic/spec.ts"
import { google } from "./google/spec.ts"
import { mock } from "./mock/spec.ts"
import { openai } from "./openai/spec.ts"
import { openaiCompatible } from "./openai-compatible/spec.ts"
import { normalizeBaseUrl, type ProviderSpec } from "./Provider.ts"
import { xai } from "./xai/spec.ts"

/** Every provider's spec, by id. */
export const specs: Readonly<Record<RouteProviderId, ProviderSpec>> = {
  openai,
  anthropic,
  google,
  xai,
  "openai-compatible": openaiCompatible,
  mock
}

/** A provider as deployed: its spec and the base URL this process sends to. */
export interface ResolvedProvider {
  readonly spec: ProviderSpec
  readonly baseUrl: string
}

/** The providers as configured for this process. */
export class Providers extends Context.Tag("@switchyard/router-core/Providers")<
  Providers,
  Readonly<Record<RouteProviderId, ResolvedProvider>>
>() {}

const resolve = (spec: ProviderSpec) =>
  (spec.baseUrlEnv === undefined
    ? Effect.succeed(spec.defaultBaseUrl)
    : Config.string(spec.baseUrlEnv).pipe(Config.withDefault(spec.defaultBaseUrl))
  ).pipe(Effect.map((url): ResolvedProvider => ({ spec, baseUrl: normalizeBaseUrl(url) })))

/** Reads the base URL overrides from configuration once, at start-up. */
export const layer = Layer.effect(Providers, Effect.all(Record.map(specs, resolve)))
