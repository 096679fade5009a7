/**
 * Reads a Responses API request into the neutral form. Input items become turns: consecutive items
 * of one side (an assistant message and its function calls; function call outputs and the next
 * user message) make one turn, as Anthropic's and Gemini's formats want. `instructions` and
 * system / developer messages are the system prompt; `text.format` is the same neutral
 * `responseFormat` chat's `response_format` becomes.
 *
 * `previous_response_id` and `item_reference` items are resolved by the gateway before this
 * (it keeps the conversations); `store` and `metadata` are the gateway's too, never dropped.
 */
import {
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
import type {
  ResponsesFunctionTool,
  ResponsesInputItem,
  ResponsesInputPart,
  ResponsesRequest,
  ResponsesTextFormat
} from "./wire.ts"

/** Top-level fields the neutral form or the gateway carries; any other non-empty one is dropped. */
const KNOWN = new Set([
  "model",
  "input",
  "instructions",
  "stream",
  "max_output_tokens",
  "temperature",
  "top_p",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "text",
  "reasoning",
  "user",
  "safety_identifier",
  // Kept by the gateway itself.
  "metadata",
  "store",
  "previous_response_id",
  "stream_options"
])

const text = (t: string): TextPart => ({ kind: "text", text: t, cache: undefined })

const image = (url: string): ImagePart => {
  const data = parseDataUrl(url)
  return {
    kind: "image",
    source:
      data === undefined
        ? { type: "url", url }
        : { type: "base64", mediaType: data.mediaType, data: data.data },
    cache: undefined
  }
}

const partsOf = (content: string | Array<ResponsesInputPart>, dropped: Dropped): Array<Part> => {
  if (typeof content === "string") return content === "" ? [] : [text(content)]
  const out: Array<Part> = []
  for (const p of content) {
    switch (p.type) {
      case "input_text":
      case "output_text":
        out.push(text(p.text))
        break
      case "refusal":
        out.push(text(p.refusal))
        break
      case "input_image":
        if (typeof p.image_url !== "string") dropped.add("input_image.file_id")
        else {
          if (p.detail !== undefined && p.detail !== "auto") dropped.add("input_image.detail")
          out.push(image(p.image_url))
        }
        break
      case "input_file": {
        const data = typeof p.file_data === "string" ? parseDataUrl(p.file_data) : undefined
        if (data === undefined) dropped.add("input_file")
        else
          out.push({
            kind: "document",
            mediaType: data.mediaType,
            data: data.data,
            filename: p.filename,
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

/** Appends parts to the last turn when it is `role`'s, else starts a turn. */
const append = (turns: Array<Turn>, role: Turn["role"], parts: ReadonlyArray<Part>) => {
  const last = turns.at(-1)
  if (last !== undefined && last.role === role)
    turns[turns.length - 1] = { role, parts: [...last.parts, ...parts] }
  else turns.push({ role, parts })
}

const reasoningPart = (item: Extract<ResponsesInputItem, { type: "reasoning" }>): Part | undefined => {
  let t = ""
  for (const s of item.summary ?? []) t += s.text
  for (const c of item.content ?? []) t += c.text
  const encrypted = typeof item.encrypted_content === "string" ? item.encrypted_content : undefined
  // Reasoning with no text but an encrypted payload is Anthropic's redacted thinking, kept opaque.
  if (t === "" && encrypted === undefined) return undefined
  return {
    kind: "thinking",
    text: t,
    signature: t === "" ? undefined : encrypted,
    redactedData: t === "" ? encrypted : undefined,
    field: "reasoning"
  }
}

const turnsOf = (
  input: ResponsesRequest["input"],
  system: Array<TextPart>,
  dropped: Dropped
): Array<Turn> => {
  const turns: Array<Turn> = []
  if (input === undefined || input === null) return turns
  if (typeof input === "string") return [{ role: "user", parts: partsOf(input, dropped) }]
  for (const item of input) {
    const type = item.type ?? "message"
    switch (type) {
      case "message": {
        const m = item as Extract<ResponsesInputItem, { role: string }>
        const parts = partsOf(m.content, dropped)
        if (m.role === "system" || m.role === "developer") {
          for (const p of parts) if (p.kind === "text") system.push(p)
        } else append(turns, m.role, parts)
        break
      }
      case "function_call": {
        const c = item as Extract<ResponsesInputItem, { type: "function_call" }>
        append(turns, "assistant", [
          { kind: "toolCall", id: c.call_id, name: c.name, argumentsJson: c.arguments, cache: undefined }
        ])
        break
      }
      case "function_call_output": {
        const o = item as Extract<ResponsesInputItem, { type: "function_call_output" }>
        const content = partsOf(o.output, dropped).filter(
          (p): p is TextPart | ImagePart => p.kind === "text" || p.kind === "image"
        )
        append(turns, "user", [
          { kind: "toolResult", toolCallId: o.call_id, content, isError: false, cache: undefined }
        ])
        break
      }
      case "reasoning": {
        const part = reasoningPart(item as Extract<ResponsesInputItem, { type: "reasoning" }>)
        if (part !== undefined) append(turns, "assistant", [part])
        break
      }
      default:
        // Hosted tools' items (and an unresolved item_reference) have no neutral form.
        dropped.add(type)
    }
  }
  return turns
}

const toolChoiceOf = (c: ResponsesRequest["tool_choice"], dropped: Dropped): ToolChoice | undefined => {
  if (c === undefined || c === null) return undefined
  if (c === "auto") return { type: "auto" }
  if (c === "none") return { type: "none" }
  if (c === "required") return { type: "any" }
  if (c.type === "function" && typeof c.name === "string") return { type: "tool", name: c.name }
  dropped.add("tool_choice")
  return undefined
}

/** `text.format` as the neutral `responseFormat` (the same field chat's `response_format` fills). */
const responseFormatOf = (f: ResponsesTextFormat | undefined): ResponseFormat | undefined => {
  if (f === undefined || f === null || f.type === "text") return undefined
  if (f.type === "json_object") return { type: "json_object" }
  return {
    type: "json_schema",
    name: f.name,
    description: f.description,
    schema: f.schema,
    strict: f.strict === true
  }
}

const num = (v: number | null | undefined): number | undefined => (v === null ? undefined : v)

const EFFORTS = new Set(["none", "minimal", "low", "medium", "high", "xhigh"])

/** Reads a Responses request; fields with no neutral equivalent go to `dropped`. */
export const fromResponses = (b: ResponsesRequest, dropped: Dropped): CanonicalRequest => {
  for (const key in b) {
    const v = b[key]
    if (KNOWN.has(key) || v === null || v === undefined || v === false) continue
    // Settings whose default the neutral form already means.
    if (key === "truncation" && v === "disabled") continue
    if (key === "service_tier" && (v === "auto" || v === "default")) continue
    if ((key === "include" || key === "tools") && Array.isArray(v) && v.length === 0) continue
    dropped.add(key)
  }
  const system: Array<TextPart> = []
  if (typeof b.instructions === "string" && b.instructions !== "") system.push(text(b.instructions))
  const turns = turnsOf(b.input, system, dropped)
  const tools: Array<ToolDef> = []
  for (const t of b.tools ?? []) {
    if (t.type !== "function") {
      dropped.add(t.type)
      continue
    }
    const f = t as ResponsesFunctionTool
    tools.push({
      name: f.name,
      description: f.description ?? undefined,
      parameters: f.parameters ?? undefined,
      strict: f.strict === true,
      cache: undefined
    })
  }
  if (typeof b.text?.verbosity === "string") dropped.add("text.verbosity")
  const effort = b.reasoning?.effort
  return {
    system,
    turns,
    tools,
    toolChoice: toolChoiceOf(b.tool_choice, dropped),
    parallelToolCalls: b.parallel_tool_calls ?? undefined,
    maxTokens: num(b.max_output_tokens),
    temperature: num(b.temperature),
    topP: num(b.top_p),
    topK: undefined,
    stop: undefined,
    seed: undefined,
    n: undefined,
    presencePenalty: undefined,
    frequencyPenalty: undefined,
    responseFormat: responseFormatOf(b.text?.format),
    reasoning:
      typeof effort === "string" && EFFORTS.has(effort)
        ? { effort: effort as NonNullable<CanonicalRequest["reasoning"]>["effort"], budgetTokens: undefined }
        : undefined,
    user: b.safety_identifier ?? b.user,
    stream: b.stream === true
  }
}
