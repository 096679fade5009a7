/**
 * Responses API answers: a neutral answer written as a Response object for Responses clients, and
 * a Response object (OpenAI's own, passed through) read into the neutral form. The request's own
 * settings (instructions, tools, metadata…) are set on the object afterwards (`echo.ts`).
 */
import type { MalformedUpstream } from "@switchyard/domain"
import { Either } from "effect"
import {
  type CanonicalResponse,
  type Content,
  estimatedUsage,
  isObject,
  malformed,
  type ResponseContext
} from "../../translate/CanonicalResponse.ts"
import type { FinishReason } from "../../translate/FinishReason.ts"
import { echoRequest } from "./echo.ts"
import { newItemId, newResponseId } from "./ids.ts"
import { fromResponsesUsage, toResponsesUsage } from "./usage.ts"
import type {
  ResponsesIncompleteReason,
  ResponsesOutputItem,
  ResponsesRequest,
  ResponsesResponse,
  ResponsesUsage
} from "./wire.ts"

/** Why a Response is incomplete, from the neutral finish reason (none: it completed). */
export const incompleteReason = (finish: FinishReason): ResponsesIncompleteReason | undefined =>
  finish === "length" ? "max_output_tokens" : finish === "content_filter" ? "content_filter" : undefined

/**
 * A Response object with the request-independent defaults (what OpenAI answers for a request
 * that sets nothing); `echo` replaces them with the request's own settings.
 */
export const responseSkeleton = (
  id: string,
  model: string,
  createdAt: number,
  status: ResponsesResponse["status"]
): ResponsesResponse => ({
  id,
  object: "response",
  created_at: createdAt,
  status,
  completed_at: null,
  error: null,
  incomplete_details: null,
  instructions: null,
  max_output_tokens: null,
  model,
  output: [],
  parallel_tool_calls: true,
  previous_response_id: null,
  reasoning: { effort: null, summary: null },
  store: true,
  temperature: 1,
  text: { format: { type: "text" } },
  tool_choice: "auto",
  tools: [],
  top_p: 1,
  truncation: "disabled",
  metadata: {}
})

/** Sets a finished Response's status, completion time, incompleteness and usage. */
export const finishResponse = (
  response: ResponsesResponse,
  finish: FinishReason,
  usage: ResponsesUsage,
  now: number
): ResponsesResponse => {
  const reason = incompleteReason(finish)
  response.status = reason === undefined ? "completed" : "incomplete"
  response.completed_at = reason === undefined ? now : null
  response.incomplete_details = reason === undefined ? null : { reason }
  response.usage = usage
  return response
}

/** The output items of a neutral answer: text runs as messages, tool calls, reasoning. */
export const outputOf = (content: ReadonlyArray<Content>): Array<ResponsesOutputItem> => {
  const out: Array<ResponsesOutputItem> = []
  let message: Extract<ResponsesOutputItem, { type: "message" }> | undefined
  for (const c of content) {
    if (c.kind === "text") {
      if (message === undefined) {
        message = {
          type: "message",
          id: newItemId("msg_"),
          status: "completed",
          role: "assistant",
          content: []
        }
        out.push(message)
      }
      message.content.push({ type: "output_text", text: c.text, annotations: [], logprobs: [] })
      continue
    }
    message = undefined
    if (c.kind === "toolCall")
      out.push({
        type: "function_call",
        id: newItemId("fc_"),
        call_id: c.id,
        name: c.name,
        arguments: c.argumentsJson,
        status: "completed"
      })
    else if (c.kind === "thinking") {
      const item: Extract<ResponsesOutputItem, { type: "reasoning" }> = {
        type: "reasoning",
        id: newItemId("rs_"),
        summary: [{ type: "summary_text", text: c.text }]
      }
      // Anthropic's signature is what lets this reasoning go back to it on the next turn.
      if (c.signature !== undefined) item.encrypted_content = c.signature
      out.push(item)
    } else out.push({ type: "reasoning", id: newItemId("rs_"), summary: [], encrypted_content: c.data })
  }
  return out
}

/** Writes a Response object for a Responses client. */
export const writeResponses = (c: CanonicalResponse, ctx: ResponseContext): ResponsesResponse => {
  const now = Math.floor(Date.now() / 1000)
  const response = responseSkeleton(ctx.id ?? newResponseId(), ctx.requestedModel, now, "completed")
  response.output = outputOf(c.content)
  if (ctx.request !== undefined) echoRequest(response, ctx.request as ResponsesRequest)
  return finishResponse(response, c.finish, toResponsesUsage(c.usage), now)
}

/** Reads a Response object (OpenAI's Responses endpoint) into the neutral form. */
export const readResponses = (u: unknown): Either.Either<CanonicalResponse, MalformedUpstream> => {
  if (!isObject(u) || !Array.isArray(u.output))
    return Either.left(malformed("responses", "no 'output' array"))
  const content: Array<Content> = []
  let calledTools = false
  for (const item of u.output as Array<unknown>) {
    if (!isObject(item)) continue
    if (item.type === "message" && Array.isArray(item.content)) {
      for (const part of item.content as Array<unknown>) {
        if (!isObject(part)) continue
        if (part.type === "output_text" && typeof part.text === "string")
          content.push({ kind: "text", text: part.text })
        else if (part.type === "refusal" && typeof part.refusal === "string")
          content.push({ kind: "text", text: part.refusal })
      }
    } else if (item.type === "function_call" && typeof item.name === "string") {
      calledTools = true
      content.push({
        kind: "toolCall",
        id: typeof item.call_id === "string" ? item.call_id : "",
        name: item.name,
        argumentsJson: typeof item.arguments === "string" ? item.arguments : "{}"
      })
    } else if (item.type === "reasoning" && Array.isArray(item.summary)) {
      let text = ""
      for (const s of item.summary as Array<unknown>)
        if (isObject(s) && typeof s.text === "string") text += s.text
      if (text !== "")
        content.push({
          kind: "thinking",
          text,
          signature: typeof item.encrypted_content === "string" ? item.encrypted_content : undefined
        })
    }
  }
  const details = isObject(u.incomplete_details) ? u.incomplete_details.reason : undefined
  const finish: FinishReason =
    details === "max_output_tokens"
      ? "length"
      : details === "content_filter"
        ? "content_filter"
        : calledTools
          ? "tool_calls"
          : "stop"
  return Either.right({
    id: typeof u.id === "string" ? u.id : undefined,
    content,
    finish,
    stopSequence: null,
    usage: isObject(u.usage)
      ? fromResponsesUsage(u.usage as Partial<ResponsesUsage>)
      : estimatedUsage(content)
  })
}
