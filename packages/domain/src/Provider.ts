/**
 * The upstream providers Switchyard speaks to.
 */
import { Schema } from "effect"

/** Providers a user can store a credential for (`/v1/secret`). */
export const ProviderId = Schema.Literal("openai", "anthropic", "google", "xai", "openai-compatible")
export type ProviderId = typeof ProviderId.Type

/** Every provider the router can route to: the credentialed ones plus the built-in `mock`. */
export const RouteProviderId = Schema.Literal(...ProviderId.literals, "mock")
export type RouteProviderId = typeof RouteProviderId.Type
