/**
 * The provider-neutral form a request passes through when client and upstream speak different
 * formats: each client format is read into it once and each upstream format written from it,
 * so adding a format adds one reader or writer rather than one translator per pair.
 */
import type { ClientFormat } from "./Formats.ts"

/** Anthropic prompt-cache breakpoint, kept on whatever it was attached to. */
export interface CacheMark {
  readonly type: "ephemeral"
  readonly ttl?: string
}

/** Image bytes inline or an image URL. */
export type ImageSource =
  | { readonly type: "base64"; readonly mediaType: string; readonly data: string }
  | { readonly type: "url"; readonly url: string }

/** Text of a message, a system prompt or a tool result. */
export interface TextPart {
  readonly kind: "text"
  readonly text: string
  readonly cache: CacheMark | undefined
}

/** An image input. */
export interface ImagePart {
  readonly kind: "image"
  readonly source: ImageSource
  readonly cache: CacheMark | undefined
}

/** A base64 document (PDF) input. */
export interface DocumentPart {
  readonly kind: "document"
  readonly mediaType: string
  readonly data: string
  readonly filename: string | undefined
  readonly cache: CacheMark | undefined
}

/** A tool call the assistant made; arguments kept as the JSON text and parsed when needed. */
export interface ToolCallPart {
  readonly kind: "toolCall"
  readonly id: string
  readonly name: string
  /** JSON object text (OpenAI's `arguments`). */
  readonly argumentsJson: string
  readonly cache: CacheMark | undefined
}

/** The result of a tool call, sent back by the client. */
export interface ToolResultPart {
  readonly kind: "toolResult"
  readonly toolCallId: string
  readonly content: ReadonlyArray<TextPart | ImagePart>
  readonly isError: boolean
  readonly cache: CacheMark | undefined
}

/** Reasoning the assistant did in an earlier turn (Anthropic thinking blocks). */
export interface ThinkingPart {
  readonly kind: "thinking"
  readonly text: string
  readonly signature: string | undefined
  /** Set for Anthropic `redacted_thinking` blocks, whose text is encrypted. */
  readonly redactedData: string | undefined
  /** The client's name for it, reported when a target cannot take it back. */
  readonly field: "thinking" | "reasoning_content" | "reasoning"
}

/** Any part of a conversation turn. */
export type Part = TextPart | ImagePart | DocumentPart | ToolCallPart | ToolResultPart | ThinkingPart

/** One turn; tool results travel in user turns, as in Anthropic's and Gemini's formats. */
export interface Turn {
  readonly role: "user" | "assistant"
  readonly parts: ReadonlyArray<Part>
}

/** A tool the model may call. */
export interface ToolDef {
  readonly name: string
  readonly description: string | undefined
  readonly parameters: Record<string, unknown> | undefined
  readonly strict: boolean
  readonly cache: CacheMark | undefined
}

/** Which tool the model must, may or must not call. */
export type ToolChoice =
  | { readonly type: "auto" }
  | { readonly type: "any" }
  | { readonly type: "none" }
  | { readonly type: "tool"; readonly name: string }

/** JSON-mode / structured output request. */
export type ResponseFormat =
  | { readonly type: "json_object" }
  | {
      readonly type: "json_schema"
      readonly name: string
      readonly description: string | undefined
      readonly schema: Record<string, unknown> | undefined
      readonly strict: boolean
    }

/** How much the model should reason before answering. */
export interface Reasoning {
  /** OpenAI-style effort, when the client gave one. */
  readonly effort: "none" | "minimal" | "low" | "medium" | "high" | "xhigh" | undefined
  /** Anthropic-style token budget, when the client gave one. */
  readonly budgetTokens: number | undefined
  /** The client's field it came from (`output_config.effort`), reported if it must be dropped. */
  readonly field?: string
}

/** The client's usual name for its reasoning field, when `Reasoning.field` does not say. */
export const REASONING_FIELD: Readonly<Record<ClientFormat, string>> = {
  openai: "reasoning_effort",
  anthropic: "thinking",
  responses: "reasoning"
}

/**
 * Whether a reasoning request asks for any reasoning at all (effort `none` and a zero budget ask
 * for none: a model without reasoning loses nothing by not being sent them).
 */
export const wantsReasoning = (r: Reasoning): boolean =>
  r.budgetTokens !== undefined ? r.budgetTokens > 0 : r.effort !== undefined && r.effort !== "none"

/** A chat request in neutral form. */
export interface CanonicalRequest {
  readonly system: ReadonlyArray<TextPart>
  readonly turns: ReadonlyArray<Turn>
  readonly tools: ReadonlyArray<ToolDef>
  readonly toolChoice: ToolChoice | undefined
  /** `false` when the client forbade parallel tool calls; undefined when it did not say. */
  readonly parallelToolCalls: boolean | undefined
  readonly maxTokens: number | undefined
  readonly temperature: number | undefined
  readonly topP: number | undefined
  readonly topK: number | undefined
  readonly stop: ReadonlyArray<string> | undefined
  readonly seed: number | undefined
  readonly n: number | undefined
  readonly presencePenalty: number | undefined
  readonly frequencyPenalty: number | undefined
  readonly responseFormat: ResponseFormat | undefined
  readonly reasoning: Reasoning | undefined
  /** End-user id (OpenAI `user`, Anthropic `metadata.user_id`). */
  readonly user: string | undefined
  readonly stream: boolean
}

/** Most dropped fields listed; a body with more unknown fields gets `...` as the last entry. */
export const MAX_DROPPED_FIELDS = 32

/** A field name fit for a response header, a metric label and the ledger. */
const FIELD_NAME = /^[A-Za-z0-9._-]{1,64}$/

/**
 * Collects, once each and in order, the request fields the target cannot carry. Names of unknown
 * fields are the client's own keys: they go to `x-switchyard-dropped`, metrics and the ledger, so
 * a name outside a safe set is listed as `(unnamed)`, and the list is bounded.
 */
export class Dropped {
  readonly fields: Array<string> = []
  add(field: string): void {
    const name = FIELD_NAME.test(field) ? field : "(unnamed)"
    if (this.fields.includes(name)) return
    if (this.fields.length < MAX_DROPPED_FIELDS) this.fields.push(name)
    else if (this.fields.length === MAX_DROPPED_FIELDS) this.fields.push("...")
  }
}

/** `data:image/png;base64,AAAA` → its media type and base64 data; undefined for other URLs. */
export const parseDataUrl = (url: string): { mediaType: string; data: string } | undefined => {
  if (!url.startsWith("data:")) return undefined
  const comma = url.indexOf(",")
  if (comma < 0) return undefined
  const meta = url.slice(5, comma)
  if (!meta.endsWith(";base64")) return undefined
  return { mediaType: meta.slice(0, -7) || "application/octet-stream", data: url.slice(comma + 1) }
}

/** Guesses an image's media type from its URL's extension (Gemini `fileData` wants one). */
export const mediaTypeFromUrl = (url: string): string => {
  const path = url.split(/[?#]/, 1)[0]!.toLowerCase()
  if (path.endsWith(".png")) return "image/png"
  if (path.endsWith(".webp")) return "image/webp"
  if (path.endsWith(".gif")) return "image/gif"
  if (path.endsWith(".heic")) return "image/heic"
  if (path.endsWith(".pdf")) return "application/pdf"
  return "image/jpeg"
}

/** Token budget Anthropic / Gemini are given for an OpenAI reasoning effort. */
export const budgetForEffort = (effort: NonNullable<Reasoning["effort"]>): number =>
  effort === "none"
    ? 0
    : effort === "minimal" || effort === "low"
      ? 1024
      : effort === "medium"
        ? 4096
        : effort === "high"
          ? 16384
          : 32768

/** OpenAI reasoning effort for an Anthropic / Gemini thinking budget. */
export const effortForBudget = (budget: number): "low" | "medium" | "high" =>
  budget <= 2048 ? "low" : budget <= 8192 ? "medium" : "high"
