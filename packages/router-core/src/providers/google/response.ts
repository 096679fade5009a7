/**
 * Gemini `generateContent` answers, read into the neutral form (Gemini is never a client format).
 */
import type { MalformedUpstream } from "@switchyard/domain"
import { Either } from "effect"
import {
  type CanonicalResponse,
  type Content,
  estimatedUsage,
  isObject,
  malformed
} from "../../translate/CanonicalResponse.ts"
import { fromGeminiFinish } from "../../translate/FinishReason.ts"
import type { ClientFormat } from "../../translate/Formats.ts"
import { newToolCallId, withSignature } from "../../translate/ToolCallId.ts"
import { fromGeminiUsage } from "../../translate/Usage.ts"
import type { GeminiResponse } from "./wire.ts"

/** Reads a Gemini answer; tool call ids are made in the client's style (`to`). */
export const readGemini = (
  u: unknown,
  to: ClientFormat
): Either.Either<CanonicalResponse, MalformedUpstream> => {
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
      const id = p.functionCall.id ?? newToolCallId(to === "anthropic" ? "toolu_" : "call_")
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
