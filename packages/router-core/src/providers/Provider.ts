/**
 * What the router needs to know to call one upstream provider: its wire format, where it lives
 * (overridable per deployment), how to authenticate, and which URL serves which operation.
 */
import type { RouteProviderId } from "@switchyard/domain"

/** The wire formats upstreams speak (xAI and OpenAI-compatible servers speak `openai`). */
export type WireFormat = "openai" | "anthropic" | "gemini"

/** Static description of a provider; the base URL is resolved at start-up. */
export interface ProviderSpec {
  readonly id: RouteProviderId
  readonly format: WireFormat
  /** Used when neither the environment override nor a user's `baseUrl` gives one. */
  readonly defaultBaseUrl: string
  /** Environment variable overriding the base URL (e.g. `OPENAI_BASE_URL`). */
  readonly baseUrlEnv: string | undefined
  /** Chat endpoint for a model, streaming or not. */
  readonly chatUrl: (baseUrl: string, model: string, stream: boolean) => string
  /** Embeddings endpoint, when the provider has one the router supports. */
  readonly embeddingsUrl: ((baseUrl: string, model: string) => string) | undefined
  /** Request headers carrying the credential (plus the fixed ones the provider requires). */
  readonly headers: (apiKey: string) => Record<string, string>
  /** Models advertised by `GET /v1/models` (the provider serves more). */
  readonly models: ReadonlyArray<string>
}

/** Base URLs are stored without a trailing slash so endpoint paths can be appended. */
export const normalizeBaseUrl = (url: string): string => (url.endsWith("/") ? url.replace(/\/+$/, "") : url)
