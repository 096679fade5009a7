/**
 * OpenAI chat completion answers (also xAI's and every OpenAI-compatible server's): read into the
 * neutral form, and written from it for OpenAI clients.
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
import { fromOpenAIFinish } from "../../translate/FinishReason.ts"
import { newToolCallId } from "../../translate/ToolCallId.ts"
import { fromOpenAIUsage, toOpenAIUsage } from "../../translate/Usage.ts"
import type { OpenAIChatResponse, OpenAIToolCall } from "./wire.ts"

/** Reads an OpenAI chat completion. */
export const readOpenAI = (u: unknown): Either.Either<CanonicalResponse, MalformedUpstream> => {
  if (!isObject(u) || !Array.isArray(u.choices)) return Either.left(malformed("openai", "no 'choices' array"))
  const r = u as unknown as OpenAIChatResponse
  const choice = r.choices[0]
  if (!isObject(choice) || !isObject(choice.message))
    return Either.left(malformed("openai", "no 'choices[0].message'"))
  const m = choice.message as OpenAIChatResponse["choices"][number]["message"] & { reasoning?: string }
  const content: Array<Content> = []
  const reasoning = m.reasoning_content ?? m.reasoning
  if (typeof reasoning === "string" && reasoning !== "")
    content.push({ kind: "thinking", text: reasoning, signature: undefined })
  if (typeof m.content === "string" && m.content !== "") content.push({ kind: "text", text: m.content })
  if (typeof m.refusal === "string" && m.refusal !== "") content.push({ kind: "text", text: m.refusal })
  for (const c of m.tool_calls ?? []) {
    content.push({ kind: "toolCall", id: c.id, name: c.function.name, argumentsJson: c.function.arguments })
  }
  return Either.right({
    id: typeof r.id === "string" ? r.id : undefined,
    content,
    finish: fromOpenAIFinish(choice.finish_reason),
    stopSequence: null,
    usage: isObject(r.usage) ? fromOpenAIUsage(r.usage) : estimatedUsage(content)
  })
}

/** Writes a chat completion for an OpenAI client. */
export const writeOpenAI = (c: CanonicalResponse, ctx: ResponseContext): OpenAIChatResponse => {
  let text: string | null = null
  let reasoning: string | undefined
  const calls: Array<OpenAIToolCall> = []
  for (const x of c.content) {
    if (x.kind === "text") text = text === null ? x.text : text + x.text
    else if (x.kind === "thinking") reasoning = reasoning === undefined ? x.text : reasoning + x.text
    else if (x.kind === "toolCall")
      calls.push({ id: x.id, type: "function", function: { name: x.name, arguments: x.argumentsJson } })
  }
  const message: OpenAIChatResponse["choices"][number]["message"] = {
    role: "assistant",
    content: text,
    refusal: null
  }
  if (calls.length > 0) message.tool_calls = calls
  if (reasoning !== undefined) message.reasoning_content = reasoning
  return {
    id: ctx.id ?? `chatcmpl-${c.id ?? newToolCallId("call_").slice(5)}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: ctx.requestedModel,
    choices: [{ index: 0, message, logprobs: null, finish_reason: c.finish }],
    usage: toOpenAIUsage(c.usage)
  }
}
