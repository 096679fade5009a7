/**
 * How a provider counts a prompt's tokens itself (`POST /v1/messages/count_tokens`): where to ask,
 * the body to send for an Anthropic-format request, and the count in its answer. A provider
 * without it is counted locally with a tokenizer (`openai/tokenCount.ts`), as an estimate.
 */
import type { StrictModeViolation } from "@switchyard/domain"
import type { Either } from "effect"
import type { AnthropicClientRequest } from "../translate/ClientRequest.ts"
import type { ModelCapabilities } from "./Capabilities.ts"

/** A provider's own token counting endpoint. */
export interface TokenCounting {
  readonly url: (baseUrl: string, upstreamModel: string) => string
  /** The body to send for a validated Anthropic messages request (its `max_tokens` may be absent). */
  readonly request: (
    req: AnthropicClientRequest,
    upstreamModel: string,
    capabilities: ModelCapabilities
  ) => Either.Either<Record<string, unknown>, StrictModeViolation>
  /** The prompt's tokens in the upstream's answer; undefined when the answer is malformed. */
  readonly inputTokens: (answer: unknown) => number | undefined
}
