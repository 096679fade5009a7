/**
 * What the router needs to know to call one upstream provider: its wire format, where it lives
 * (overridable per deployment), how to authenticate, and which URL serves which operation.
 */
import type { RouteProviderId } from "@switchyard/domain"
import type { ModelCapabilities } from "./Capabilities.ts"
import type { Embeddings } from "./Embeddings.ts"
import type { TokenCounting } from "./TokenCounting.ts"

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
  /**
   * OpenAI's Responses API endpoint, for providers that serve it: Responses clients' requests go
   * there untranslated. Absent: they are translated to the provider's chat format.
   */
  readonly responsesUrl?: (baseUrl: string) => string
  /** OpenAI-format embeddings through this provider, when it has an embeddings API. */
  readonly embeddings: Embeddings | undefined
  /**
   * Answers in process instead of over the network (the mock): the request as it would be sent,
   * the upstream's response. Absent: `fetch`.
   */
  readonly transport?: Transport
  /** Request headers carrying the credential (plus the fixed ones the provider requires). */
  readonly headers: (apiKey: string) => Record<string, string>
  /** The provider's own prompt token counting, when it has one (else counted locally). */
  readonly tokenCounting?: TokenCounting
  /** What one of its models takes (structured output, reasoning), by model family. */
  readonly capabilities: (model: string) => ModelCapabilities
  /** Models advertised by `GET /v1/models` (the provider serves more). */
  readonly models: ReadonlyArray<string>
}

/** An in-process upstream: a request's URL and body (as the object that would be sent) in, its response out. */
export type Transport = (url: string, body: Record<string, unknown>) => Response

/** Base URLs are stored without a trailing slash so endpoint paths can be appended. */
export const normalizeBaseUrl = (url: string): string => (url.endsWith("/") ? url.replace(/\/+$/, "") : url)
