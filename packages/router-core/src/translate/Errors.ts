/**
 * Error bodies in the client's format, and upstream error answers translated into them.
 */
import { withoutControlCharacters } from "@switchyard/domain"
import type { AnthropicErrorBody } from "../providers/anthropic/wire.ts"
import type { OpenAIErrorBody } from "../providers/openai/wire.ts"
import type { ClientFormat, UpstreamFormat } from "./Formats.ts"

/** OpenAI error type → Anthropic's (same meaning, Anthropic's spelling). */
const ANTHROPIC_TYPES: Readonly<Record<string, string>> = {
  invalid_request_error: "invalid_request_error",
  authentication_error: "authentication_error",
  permission_error: "permission_error",
  not_found_error: "not_found_error",
  request_too_large: "request_too_large",
  rate_limit_error: "rate_limit_error",
  api_error: "api_error",
  overloaded_error: "overloaded_error",
  timeout_error: "timeout_error",
  server_error: "api_error",
  upstream_error: "api_error"
}

/** The error type a status means, in OpenAI's vocabulary. */
export const errorTypeForStatus = (status: number): string => {
  switch (status) {
    case 400:
    case 422:
      return "invalid_request_error"
    case 401:
      return "authentication_error"
    case 403:
      return "permission_error"
    case 404:
      return "not_found_error"
    case 413:
      return "request_too_large"
    case 429:
      return "rate_limit_error"
    case 504:
      return "timeout_error"
    default:
      return status >= 500 ? "api_error" : "invalid_request_error"
  }
}

/**
 * The client's error body: OpenAI `{"error":{"message","type","param","code"}}` or Anthropic
 * `{"type":"error","error":{"type","message"}}`. `status` is part of the signature for callers
 * that format by status; the body itself does not repeat it.
 */
export const formatError = (
  to: ClientFormat,
  _status: number,
  type: string,
  message: string,
  param?: string,
  code?: string
): OpenAIErrorBody | AnthropicErrorBody =>
  to === "anthropic"
    ? { type: "error", error: { type: ANTHROPIC_TYPES[type] ?? type, message } }
    : { error: { message, type, param: param ?? null, code: code ?? null } }

type Json = Record<string, unknown>
const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

interface UpstreamError {
  readonly message: string | undefined
  readonly type: string | undefined
  readonly param: string | undefined
  readonly code: string | undefined
  /** The body is the provider's standard `{"error":{…}}` shape (so a same-format client can get it as is). */
  readonly standard: boolean
}

/** Reads the message and type out of any provider's error body (they all nest an `error` object). */
const readUpstreamError = (body: string): UpstreamError | undefined => {
  let u: unknown
  try {
    u = JSON.parse(body)
  } catch {
    return undefined
  }
  // Gemini sometimes answers with a one-element array of its error body.
  if (Array.isArray(u)) u = u[0]
  if (!isObject(u)) return undefined
  // Messages are passed to the client: bounded and printable, whatever the upstream wrote.
  const str = (v: unknown) =>
    typeof v === "string" && v !== ""
      ? withoutControlCharacters(v.length > 1000 ? v.slice(0, 1000) : v)
      : undefined
  // OpenAI-compatible servers vary: Ollama answers `{"error":"…"}`, FastAPI-based ones `{"detail":"…"}`.
  const flat = str(u.error) ?? str(u.detail) ?? str(u.message)
  if (flat !== undefined)
    return { message: flat, type: undefined, param: undefined, code: undefined, standard: false }
  if (!isObject(u.error)) return undefined
  const e = u.error
  return {
    message: str(e.message),
    // Gemini's `status` (e.g. INVALID_ARGUMENT) is its machine-readable kind.
    type: str(e.type),
    param: str(e.param),
    code: str(e.code) ?? str(e.status),
    standard: true
  }
}

const PROVIDER_NAMES: Readonly<Record<UpstreamFormat, string>> = {
  openai: "OpenAI-compatible",
  anthropic: "Anthropic",
  gemini: "Gemini",
  responses: "OpenAI"
}

/**
 * An upstream error answer in the client's format. 4xx keep their status and the provider's
 * message (same format: the provider's body as is); 5xx become 502 naming the upstream status.
 * A body that is not a JSON error (a proxy's HTML page) is never echoed: the client gets a clean
 * error naming the provider and the status.
 */
export const translateError = (
  status: number,
  upstreamBody: string,
  from: UpstreamFormat,
  to: ClientFormat
): { status: number; body: unknown } => {
  const e = readUpstreamError(upstreamBody)
  if (status >= 500 || status < 400) {
    const detail = e?.message ?? "its answer carried no error message"
    return {
      status: 502,
      body: formatError(
        to,
        502,
        "api_error",
        `Upstream ${PROVIDER_NAMES[from]} provider failed with status ${status}: ${detail}`
      )
    }
  }
  if (from === to && e?.standard === true) return { status, body: JSON.parse(upstreamBody) }
  // Gemini's error kinds are not OpenAI's or Anthropic's: its status decides the type.
  const upstreamType = from === "gemini" ? undefined : e?.type
  const type =
    to === "anthropic"
      ? upstreamType !== undefined && upstreamType in ANTHROPIC_TYPES
        ? upstreamType
        : errorTypeForStatus(status)
      : (upstreamType ?? errorTypeForStatus(status))
  const message = e?.message ?? `Upstream ${PROVIDER_NAMES[from]} provider returned status ${status}`
  return { status, body: formatError(to, status, type, message, e?.param, e?.code) }
}
