/**
 * A non-streamed upstream answer in neutral form, between a provider's reader and the client
 * format's writer (each in its provider's folder, `providers/<name>/response.ts`).
 */
import { MalformedUpstream, type TokenUsage } from "@switchyard/domain"
import type { FinishReason } from "./FinishReason.ts"
import type { UpstreamFormat } from "./Formats.ts"
import { estimateTokens } from "./Usage.ts"

/** Context of a response translation. */
export interface ResponseContext {
  /** The model name the client asked for: what the client sees as `model`. */
  readonly requestedModel: string
  /** The response id to show the client; by default derived from the upstream's. */
  readonly id?: string
  /** Prompt tokens to bill when the upstream reports no usage (see `estimateInputTokens`). */
  readonly estimatedInputTokens?: InputEstimate
  /** The request as forwarded: Responses clients see its settings repeated in the answer. */
  readonly request?: unknown
  /** The forced tool of an emulated structured output (`TranslatedRequest.outputTool`). */
  readonly outputTool?: string | undefined
}

/** A prompt size estimate: a number, or computed only when needed. */
export type InputEstimate = number | (() => number)

/** What the assistant produced, in order. */
export type Content =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "thinking"; readonly text: string; readonly signature: string | undefined }
  | { readonly kind: "redactedThinking"; readonly data: string }
  | { readonly kind: "toolCall"; readonly id: string; readonly name: string; readonly argumentsJson: string }

/** An upstream answer in neutral form. */
export interface CanonicalResponse {
  readonly id: string | undefined
  readonly content: ReadonlyArray<Content>
  readonly finish: FinishReason
  readonly stopSequence: string | null
  readonly usage: TokenUsage
}

/** A JSON object. */
export type Json = Record<string, unknown>
/** Whether a value is a JSON object. */
export const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

/** The upstream's answer is not what its format says. */
export const malformed = (from: UpstreamFormat, what: string) =>
  new MalformedUpstream({ message: `The ${from} upstream returned a malformed response: ${what}` })

/** Usage for an answer whose upstream reported none (some OpenAI-compatible servers). */
export const estimatedUsage = (content: ReadonlyArray<Content>): TokenUsage => {
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
