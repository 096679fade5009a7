/**
 * Non-streamed response translation: an upstream JSON answer → the client's format, with its
 * token usage.
 */
import { MalformedUpstream, type TokenUsage } from "@switchyard/domain"
import { Either } from "effect"
import type { AnthropicBlock, AnthropicResponse } from "../providers/anthropic/wire.ts"
import type { GeminiResponse } from "../providers/google/wire.ts"
import type { OpenAIChatResponse, OpenAIToolCall } from "../providers/openai/wire.ts"
import {
  type FinishReason,
  fromAnthropicStop,
  fromGeminiFinish,
  fromOpenAIFinish,
  toAnthropicStop
} from "./FinishReason.ts"
import type { ClientFormat, UpstreamFormat } from "./Formats.ts"
import { newToolCallId, withSignature } from "./ToolCallId.ts"
import {
  estimateTokens,
  fromAnthropicUsage,
  fromGeminiUsage,
  fromOpenAIUsage,
  toAnthropicUsage,
  toOpenAIUsage
} from "./Usage.ts"

/** Context of a response translation. */
export interface ResponseContext {
  /** The model name the client asked for: what the client sees as `model`. */
  readonly requestedModel: string
  /** The response id to show the client; by default derived from the upstream's. */
  readonly id?: string
  /** Prompt tokens to bill when the upstream reports no usage (see `estimateInputTokens`). */
  readonly estimatedInputTokens?: InputEstimate
}

/** A prompt size estimate: a number, or computed only when needed. */
export type InputEstimate = number | (() => number)

/**
 * The usage to bill: as reported, or, when the upstream reported none (the answer's output was
 * estimated from its text), with the request's estimated prompt size rather than zero.
 */
const withInputEstimate = (usage: TokenUsage, estimate: InputEstimate | undefined): TokenUsage =>
  usage.estimated && estimate !== undefined
    ? { ...usage, inputTokens: typeof estimate === "function" ? estimate() : estimate }
    : usage

/** What the assistant produced, in order. */
type Content =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "thinking"; readonly text: string; readonly signature: string | undefined }
  | { readonly kind: "redactedThinking"; readonly data: string }
  | { readonly kind: "toolCall"; readonly id: string; readonly name: string; readonly argumentsJson: string }

/** An upstream answer in neutral form. */
interface CanonicalResponse {
  readonly id: string | undefined
  readonly content: ReadonlyArray<Content>
  readonly finish: FinishReason
  readonly stopSequence: string | null
  readonly usage: TokenUsage
}

type Json = Record<string, unknown>
const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

const malformed = (from: UpstreamFormat, what: string) =>
  new MalformedUpstream({ message: `The ${from} upstream returned a malformed response: ${what}` })

/** Usage for an answer whose upstream reported none (some OpenAI-compatible servers). */
const estimatedUsage = (content: ReadonlyArray<Content>): TokenUsage => {
  let chars = 0
  for (const c of content)
    chars +=
      c.kind === "toolCall"
        ? c.name.length + c.argumentsJson.length
        : c.kind === "redactedThinking"
          ? 0
          : c.text.length
  return {
    inputTokens: 0,
    outputTokens: estimateTokens(chars),
    cachedInputTokens: 0,
    cacheCreationTokens: 0,
    reasoningTokens: 0,
    estimated: true
  }
}

const readOpenAI = (u: unknown): Either.Either<CanonicalResponse, MalformedUpstream> => {
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

const readAnthropic = (u: unknown): Either.Either<CanonicalResponse, MalformedUpstream> => {
  if (!isObject(u) || !Array.isArray(u.content))
    return Either.left(malformed("anthropic", "no 'content' array"))
  const r = u as unknown as AnthropicResponse
  const content: Array<Content> = []
  for (const b of r.content as Array<AnthropicBlock>) {
    if (b.type === "text") content.push({ kind: "text", text: b.text })
    else if (b.type === "thinking")
      content.push({ kind: "thinking", text: b.thinking, signature: b.signature })
    else if (b.type === "redacted_thinking") content.push({ kind: "redactedThinking", data: b.data })
    else if (b.type === "tool_use")
      content.push({ kind: "toolCall", id: b.id, name: b.name, argumentsJson: JSON.stringify(b.input ?? {}) })
  }
  return Either.right({
    id: typeof r.id === "string" ? r.id : undefined,
    content,
    finish: fromAnthropicStop(r.stop_reason),
    stopSequence: typeof r.stop_sequence === "string" ? r.stop_sequence : null,
    usage: isObject(r.usage) ? fromAnthropicUsage(r.usage) : estimatedUsage(content)
  })
}

const readGemini = (u: unknown, to: ClientFormat): Either.Either<CanonicalResponse, MalformedUpstream> => {
  if (!isObject(u)) return Either.left(malformed("gemini", "not a JSON object"))
  const r = u as GeminiResponse
  const candidate = r.candidates?.[0]
  if (candidate === undefined && r.promptFeedback?.blockReason === undefined) {
    return Either.left(malformed("gemini", "no 'candidates'"))
  }
  const content: Array<Content> = []
  let calledTools = false
  for (const p of candidate?.content?.parts ?? []) {
    if (p.functionCall !== undefined) {
      calledTools = true
      const id = p.functionCall.id ?? newToolCallId(to === "openai" ? "call_" : "toolu_")
      content.push({
        kind: "toolCall",
        id: p.thoughtSignature === undefined ? id : withSignature(id, p.thoughtSignature),
        name: p.functionCall.name,
        argumentsJson: JSON.stringify(p.functionCall.args ?? {})
      })
    } else if (typeof p.text === "string") {
      content.push(
        p.thought === true
          ? { kind: "thinking", text: p.text, signature: undefined }
          : { kind: "text", text: p.text }
      )
    }
  }
  return Either.right({
    id: r.responseId,
    content,
    finish:
      candidate === undefined
        ? "content_filter"
        : fromGeminiFinish(candidate.finishReason ?? "STOP", calledTools),
    stopSequence: null,
    usage: r.usageMetadata === undefined ? estimatedUsage(content) : fromGeminiUsage(r.usageMetadata)
  })
}

const writeOpenAI = (c: CanonicalResponse, ctx: ResponseContext): OpenAIChatResponse => {
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

const writeAnthropic = (c: CanonicalResponse, ctx: ResponseContext): AnthropicResponse => {
  const content: Array<AnthropicBlock> = []
  for (const x of c.content) {
    if (x.kind === "text") content.push({ type: "text", text: x.text })
    else if (x.kind === "thinking")
      content.push({ type: "thinking", thinking: x.text, signature: x.signature ?? "" })
    else if (x.kind === "redactedThinking") content.push({ type: "redacted_thinking", data: x.data })
    else {
      let input: unknown = {}
      try {
        input = x.argumentsJson === "" ? {} : JSON.parse(x.argumentsJson)
      } catch {
        // a model that wrote invalid JSON arguments: the client gets an empty input
      }
      content.push({ type: "tool_use", id: x.id, name: x.name, input })
    }
  }
  return {
    id: ctx.id ?? (c.id?.startsWith("msg_") ? c.id : `msg_${c.id ?? newToolCallId("toolu_").slice(6)}`),
    type: "message",
    role: "assistant",
    model: ctx.requestedModel,
    content,
    stop_reason: toAnthropicStop(c.finish, c.stopSequence),
    stop_sequence: c.stopSequence,
    usage: toAnthropicUsage(c.usage)
  }
}

/** Token usage of an upstream JSON answer, without translating it (same-format passthrough). */
export const responseUsage = (
  upstreamJson: unknown,
  from: UpstreamFormat,
  estimatedInputTokens?: InputEstimate
): Either.Either<TokenUsage, MalformedUpstream> =>
  Either.map(
    from === "openai"
      ? readOpenAI(upstreamJson)
      : from === "anthropic"
        ? readAnthropic(upstreamJson)
        : readGemini(upstreamJson, "openai"),
    (c) => withInputEstimate(c.usage, estimatedInputTokens)
  )

/**
 * Translates a non-streamed upstream answer for the client. Same format: the body is returned as
 * the upstream sent it (only its usage is read).
 */
export const translateResponse = (
  upstreamJson: unknown,
  from: UpstreamFormat,
  to: ClientFormat,
  ctx: ResponseContext
): Either.Either<{ body: unknown; usage: TokenUsage }, MalformedUpstream> => {
  const read =
    from === "openai"
      ? readOpenAI(upstreamJson)
      : from === "anthropic"
        ? readAnthropic(upstreamJson)
        : readGemini(upstreamJson, to)
  return Either.map(read, (c) => ({
    body: from === to ? upstreamJson : to === "openai" ? writeOpenAI(c, ctx) : writeAnthropic(c, ctx),
    usage: withInputEstimate(c.usage, ctx.estimatedInputTokens)
  }))
}
