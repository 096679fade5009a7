/**
 * The one error the router's data plane answers with: everything a client needs to build its
 * error body (OpenAI's or Anthropic's shape) and the HTTP status to send it with.
 */
import { Schema } from "effect"

/** Error types, in OpenAI's vocabulary; the Anthropic formatter maps them onto its own. */
export const GatewayErrorType = Schema.Literal(
  "invalid_request_error",
  "authentication_error",
  "permission_error",
  "not_found_error",
  "request_too_large",
  "rate_limit_error",
  "api_error",
  "timeout_error",
  "server_error"
)
export type GatewayErrorType = typeof GatewayErrorType.Type

/**
 * A request the gateway refuses or could not complete. `code` is OpenAI's machine-readable code
 * (e.g. `model_not_found`); `param` names the offending request field.
 */
export class GatewayError extends Schema.TaggedError<GatewayError>()("GatewayError", {
  status: Schema.Int,
  type: GatewayErrorType,
  message: Schema.String,
  code: Schema.optional(Schema.String),
  param: Schema.optional(Schema.String)
}) {}
