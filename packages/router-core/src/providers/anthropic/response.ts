/**
 * Anthropic messages answers: read into the neutral form, and written from it for Anthropic
 * clients.
 */
import type { MalformedUpstream } from "@switchyard/domain"
import { Either } from "effect"
import {
  type CanonicalResponse,
  type Content,
  estimatedUsage,
  isObject,
  malformed,
  type ResponseContext
} from "../../translate/CanonicalResponse.ts"
import { fromAnthropicStop, toAnthropicStop } from "../../translate/FinishReason.ts"
import { newToolCallId } from "../../translate/ToolCallId.ts"
import { fromAnthropicUsage, toAnthropicUsage } from "../../translate/Usage.ts"
import type { AnthropicBlock, AnthropicResponse } from "./wire.ts"

/** Reads an Anthropic message. */
export const readAnthropic = (u: unknown): Either.Either<CanonicalResponse, MalformedUpstream> => {
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

/** Writes a message for an Anthropic client. */
export const writeAnthropic = (c: CanonicalResponse, ctx: ResponseContext): AnthropicResponse => {
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
