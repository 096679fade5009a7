/**
 * Writes the neutral form as a Gemini `generateContent` request (the same body serves
 * `streamGenerateContent?alt=sse`: streaming is chosen by the URL, not the body).
 */

import {
  budgetForEffort,
  type CanonicalRequest,
  type Dropped,
  mediaTypeFromUrl,
  type Part,
  REASONING_FIELD,
  wantsReasoning
} from "../../translate/Canonical.ts"
import type { ClientFormat } from "../../translate/Formats.ts"
import { splitSignature } from "../../translate/ToolCallId.ts"
import type { ModelCapabilities } from "../Capabilities.ts"
import type { GeminiContent, GeminiGenerationConfig, GeminiPart, GeminiRequest } from "./wire.ts"

/** Options of the Gemini writer. */
export interface ToGeminiOptions {
  readonly origin: ClientFormat
  /** What the model takes: `thinkingConfig` only goes to models that think (2.5 and later). */
  readonly capabilities: ModelCapabilities
}

const argsOf = (json: string, dropped: Dropped): Record<string, unknown> => {
  if (json.trim() === "") return {}
  try {
    const v: unknown = JSON.parse(json)
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return v as Record<string, unknown>
  } catch {
    // falls through: the arguments were not a JSON object
  }
  dropped.add("tool_calls.function.arguments")
  return {}
}

const part = (p: Part, names: Map<string, string>, dropped: Dropped): GeminiPart | undefined => {
  if ("cache" in p && p.cache !== undefined) dropped.add("cache_control")
  switch (p.kind) {
    case "text":
      return p.text === "" ? undefined : { text: p.text }
    case "image":
      return p.source.type === "base64"
        ? { inlineData: { mimeType: p.source.mediaType, data: p.source.data } }
        : { fileData: { mimeType: mediaTypeFromUrl(p.source.url), fileUri: p.source.url } }
    case "document":
      return { inlineData: { mimeType: p.mediaType, data: p.data } }
    case "toolCall": {
      const { signature } = splitSignature(p.id)
      names.set(p.id, p.name)
      const out: GeminiPart = { functionCall: { name: p.name, args: argsOf(p.argumentsJson, dropped) } }
      if (signature !== undefined) out.thoughtSignature = signature
      return out
    }
    case "toolResult": {
      let text = ""
      for (const c of p.content) {
        if (c.kind === "text") text += c.text
        else dropped.add("tool_result.image")
      }
      // Gemini reads `output` as the function's result and `error` as its failure.
      return {
        functionResponse: {
          name: names.get(p.toolCallId) ?? splitSignature(p.toolCallId).id,
          response: p.isError ? { error: text } : { output: text }
        }
      }
    }
    case "thinking":
      dropped.add(p.field)
      return undefined
  }
}

/** Writes a Gemini request (the model is in the URL, so it is not part of the body). */
export const toGemini = (c: CanonicalRequest, opts: ToGeminiOptions, dropped: Dropped): GeminiRequest => {
  const names = new Map<string, string>()
  const contents: Array<GeminiContent> = []
  for (const turn of c.turns) {
    const parts: Array<GeminiPart> = []
    for (const p of turn.parts) {
      const g = part(p, names, dropped)
      if (g !== undefined) parts.push(g)
    }
    if (parts.length === 0) continue
    const role = turn.role === "assistant" ? "model" : "user"
    const last = contents[contents.length - 1]
    if (last !== undefined && last.role === role) last.parts.push(...parts)
    else contents.push({ role, parts })
  }
  const body: GeminiRequest = { contents }
  if (c.system.length > 0) {
    body.systemInstruction = {
      parts: c.system.map((s) => {
        if (s.cache !== undefined) dropped.add("cache_control")
        return { text: s.text }
      })
    }
  }
  if (c.tools.length > 0) {
    body.tools = [
      {
        functionDeclarations: c.tools.map((t) => {
          if (t.cache !== undefined) dropped.add("cache_control")
          if (t.strict) dropped.add("strict")
          const d: { name: string; description?: string; parametersJsonSchema?: Record<string, unknown> } = {
            name: t.name
          }
          if (t.description !== undefined) d.description = t.description
          if (t.parameters !== undefined) d.parametersJsonSchema = t.parameters
          return d
        })
      }
    ]
    if (c.parallelToolCalls === false) {
      dropped.add(
        opts.origin === "anthropic" ? "tool_choice.disable_parallel_tool_use" : "parallel_tool_calls"
      )
    }
  }
  const tc = c.toolChoice
  if (tc !== undefined) {
    body.toolConfig = {
      functionCallingConfig:
        tc.type === "tool"
          ? { mode: "ANY", allowedFunctionNames: [tc.name] }
          : { mode: tc.type === "any" ? "ANY" : tc.type === "none" ? "NONE" : "AUTO" }
    }
  }
  const g: GeminiGenerationConfig = {}
  if (c.temperature !== undefined) g.temperature = c.temperature
  if (c.topP !== undefined) g.topP = c.topP
  if (c.topK !== undefined) g.topK = c.topK
  if (c.maxTokens !== undefined) g.maxOutputTokens = c.maxTokens
  if (c.stop !== undefined) g.stopSequences = [...c.stop]
  if (c.seed !== undefined) g.seed = c.seed
  if (c.n !== undefined && c.n > 1) dropped.add("n")
  if (c.presencePenalty !== undefined) g.presencePenalty = c.presencePenalty
  if (c.frequencyPenalty !== undefined) g.frequencyPenalty = c.frequencyPenalty
  const rf = c.responseFormat
  if (rf !== undefined) {
    g.responseMimeType = "application/json"
    if (rf.type === "json_schema" && rf.schema !== undefined) g.responseJsonSchema = rf.schema
  }
  const r = c.reasoning
  if (r !== undefined && opts.capabilities.reasoning === "none") {
    if (wantsReasoning(r)) dropped.add(r.field ?? REASONING_FIELD[opts.origin])
  } else if (r !== undefined) {
    const budget = r.budgetTokens ?? (r.effort === undefined ? undefined : budgetForEffort(r.effort))
    if (budget !== undefined)
      g.thinkingConfig =
        budget === 0 ? { thinkingBudget: 0 } : { thinkingBudget: budget, includeThoughts: true }
  }
  if (Object.keys(g).length > 0) body.generationConfig = g
  if (c.user !== undefined) dropped.add(opts.origin === "anthropic" ? "metadata.user_id" : "user")
  return body
}
