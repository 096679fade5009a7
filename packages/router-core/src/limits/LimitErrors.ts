/**
 * The limiter's refusals as the data plane's `GatewayError`, ready for the client's error format.
 * A spent budget uses OpenAI's `insufficient_quota` code, the rate windows `rate_limit_exceeded`.
 */
import { GatewayError, type LimitExceeded, type LimitsUnavailable } from "@switchyard/domain"

/** A refusal as a 429 (`LimitExceeded`) or 503 (`LimitsUnavailable`) gateway error. */
export const toGatewayError = (error: LimitExceeded | LimitsUnavailable): GatewayError =>
  error._tag === "LimitExceeded"
    ? new GatewayError({
        status: 429,
        type: "rate_limit_error",
        code: error.kind === "budget" ? "insufficient_quota" : "rate_limit_exceeded",
        message: error.message
      })
    : new GatewayError({
        status: 503,
        type: "server_error",
        code: "limits_unavailable",
        message: error.message
      })
