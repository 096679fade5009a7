/**
 * Reads an OpenAI chat completions request into the neutral form.
 */

import {
  type CacheMark,
  type CanonicalRequest,
  type Dropped,
  type ImagePart,
  type Part,
  parseDataUrl,
  type ResponseFormat,
  type TextPart,
  type ToolChoice,
  type ToolDef,
  type Turn
} from "../../translate/Canonical.ts"
import type { OpenAIChatRequest, OpenAIContentPart, OpenAIMessage } from "./wire.ts"

/** Top-level fields the neutral form carries; any other non-empty field is reported as dropped. */
const KNOWN = new Set([
  "model",
  "messages",
  "stream",
  "stream_options",
  "max_tokens",
  "max_completion_tokens",
  "temperature",
  "top_p",
  "n",
  "stop",
  "seed",
  "presence_penalty",
  "frequency_penalty",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "response_format",
  "reasoning_effort",
  "user"
])

const cacheOf = (p: { cache_control?: { type: "ephemeral"; ttl?: string } }): CacheMark | undefined =>
  p.cache_control === undefined ? undefined : p.cache_control

const text = (t: string, cache: CacheMark | undefined = undefined): TextPart => ({
  kind: "text",
  text: t,
  cache
})

const imageOf = (url: string, cache: CacheMark | undefined): ImagePart => {
  const data = parseDataUrl(url)
  return {
    kind: "image",
    source:
      data === undefined
        ? { type: "url", url }
        : { type: "base64", mediaType: data.mediaType, data: data.data },
    cache
  }
}

const partsOf = (
  content: string | Array<OpenAIContentPart> | null | undefined,
  dropped: Dropped
): Array<Part> => {
  if (content === null || content === undefined) return []
  if (typeof content === "string") return content === "" ? [] : [text(content)]
  const out: Array<Part> = []
  for (const p of content) {
    switch (p.type) {
      case "text":
        out.push(text(p.text, cacheOf(p)))
        break
      case "refusal":
        out.push(text(p.refusal))
        break
      case "image_url":
        if (p.image_url.detail !== undefined && p.image_url.detail !== "auto") dropped.add("image_url.detail")
        out.push(imageOf(p.image_url.url, cacheOf(p)))
        break
      case "file": {
        const data = p.file.file_data === undefined ? undefined : parseDataUrl(p.file.file_data)
        if (data === undefined) dropped.add("file")
        else
          out.push({
            kind: "document",
            mediaType: data.mediaType,
            data: data.data,
            filename: p.file.filename,
            cache: undefined
          })
        break
      }
      default:
        dropped.add(p.type)
    }
  }
  return out
}

const textOnly = (parts: Array<Part>): Array<TextPart | ImagePart> =>
  parts.filter((p): p is TextPart | ImagePart => p.kind === "text" || p.kind === "image")

const turnsOf = (messages: Array<OpenAIMessage>, system: Array<TextPart>, dropped: Dropped): Array<Turn> => {
  const turns: Array<Turn> = []
  for (const m of messages) {
    if ("name" in m && m.name !== undefined) dropped.add("name")
    switch (m.role) {
      case "system":
      case "developer":
        for (const p of partsOf(m.content, dropped)) if (p.kind === "text") system.push(p)
        break
      case "user":
        turns.push({ role: "user", parts: partsOf(m.content, dropped) })
        break
      case "tool":
        turns.push({
          role: "user",
          parts: [
            {
              kind: "toolResult",
              toolCallId: m.tool_call_id,
              content: textOnly(partsOf(m.content, dropped)),
              isError: false,
              cache: undefined
            }
          ]
        })
        break
      case "assistant": {
        const parts: Array<Part> = []
        if (typeof m.reasoning_content === "string" && m.reasoning_content !== "") {
          parts.push({
            kind: "thinking",
            text: m.reasoning_content,
            signature: undefined,
            redactedData: undefined,
            field: "reasoning_content"
          })
        }
        for (const p of partsOf(m.content, dropped)) parts.push(p)
        if (typeof m.refusal === "string" && m.refusal !== "") parts.push(text(m.refusal))
        for (const c of m.tool_calls ?? []) {
          parts.push({
            kind: "toolCall",
            id: c.id,
            name: c.function.name,
            argumentsJson: c.function.arguments,
            cache: undefined
          })
        }
        turns.push({ role: "assistant", parts })
      }
    }
  }
  return turns
}

const toolChoiceOf = (c: OpenAIChatRequest["tool_choice"]): ToolChoice | undefined => {
  if (c === undefined || c === null) return undefined
  if (c === "auto") return { type: "auto" }
  if (c === "none") return { type: "none" }
  if (c === "required") return { type: "any" }
  return { type: "tool", name: c.function.name }
}

const responseFormatOf = (
  f: OpenAIChatRequest["response_format"],
  dropped: Dropped
): ResponseFormat | undefined => {
  if (f === undefined || f === null || f.type === "text") return undefined
  if (f.type === "json_object") return { type: "json_object" }
  if (f.type !== "json_schema") {
    dropped.add("response_format")
    return undefined
  }
  return {
    type: "json_schema",
    name: f.json_schema.name,
    description: f.json_schema.description ?? undefined,
    schema: f.json_schema.schema ?? undefined,
    strict: f.json_schema.strict === true
  }
}

const num = (v: number | null | undefined): number | undefined => (v === null ? undefined : v)

/** Reads an OpenAI request; fields with no neutral equivalent go to `dropped`. */
export const fromOpenAI = (b: OpenAIChatRequest, dropped: Dropped): CanonicalRequest => {
  for (const key in b) {
    const v = b[key]
    if (!KNOWN.has(key) && v !== null && v !== undefined && v !== false) dropped.add(key)
  }
  const system: Array<TextPart> = []
  const turns = turnsOf(b.messages, system, dropped)
  const tools: Array<ToolDef> = (b.tools ?? []).map((t) => ({
    name: t.function.name,
    description: t.function.description,
    parameters: t.function.parameters,
    strict: t.function.strict === true,
    cache: undefined
  }))
  const stop =
    b.stop === null || b.stop === undefined ? undefined : typeof b.stop === "string" ? [b.stop] : b.stop
  const effort = b.reasoning_effort ?? undefined
  return {
    system,
    turns,
    tools,
    toolChoice: toolChoiceOf(b.tool_choice),
    parallelToolCalls: b.parallel_tool_calls,
    maxTokens: num(b.max_completion_tokens) ?? num(b.max_tokens),
    temperature: num(b.temperature),
    topP: num(b.top_p),
    topK: undefined,
    stop,
    seed: num(b.seed),
    n: num(b.n),
    presencePenalty: num(b.presence_penalty),
    frequencyPenalty: num(b.frequency_penalty),
    responseFormat: responseFormatOf(b.response_format, dropped),
    reasoning: effort === undefined ? undefined : { effort, budgetTokens: undefined },
    user: b.user,
    stream: b.stream === true
  }
}
