/**
 * A Response object repeats the request's settings (instructions, tools, metadata, text format…).
 * OpenAI's own Responses endpoint does that itself; for translated answers the gateway does it here.
 */
import type { ResponsesRequest, ResponsesResponse } from "./wire.ts"

type Json = Record<string, unknown>
const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

/** A function tool as a Response lists it (every field present); other tools as sent. */
const toolOf = (t: unknown): unknown => {
  if (!isObject(t) || t.type !== "function") return t
  return {
    ...t,
    description: t.description ?? null,
    parameters: t.parameters ?? null,
    strict: t.strict ?? true
  }
}

/** Sets the request's settings on a Response written by the gateway (the model stays as written). */
export const echoRequest = (response: ResponsesResponse, request: ResponsesRequest): ResponsesResponse => {
  response.instructions = request.instructions ?? null
  response.max_output_tokens = request.max_output_tokens ?? null
  response.metadata = request.metadata ?? {}
  response.parallel_tool_calls = request.parallel_tool_calls ?? true
  response.reasoning = {
    effort: request.reasoning?.effort ?? null,
    summary: request.reasoning?.summary ?? null
  }
  response.temperature = request.temperature ?? 1
  response.top_p = request.top_p ?? 1
  const text: Json = { format: request.text?.format ?? { type: "text" } }
  if (typeof request.text?.verbosity === "string") text.verbosity = request.text.verbosity
  response.text = text
  response.tool_choice = request.tool_choice ?? "auto"
  response.tools = (request.tools ?? []).map(toolOf)
  if (typeof request.truncation === "string") response.truncation = request.truncation
  for (const key of ["user", "safety_identifier", "prompt_cache_key"] as const) {
    const v = request[key]
    if (typeof v === "string") response[key] = v
  }
  return withState(response, request)
}

/**
 * Sets the conversation-state fields the gateway answers for (it keeps conversations itself, so
 * the upstream never sees them): `previous_response_id` and `store` as the client sent them.
 */
export const withState = <R extends Json>(
  response: R,
  request: Pick<ResponsesRequest, "previous_response_id" | "store">
): R => {
  ;(response as Json).previous_response_id = request.previous_response_id ?? null
  ;(response as Json).store = request.store ?? true
  return response
}
