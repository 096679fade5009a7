/**
 * Error answers in the client's own format: OpenAI's `{"error":{message,type,param,code}}` on the
 * OpenAI routes (`/v1/responses` too) and seed routes, Anthropic's
 * `{"type":"error","error":{type,message}}` on `/v1/messages`. Also the SSE error event sent when a
 * stream breaks after it started.
 */
import { GatewayError } from "@switchyard/domain"

/** Which error shape a route answers with. */
export type ErrorFormat = "openai" | "anthropic" | "responses"

const ANTHROPIC_TYPES: Readonly<Record<GatewayError["type"], string>> = {
  invalid_request_error: "invalid_request_error",
  authentication_error: "authentication_error",
  permission_error: "permission_error",
  not_found_error: "not_found_error",
  request_too_large: "request_too_large",
  rate_limit_error: "rate_limit_error",
  api_error: "api_error",
  timeout_error: "timeout_error",
  server_error: "api_error"
}

/** The error body, as a JSON string. */
export const errorBody = (format: ErrorFormat, error: GatewayError): string =>
  format === "anthropic"
    ? JSON.stringify({ type: "error", error: { type: ANTHROPIC_TYPES[error.type], message: error.message } })
    : JSON.stringify({
        error: {
          message: error.message,
          type: error.type,
          param: error.param ?? null,
          code: error.code ?? null
        }
      })

const JSON_HEADERS = { "content-type": "application/json" } as const

/** A complete error response. */
export const errorResponse = (
  format: ErrorFormat,
  error: GatewayError,
  headers?: Readonly<Record<string, string>>
): Response =>
  new Response(errorBody(format, error), {
    status: error.status,
    headers: headers === undefined ? JSON_HEADERS : { ...JSON_HEADERS, ...headers }
  })

/**
 * The SSE event that ends a stream which broke after it started. Responses streams get their
 * `error` event, numbered by the route after the events before it.
 */
export const errorEvent = (format: ErrorFormat, error: GatewayError): string =>
  format === "anthropic"
    ? `event: error\ndata: ${errorBody(format, error)}\n\n`
    : format === "responses"
      ? `event: error\ndata: ${JSON.stringify({
          type: "error",
          code: error.code ?? error.type,
          message: error.message,
          param: error.param ?? null,
          sequence_number: 0
        })}\n\n`
      : `data: ${errorBody(format, error)}\n\n`

const internalError = new GatewayError({
  status: 500,
  type: "server_error",
  message: "The gateway failed while handling the request"
})

/**
 * The answer to a bug that reached the top of a route (or the server itself): logged, and answered
 * in the client's format, never as the runtime's HTML error page.
 */
export const unhandledError =
  (format: ErrorFormat) =>
  (error: unknown): Response => {
    console.error("unhandled error in the router", error)
    return errorResponse(format, internalError)
  }
