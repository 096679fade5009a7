/**
 * Writes the neutral form as an OpenAI chat completions request (OpenAI, xAI, compatible servers).
 */

import {
  type CanonicalRequest,
  type Dropped,
  effortForBudget,
  type Part,
  REASONING_FIELD,
  type TextPart,
  wantsReasoning
} from "../../translate/Canonical.ts"
import type { ClientFormat } from "../../translate/Formats.ts"
import { splitSignature } from "../../translate/ToolCallId.ts"
import type { ModelCapabilities } from "../Capabilities.ts"
import type { OpenAIChatRequest, OpenAIContentPart, OpenAIMessage, OpenAIToolCall } from "./wire.ts"

/** Options of the OpenAI writer. */
export interface ToOpenAIOptions {
  readonly origin: ClientFormat
  /**
   * Which field carries the output limit: `max_completion_tokens` (OpenAI's current name; its
   * reasoning models reject `max_tokens`) or `max_tokens` (older OpenAI-compatible servers).
   */
  readonly maxTokensField: "max_tokens" | "max_completion_tokens"
  /** What the model takes: `reasoning_effort` only goes to models that reason. */
  readonly capabilities: ModelCapabilities
}

const dataUrl = (mediaType: string, data: string) => `data:${mediaType};base64,${data}`

const contentPart = (p: Part, dropped: Dropped): OpenAIContentPart | undefined => {
  switch (p.kind) {
    case "text":
      if (p.cache !== undefined) dropped.add("cache_control")
      return { type: "text", text: p.text }
    case "image":
      if (p.cache !== undefined) dropped.add("cache_control")
      return {
        type: "image_url",
        image_url: {
          url: p.source.type === "url" ? p.source.url : dataUrl(p.source.mediaType, p.source.data)
        }
      }
    case "document":
      if (p.cache !== undefined) dropped.add("cache_control")
      return {
        type: "file",
        file: { filename: p.filename ?? "document.pdf", file_data: dataUrl(p.mediaType, p.data) }
      }
    default:
      return undefined
  }
}

/** A lone uncached text part becomes a plain string: every compatible server accepts that. */
const contentOf = (parts: ReadonlyArray<Part>, dropped: Dropped): string | Array<OpenAIContentPart> => {
  if (parts.length === 1 && parts[0]!.kind === "text" && parts[0]!.cache === undefined) return parts[0]!.text
  const out: Array<OpenAIContentPart> = []
  for (const p of parts) {
    const c = contentPart(p, dropped)
    if (c !== undefined) out.push(c)
  }
  return out
}

const joinText = (parts: ReadonlyArray<TextPart>) => {
  let s = ""
  for (const p of parts) s += p.text
  return s
}

/** Writes an OpenAI request for `model`. */
export const toOpenAI = (
  c: CanonicalRequest,
  model: string,
  opts: ToOpenAIOptions,
  dropped: Dropped
): OpenAIChatRequest => {
  const messages: Array<OpenAIMessage> = []
  if (c.system.length > 0)
    messages.push({
      role: "system",
      content: contentOf(c.system, dropped) as string | Array<OpenAIContentPart>
    })
  for (const turn of c.turns) {
    if (turn.role === "user") {
      const rest: Array<Part> = []
      for (const p of turn.parts) {
        if (p.kind !== "toolResult") {
          rest.push(p)
          continue
        }
        if (p.isError) dropped.add("is_error")
        if (p.cache !== undefined) dropped.add("cache_control")
        const texts: Array<TextPart> = []
        for (const r of p.content) {
          if (r.kind === "text") texts.push(r)
          else dropped.add("tool_result.image")
        }
        messages.push({
          role: "tool",
          tool_call_id: splitSignature(p.toolCallId).id,
          content: joinText(texts)
        })
      }
      if (rest.length > 0 || turn.parts.length === 0)
        messages.push({ role: "user", content: contentOf(rest, dropped) })
      continue
    }
    const texts: Array<TextPart> = []
    const calls: Array<OpenAIToolCall> = []
    for (const p of turn.parts) {
      if (p.kind === "text") {
        if (p.cache !== undefined) dropped.add("cache_control")
        texts.push(p)
      } else if (p.kind === "toolCall") {
        if (p.cache !== undefined) dropped.add("cache_control")
        calls.push({
          id: splitSignature(p.id).id,
          type: "function",
          function: { name: p.name, arguments: p.argumentsJson }
        })
      } else if (p.kind === "thinking") {
        dropped.add(p.field)
      } else {
        dropped.add(p.kind)
      }
    }
    const m: OpenAIMessage = { role: "assistant", content: texts.length === 0 ? null : joinText(texts) }
    if (calls.length > 0) m.tool_calls = calls
    messages.push(m)
  }

  const body: OpenAIChatRequest = { model, messages }
  if (c.stream) {
    body.stream = true
    body.stream_options = { include_usage: true }
  }
  if (c.maxTokens !== undefined) body[opts.maxTokensField] = c.maxTokens
  if (c.temperature !== undefined) body.temperature = c.temperature
  if (c.topP !== undefined) body.top_p = c.topP
  if (c.topK !== undefined) dropped.add("top_k")
  if (c.stop !== undefined) body.stop = [...c.stop]
  if (c.seed !== undefined) body.seed = c.seed
  if (c.n !== undefined) body.n = c.n
  if (c.presencePenalty !== undefined) body.presence_penalty = c.presencePenalty
  if (c.frequencyPenalty !== undefined) body.frequency_penalty = c.frequencyPenalty
  if (c.tools.length > 0) {
    body.tools = c.tools.map((t) => {
      if (t.cache !== undefined) dropped.add("cache_control")
      const fn: {
        name: string
        description?: string
        parameters?: Record<string, unknown>
        strict?: boolean
      } = {
        name: t.name
      }
      if (t.description !== undefined) fn.description = t.description
      if (t.parameters !== undefined) fn.parameters = t.parameters
      if (t.strict) fn.strict = true
      return { type: "function" as const, function: fn }
    })
    if (c.parallelToolCalls === false) body.parallel_tool_calls = false
  }
  const tc = c.toolChoice
  if (tc !== undefined) {
    body.tool_choice =
      tc.type === "tool"
        ? { type: "function", function: { name: tc.name } }
        : tc.type === "any"
          ? "required"
          : tc.type
  }
  const rf = c.responseFormat
  if (rf !== undefined) {
    if (rf.type === "json_object") body.response_format = { type: "json_object" }
    else {
      const js: { name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean } = {
        name: rf.name
      }
      if (rf.description !== undefined) js.description = rf.description
      if (rf.schema !== undefined) js.schema = rf.schema
      if (rf.strict) js.strict = true
      body.response_format = { type: "json_schema", json_schema: js }
    }
  }
  const r = c.reasoning
  if (r !== undefined) {
    // Models without reasoning refuse the field: it is dropped and reported (effort `none` is
    // what such a model does anyway, and is not).
    if (opts.capabilities.reasoning === "none") {
      if (wantsReasoning(r)) dropped.add(r.field ?? REASONING_FIELD[opts.origin])
    } else if (r.effort !== undefined) body.reasoning_effort = r.effort
    else if (r.budgetTokens !== undefined) body.reasoning_effort = effortForBudget(r.budgetTokens)
  }
  if (c.user !== undefined) body.user = c.user
  return body
}
