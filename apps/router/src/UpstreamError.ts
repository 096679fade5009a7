/**
 * What the client is told when the upstream cannot be read: malformed answers and broken
 * connections as 502, no first byte in time as 504. (Upstream error answers are translated by
 * router-core's `translateError`.)
 */
import { GatewayError } from "@switchyard/domain"
import { Redacted } from "effect"

/** An answer that is not the provider's wire format. */
export const malformed = (provider: string, detail: string): GatewayError =>
  new GatewayError({
    status: 502,
    type: "api_error",
    code: "upstream_malformed",
    message: `The ${provider} provider sent an answer that could not be read: ${detail}`
  })

/** The answer is larger than `UPSTREAM_MAX_BODY_BYTES`. */
export const tooLarge = (provider: string, limit: number): GatewayError =>
  new GatewayError({
    status: 502,
    type: "api_error",
    code: "upstream_too_large",
    message: `The ${provider} provider sent an answer larger than ${limit} bytes (UPSTREAM_MAX_BODY_BYTES)`
  })

/** The connection failed or broke. */
export const unreachable = (provider: string, error: unknown): GatewayError =>
  new GatewayError({
    status: 502,
    type: "api_error",
    code: "upstream_unreachable",
    message: `The ${provider} provider could not be reached or broke off: ${describe(error)}`
  })

/** No first byte within the timeout. */
export const timedOut = (provider: string, ms: number): GatewayError =>
  new GatewayError({
    status: 504,
    type: "timeout_error",
    code: "upstream_timeout",
    message: `The ${provider} provider did not answer within ${ms} ms`
  })

/** A user's upstream answered with a redirect, which is never followed (it could point inside). */
export const redirected = (provider: string, status: number): GatewayError =>
  new GatewayError({
    status: 502,
    type: "api_error",
    code: "upstream_redirect",
    message: `The ${provider} provider answered with a redirect (status ${status}), which is not followed`
  })

/** A stream that went silent for longer than `UPSTREAM_IDLE_TIMEOUT_MS`, cut by us. */
export const idle = (provider: string, ms: number): GatewayError =>
  new GatewayError({
    status: 504,
    type: "timeout_error",
    code: "upstream_idle_timeout",
    message: `The ${provider} provider sent nothing for ${ms} ms (UPSTREAM_IDLE_TIMEOUT_MS): the stream was cut`
  })

/**
 * An upstream's error body with the credential it was sent cut out. Some servers echo the key they
 * refused (`Invalid key: sk-…`), and error bodies go on to the client: the platform's key must
 * never reach a user, nor a user's own key a response. Keys shorter than 8 characters are left
 * alone (nothing real is that short, and cutting them would mangle ordinary text).
 */
export const withoutCredential = (text: string, apiKey: Redacted.Redacted<string>): string => {
  const secret = Redacted.value(apiKey)
  return secret.length >= 8 && text.includes(secret) ? text.replaceAll(secret, "[redacted]") : text
}

const describe = (error: unknown): string => {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : ""
    return `${error.message}${cause}`
  }
  return String(error)
}
