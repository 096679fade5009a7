/**
 * Rough prompt size of a client request, for billing a stream whose upstream never reported
 * usage (it broke, or the client left, before the usage event).
 */
import { responsesPromptChars } from "../providers/responses/estimate.ts"
import type { ClientRequest } from "./ClientRequest.ts"
import { estimateTokens } from "./Usage.ts"

/** Characters of text in a content value of either format (strings, text parts, tool payloads). */
const chars = (v: unknown): number => {
  if (typeof v === "string") return v.length
  if (Array.isArray(v)) {
    let n = 0
    for (const x of v) n += chars(x)
    return n
  }
  if (typeof v !== "object" || v === null) return 0
  const o = v as Record<string, unknown>
  let n = 0
  if (typeof o.text === "string") n += o.text.length
  if (o.content !== undefined) n += chars(o.content)
  if (typeof o.thinking === "string") n += o.thinking.length
  if (o.input !== undefined) n += JSON.stringify(o.input).length
  const fn = o.function as { arguments?: unknown } | undefined
  if (typeof fn?.arguments === "string") n += fn.arguments.length
  if (Array.isArray(o.tool_calls)) n += chars(o.tool_calls)
  return n
}

/** Estimated prompt tokens of a request: its messages, system prompt and tool definitions. */
export const estimateInputTokens = (req: ClientRequest): number => {
  const b = req.body as Record<string, unknown>
  if (req.format === "responses") return estimateTokens(responsesPromptChars(b))
  let n = chars(b.messages) + chars(b.system)
  if (Array.isArray(b.tools)) n += JSON.stringify(b.tools).length
  return estimateTokens(n)
}
