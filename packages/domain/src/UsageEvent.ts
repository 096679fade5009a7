/**
 * One usage event per router request, whatever its outcome: what the router hands to the ledger.
 */
import { Schema } from "effect"

/** How the request ended. */
export const UsageOutcome = Schema.Literal(
  "success",
  "provider_error",
  "timeout",
  "client_abort",
  "rate_limited",
  "invalid_request",
  "gateway_error"
)
export type UsageOutcome = typeof UsageOutcome.Type

/** Token counts by class; classes never overlap (input excludes cached reads and cache writes). */
export const TokenUsage = Schema.Struct({
  /** Prompt tokens billed at the plain input rate. */
  inputTokens: Schema.NonNegativeInt,
  /** Completion tokens, reasoning included. */
  outputTokens: Schema.NonNegativeInt,
  /** Prompt tokens read from the provider's prompt cache. */
  cachedInputTokens: Schema.NonNegativeInt,
  /** Prompt tokens written to the provider's prompt cache. */
  cacheCreationTokens: Schema.NonNegativeInt,
  /** Of `outputTokens`, how many were reasoning. */
  reasoningTokens: Schema.NonNegativeInt,
  /** True when the provider reported no usage and these are Switchyard's estimate. */
  estimated: Schema.Boolean
})
export type TokenUsage = typeof TokenUsage.Type

/** The usage event recorded for one request. */
export const UsageEvent = Schema.Struct({
  requestId: Schema.String,
  userId: Schema.String,
  apiKeyId: Schema.NullOr(Schema.String),
  requestedModel: Schema.String,
  provider: Schema.NullOr(Schema.String),
  upstreamModel: Schema.NullOr(Schema.String),
  outcome: UsageOutcome,
  /** HTTP status returned to the client. */
  status: Schema.Int,
  /** Error type in the client's error body, when it failed. */
  errorType: Schema.NullOr(Schema.String),
  usage: TokenUsage,
  /** Cost in integer micro-dollars (1 USD = 1 000 000). */
  costMicros: Schema.NonNegativeInt,
  latencyMs: Schema.NonNegative,
  /** Time to first byte of the answer sent to the client, for streams. */
  ttftMs: Schema.NullOr(Schema.NonNegative),
  stream: Schema.Boolean,
  /** Request fields that could not be carried to the upstream provider. */
  droppedFields: Schema.Array(Schema.String),
  createdAt: Schema.DateFromSelf
})
export type UsageEvent = typeof UsageEvent.Type
