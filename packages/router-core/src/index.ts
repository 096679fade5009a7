/**
 * The router's core: providers, routing, credentials, the mock provider, and wire-format
 * translation.
 */
export * as Credentials from "./Credentials.ts"
// Limits (issue 7): per key / per user rpm, tpm, concurrency and spend budgets, memory or Redis.
export * as EffectiveLimits from "./limits/EffectiveLimits.ts"
export * as LimitErrors from "./limits/LimitErrors.ts"
export * as Limiter from "./limits/Limiter.ts"
export * as MaxOutput from "./limits/MaxOutput.ts"
export * as RateLimitHeaders from "./limits/RateLimitHeaders.ts"
export * from "./passthrough/UsageTap.ts"
export type * from "./providers/anthropic/wire.ts"
export * as Capabilities from "./providers/Capabilities.ts"
export * from "./providers/Embeddings.ts"
export type * from "./providers/google/wire.ts"
export * as Mock from "./providers/mock/Mock.ts"
export type * from "./providers/openai/wire.ts"
export * from "./providers/Provider.ts"
export * as Providers from "./providers/Providers.ts"
// The Responses API (issue 16): a client format, and OpenAI's Responses endpoint upstream.
export { withState as withResponsesState } from "./providers/responses/echo.ts"
export { fromResponsesUsage, toResponsesUsage } from "./providers/responses/usage.ts"
export type * from "./providers/responses/wire.ts"
export * as Routing from "./Routing.ts"
export * as RoutingConfig from "./RoutingConfig.ts"
// Reliability (issue 7): retries with backoff, weighted fallbacks, circuit breaking, timeouts.
export * as CircuitBreaker from "./reliability/CircuitBreaker.ts"
export * as Fallbacks from "./reliability/Fallbacks.ts"
export * as RetryAfter from "./reliability/RetryAfter.ts"
export * as RetryPolicy from "./reliability/RetryPolicy.ts"
export * as Timeouts from "./reliability/Timeouts.ts"
export * as Timers from "./reliability/Timers.ts"
export * as WeightedPicker from "./reliability/WeightedPicker.ts"
// Wire-format translation (translate/, wire/): requests, responses, streams, errors, usage.
export * from "./translate/ClientRequest.ts"
export * from "./translate/Errors.ts"
export * from "./translate/Estimate.ts"
export * from "./translate/FinishReason.ts"
export * from "./translate/Formats.ts"
export * from "./translate/Request.ts"
export * from "./translate/Response.ts"
export * from "./translate/Stream.ts"
export * from "./translate/Usage.ts"
