/**
 * Reads an Anthropic messages request into the neutral form.
 */

import type {
  CacheMark,
  CanonicalRequest,
  Dropped,
  ImagePart,
  Part,
  Reasoning,
  ResponseFormat,
  TextPart,
  ToolChoice,
  ToolDef,
  Turn
} from "../../translate/Canonical.ts"
import { strictCompatible } from "../../translate/StructuredOutput.ts"
import type { AnthropicBlock, AnthropicCacheControl, AnthropicRequest } from "./wire.ts"

/** Top-level fields the neutral form carries; any other non-empty field is reported as dropped. */
const KNOWN = new Set([
  "model",
  "max_tokens",
  "messages",
  "system",
  "stream",
  "temperature",
  "top_p",
  "top_k",
  "stop_sequences",
  "tools",
  "tool_choice",
  "metadata",
  "thinking",
  "output_config",
  "output_format"
])

/** The name OpenAI-family upstreams get for a schema that Anthropic's format leaves unnamed. */
const SCHEMA_NAME = "response"

const cacheOf = (b: { cache_control?: AnthropicCacheControl }): CacheMark | undefined => b.cache_control

const text = (t: string, cache: CacheMark | undefined): TextPart => ({ kind: "text", text: t, cache })

const blockParts = (blocks: Array<AnthropicBlock>, dropped: Dropped): Array<Part> => {
  const out: Array<Part> = []
  for (const b of blocks) {
    switch (b.type) {
      case "text":
        out.push(text(b.text, cacheOf(b)))
        break
      case "image": {
        const s = b.source
        if (s.type === "base64")
          out.push({
            kind: "image",
            source: { type: "base64", mediaType: s.media_type, data: s.data },
            cache: cacheOf(b)
          })
        else if (s.type === "url")
          out.push({ kind: "image", source: { type: "url", url: s.url }, cache: cacheOf(b) })
        else dropped.add(`image.source.${s.type}`)
        break
      }
      case "document": {
        const s = b.source
        if (s.type === "base64")
          out.push({
            kind: "document",
            mediaType: s.media_type,
            data: s.data,
            filename: b.title,
            cache: cacheOf(b)
          })
        else if (s.type === "text") out.push(text(s.data, cacheOf(b)))
        else dropped.add(`document.source.${s.type}`)
        break
      }
      case "tool_use":
        out.push({
          kind: "toolCall",
          id: b.id,
          name: b.name,
          argumentsJson: JSON.stringify(b.input),
          cache: cacheOf(b)
        })
        break
      case "tool_result": {
        const content: Array<TextPart | ImagePart> = []
        if (typeof b.content === "string") {
          if (b.content !== "") content.push(text(b.content, undefined))
        } else if (b.content !== undefined) {
          for (const p of blockParts(b.content, dropped)) {
            if (p.kind === "text" || p.kind === "image") content.push(p)
            else dropped.add(`tool_result.content.${p.kind}`)
          }
        }
        out.push({
          kind: "toolResult",
          toolCallId: b.tool_use_id,
          content,
          isError: b.is_error === true,
          cache: cacheOf(b)
        })
        break
      }
      case "thinking":
        // An empty signature is what Switchyard writes for reasoning from other models: not Anthropic's.
        out.push({
          kind: "thinking",
          text: b.thinking,
          signature: b.signature || undefined,
          redactedData: undefined,
          field: "thinking"
        })
        break
      case "redacted_thinking":
        out.push({
          kind: "thinking",
          text: "",
          signature: undefined,
          redactedData: b.data,
          field: "thinking"
        })
        break
      default:
        dropped.add((b as { type: string }).type)
    }
  }
  return out
}

const toolChoiceOf = (c: AnthropicRequest["tool_choice"]): ToolChoice | undefined => {
  if (c === undefined) return undefined
  return c.type === "tool" ? { type: "tool", name: c.name ?? "" } : { type: c.type }
}

/**
 * `output_config.format` (or the beta's `output_format`) as the neutral form. Anthropic's
 * structured output is always constrained decoding, so the schema is marked strict whenever
 * OpenAI's strict mode would accept it.
 */
const responseFormatOf = (b: AnthropicRequest): ResponseFormat | undefined => {
  const f = b.output_config?.format ?? b.output_format
  if (f === undefined || f === null) return undefined
  return {
    type: "json_schema",
    name: SCHEMA_NAME,
    description: undefined,
    schema: f.schema,
    strict: strictCompatible(f.schema)
  }
}

/** Anthropic's effort levels in the neutral vocabulary (`max` is the top of OpenAI's, `xhigh`). */
const effortOf = (
  e: NonNullable<NonNullable<AnthropicRequest["output_config"]>["effort"]>
): Reasoning["effort"] => (e === "max" ? "xhigh" : e)

/**
 * `thinking` (a budget, or adaptive) and `output_config.effort` as the neutral reasoning: a
 * budget when one is given, else the effort (adaptive thinking with no effort: `medium`).
 */
const reasoningOf = (b: AnthropicRequest, dropped: Dropped): Reasoning | undefined => {
  const thinking = b.thinking
  const configured = b.output_config?.effort
  const effort = configured === undefined || configured === null ? undefined : effortOf(configured)
  if (thinking?.type === "enabled") return { effort, budgetTokens: thinking.budget_tokens, field: "thinking" }
  if (thinking?.type === "adaptive")
    return { effort: effort ?? "medium", budgetTokens: undefined, field: "thinking" }
  if (thinking !== undefined && thinking.type !== "disabled") dropped.add("thinking")
  return effort === undefined ? undefined : { effort, budgetTokens: undefined, field: "output_config.effort" }
}

/** Reads an Anthropic request; fields with no neutral equivalent go to `dropped`. */
export const fromAnthropic = (b: AnthropicRequest, dropped: Dropped): CanonicalRequest => {
  for (const key in b) {
    const v = b[key]
    if (!KNOWN.has(key) && v !== null && v !== undefined && v !== false) dropped.add(key)
  }
  const config = b.output_config
  if (config !== undefined && config !== null) {
    for (const key in config) {
      const v = config[key]
      if (key !== "format" && key !== "effort" && v !== null && v !== undefined)
        dropped.add(`output_config.${key}`)
    }
  }
  const system: Array<TextPart> =
    b.system === undefined
      ? []
      : typeof b.system === "string"
        ? b.system === ""
          ? []
          : [text(b.system, undefined)]
        : b.system.map((s) => text(s.text, cacheOf(s)))
  const turns: Array<Turn> = b.messages.map((m) => ({
    role: m.role,
    parts:
      typeof m.content === "string"
        ? m.content === ""
          ? []
          : [text(m.content, undefined)]
        : blockParts(m.content, dropped)
  }))
  const tools: Array<ToolDef> = []
  for (const t of b.tools ?? []) {
    if (t.type !== undefined && t.type !== "custom") {
      dropped.add(`tools.${t.type}`)
      continue
    }
    tools.push({
      name: t.name,
      description: t.description,
      parameters: t.input_schema,
      strict: t.strict === true,
      cache: cacheOf(t)
    })
  }
  return {
    system,
    turns,
    tools,
    toolChoice: toolChoiceOf(b.tool_choice),
    parallelToolCalls: b.tool_choice?.disable_parallel_tool_use === true ? false : undefined,
    maxTokens: b.max_tokens,
    temperature: b.temperature,
    topP: b.top_p,
    topK: b.top_k,
    stop: b.stop_sequences,
    seed: undefined,
    n: undefined,
    presencePenalty: undefined,
    frequencyPenalty: undefined,
    responseFormat: responseFormatOf(b),
    reasoning: reasoningOf(b, dropped),
    user: b.metadata?.user_id ?? undefined,
    stream: b.stream === true
  }
}
