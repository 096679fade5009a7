/**
 * Writes the neutral form as an Anthropic messages request.
 */

import {
  budgetForEffort,
  type CanonicalRequest,
  type Dropped,
  effortForBudget,
  type Part,
  REASONING_FIELD,
  type Reasoning,
  type TextPart,
  wantsReasoning
} from "../../translate/Canonical.ts"
import type { ClientFormat } from "../../translate/Formats.ts"
import { splitSignature } from "../../translate/ToolCallId.ts"
import type { ModelCapabilities } from "../Capabilities.ts"
import type {
  AnthropicBlock,
  AnthropicMessage,
  AnthropicRequest,
  AnthropicTextBlock,
  AnthropicTool
} from "./wire.ts"

/** Options of the Anthropic writer. */
export interface ToAnthropicOptions {
  readonly origin: ClientFormat
  /** `max_tokens` when the client set no limit (Anthropic requires one). */
  readonly defaultMaxTokens: number
  /** What the model takes: thinking by budget, adaptive thinking only, or none. */
  readonly capabilities: ModelCapabilities
}

/** The neutral reasoning as one of Anthropic's effort levels (for adaptive thinking). */
const anthropicEffort = (r: Reasoning): "low" | "medium" | "high" | "xhigh" => {
  const e = r.effort
  if (e === undefined || e === "none") return effortForBudget(r.budgetTokens ?? 0)
  return e === "minimal" ? "low" : e
}

/** Anthropic's smallest accepted thinking budget. */
const MIN_THINKING_BUDGET = 1024

const textBlock = (p: TextPart): AnthropicTextBlock =>
  p.cache === undefined
    ? { type: "text", text: p.text }
    : { type: "text", text: p.text, cache_control: p.cache }

/** Tool arguments as the object Anthropic wants; an empty string (no arguments) is `{}`. */
const inputOf = (json: string, dropped: Dropped): unknown => {
  if (json.trim() === "") return {}
  try {
    const v: unknown = JSON.parse(json)
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return v
  } catch {
    // falls through: the arguments were not a JSON object
  }
  dropped.add("tool_calls.function.arguments")
  return {}
}

const block = (p: Part, dropped: Dropped): AnthropicBlock | undefined => {
  switch (p.kind) {
    case "text":
      return p.text === "" ? undefined : textBlock(p)
    case "image": {
      const source =
        p.source.type === "url"
          ? { type: "url" as const, url: p.source.url }
          : { type: "base64" as const, media_type: p.source.mediaType, data: p.source.data }
      return p.cache === undefined
        ? { type: "image", source }
        : { type: "image", source, cache_control: p.cache }
    }
    case "document": {
      const b: AnthropicBlock = {
        type: "document",
        source: { type: "base64", media_type: p.mediaType, data: p.data }
      }
      if (p.filename !== undefined) b.title = p.filename
      if (p.cache !== undefined) b.cache_control = p.cache
      return b
    }
    case "toolCall": {
      const b: AnthropicBlock = {
        type: "tool_use",
        id: splitSignature(p.id).id,
        name: p.name,
        input: inputOf(p.argumentsJson, dropped)
      }
      if (p.cache !== undefined) b.cache_control = p.cache
      return b
    }
    case "toolResult": {
      const b: AnthropicBlock = { type: "tool_result", tool_use_id: splitSignature(p.toolCallId).id }
      if (p.content.length === 1 && p.content[0]!.kind === "text" && p.content[0]!.cache === undefined) {
        b.content = p.content[0]!.text
      } else if (p.content.length > 0) {
        const inner: Array<AnthropicBlock> = []
        for (const c of p.content) {
          const x = block(c, dropped)
          if (x !== undefined) inner.push(x)
        }
        b.content = inner
      }
      if (p.isError) b.is_error = true
      if (p.cache !== undefined) b.cache_control = p.cache
      return b
    }
    case "thinking":
      if (p.redactedData !== undefined) return { type: "redacted_thinking", data: p.redactedData }
      // Anthropic refuses thinking it did not sign: reasoning from another model cannot go back.
      if (p.signature === undefined) {
        dropped.add(p.field)
        return undefined
      }
      return { type: "thinking", thinking: p.text, signature: p.signature }
  }
}

/** Writes an Anthropic request for `model`. */
export const toAnthropic = (
  c: CanonicalRequest,
  model: string,
  opts: ToAnthropicOptions,
  dropped: Dropped
): AnthropicRequest => {
  const messages: Array<AnthropicMessage> = []
  for (const turn of c.turns) {
    const blocks: Array<AnthropicBlock> = []
    // Tool results must open the user turn that answers the tool calls.
    if (turn.role === "user") {
      for (const p of turn.parts) if (p.kind === "toolResult") blocks.push(block(p, dropped)!)
    }
    for (const p of turn.parts) {
      if (turn.role === "user" && p.kind === "toolResult") continue
      const b = block(p, dropped)
      if (b !== undefined) blocks.push(b)
    }
    if (blocks.length === 0) continue
    const last = messages[messages.length - 1]
    // Consecutive turns of one role (OpenAI's run of `tool` messages) become one Anthropic turn.
    if (last !== undefined && last.role === turn.role) (last.content as Array<AnthropicBlock>).push(...blocks)
    else messages.push({ role: turn.role, content: blocks })
  }

  let maxTokens = c.maxTokens ?? opts.defaultMaxTokens
  const body: AnthropicRequest = { model, max_tokens: maxTokens, messages }
  if (c.system.length > 0) {
    body.system =
      c.system.length === 1 && c.system[0]!.cache === undefined ? c.system[0]!.text : c.system.map(textBlock)
  }
  if (c.stream) body.stream = true
  if (c.temperature !== undefined) body.temperature = c.temperature
  if (c.topP !== undefined) body.top_p = c.topP
  if (c.topK !== undefined) body.top_k = c.topK
  if (c.stop !== undefined) body.stop_sequences = [...c.stop]
  if (c.seed !== undefined) dropped.add("seed")
  if (c.n !== undefined && c.n > 1) dropped.add("n")
  if (c.presencePenalty !== undefined) dropped.add("presence_penalty")
  if (c.frequencyPenalty !== undefined) dropped.add("frequency_penalty")
  const rf = c.responseFormat
  // Only the native form reaches here (a schema): every other is emulated with a tool beforehand.
  if (rf !== undefined) {
    if (rf.type === "json_schema" && rf.schema !== undefined)
      body.output_config = { format: { type: "json_schema", schema: rf.schema } }
    else dropped.add(opts.origin === "anthropic" ? "output_config.format" : "response_format")
  }
  if (c.tools.length > 0) {
    body.tools = c.tools.map((t) => {
      const tool: AnthropicTool = {
        name: t.name,
        input_schema: t.parameters ?? { type: "object", properties: {} }
      }
      if (t.description !== undefined) tool.description = t.description
      if (t.cache !== undefined) tool.cache_control = t.cache
      if (t.strict) dropped.add("strict")
      return tool
    })
  }
  const tc = c.toolChoice
  const noParallel = c.parallelToolCalls === false && c.tools.length > 0
  if (tc !== undefined || noParallel) {
    const choice: NonNullable<AnthropicRequest["tool_choice"]> =
      tc === undefined
        ? { type: "auto" }
        : tc.type === "tool"
          ? { type: "tool", name: tc.name }
          : { type: tc.type }
    if (noParallel && choice.type !== "none") choice.disable_parallel_tool_use = true
    body.tool_choice = choice
  }
  const r = c.reasoning
  const reasoning = opts.capabilities.reasoning
  if (r !== undefined && reasoning === "none") {
    // Claude 3.5 and older refuse `thinking`: dropped and reported.
    if (wantsReasoning(r)) dropped.add(r.field ?? REASONING_FIELD[opts.origin])
  } else if (r !== undefined && reasoning === "adaptive") {
    if (wantsReasoning(r)) {
      body.thinking = { type: "adaptive" }
      body.output_config = { ...body.output_config, effort: anthropicEffort(r) }
    }
  } else if (r !== undefined) {
    const budget = r.budgetTokens ?? (r.effort === undefined ? 0 : budgetForEffort(r.effort))
    if (budget > 0) {
      const budgetTokens = Math.max(budget, MIN_THINKING_BUDGET)
      // The budget counts inside max_tokens and must stay below it.
      if (maxTokens <= budgetTokens) {
        maxTokens += budgetTokens
        body.max_tokens = maxTokens
      }
      body.thinking = { type: "enabled", budget_tokens: budgetTokens }
    }
  }
  if (c.user !== undefined) body.metadata = { user_id: c.user }
  return body
}
