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

/** Whose provider key was used: the caller's own, or one the operator configured. */
export type KeyOwner = "user" | "platform" | "builtin" | "operator"

/**
 * The status for a provider refusing the key it was sent (its 401 or 403). Not 401/403: every SDK
 * presents those as the caller's own key being wrong (`AuthenticationError`), which it is not.
 * Not 5xx: the SDKs (openai, Anthropic, the AI SDK) retry 408, 409, 429 and 5xx, and a refused key
 * does not heal in a second. 424 Failed Dependency says what happened: the request depended on a
 * call to the provider, and that call failed; no SDK retries it.
 */
export const CREDENTIAL_REJECTED_STATUS = 424

/** Whether an upstream status means it refused the credential. */
export const isCredentialRejection = (status: number): boolean => status === 401 || status === 403

/**
 * The provider refused the key it was sent. Names the provider and whose key it was, never the
 * key (nor the provider's message, which may quote part of it), and says who can fix it.
 */
export const credentialRejected = (provider: string, status: number, owner: KeyOwner): GatewayError =>
  new GatewayError({
    status: CREDENTIAL_REJECTED_STATUS,
    type: "api_error",
    code: "upstream_credential_rejected",
    message:
      owner === "user"
        ? `The ${provider} provider rejected your own ${provider} API key stored in Switchyard (upstream status ${status}). Your Switchyard key is fine: update or remove the ${provider} key in your provider credentials.`
        : `The ${provider} provider rejected the platform's ${provider} API key (upstream status ${status}). Your Switchyard key is fine: the operator must fix the ${provider} credential, or you can add your own ${provider} key.`
  })
