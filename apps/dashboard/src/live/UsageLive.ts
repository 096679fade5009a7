/**
 * TEMPORARY: the realtime hub's `usage` event as issue 18 states it, until `packages/realtime`
 * (which owns this schema) is on main; then this file re-exports it from there.
 */
import { Schema } from "effect"

export const UsageLive = Schema.Struct({
  requestId: Schema.String,
  model: Schema.String,
  provider: Schema.NullOr(Schema.String),
  upstreamModel: Schema.NullOr(Schema.String),
  apiKeyId: Schema.NullOr(Schema.String),
  status: Schema.Int,
  outcome: Schema.String,
  inputTokens: Schema.NonNegativeInt,
  outputTokens: Schema.NonNegativeInt,
  cachedInputTokens: Schema.NonNegativeInt,
  costMicros: Schema.NonNegativeInt,
  latencyMs: Schema.NonNegative,
  ttftMs: Schema.NullOr(Schema.NonNegative),
  stream: Schema.Boolean,
  createdAt: Schema.String
})
export type UsageLive = typeof UsageLive.Type
