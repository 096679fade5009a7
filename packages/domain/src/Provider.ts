/**
 * The upstream providers Switchyard speaks to.
 */
import { Schema } from "effect"

/** Providers a user can store a credential for (`/v1/secret`). */
export const ProviderId = Schema.Literal("openai", "anthropic", "google", "xai", "openai-compatible")
export type ProviderId = typeof ProviderId.Type

/**
 * The environment variable of each provider's platform key (seed 000's names), used when a user
 * has no key of their own. Spelled here only: the router reads the keys, the control plane reports
 * which are set.
 */
export const PLATFORM_KEY_VARIABLES = {
  openai: "OPENAI_API_KEY",
  anthropic: "ANTHROPIC_API_KEY",
  google: "GOOGLE_AI_KEY",
  xai: "XAI_API_KEY"
} as const satisfies Partial<Record<ProviderId, string>>

/**
 * The platform's own OpenAI-compatible server (seed 003's names: a vLLM or similar as the
 * platform default): its base URL, including `/v1`, and its key (optional: some servers take none).
 */
export const PLATFORM_COMPATIBLE_VARIABLES = { baseUrl: "AI_BASE_URL", apiKey: "AI_API_KEY" } as const

/** Every provider the router can route to: the credentialed ones plus the built-in `mock`. */
export const RouteProviderId = Schema.Literal(...ProviderId.literals, "mock")
export type RouteProviderId = typeof RouteProviderId.Type
