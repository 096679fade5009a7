/**
 * Rough size of a Responses request's prompt, in characters, for `estimateInputTokens`.
 */

/** Characters of text in an input value: strings, parts' text, call arguments and outputs. */
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
  for (const key of ["text", "refusal", "arguments", "name"] as const) {
    const s = o[key]
    if (typeof s === "string") n += s.length
  }
  if (o.content !== undefined) n += chars(o.content)
  if (o.output !== undefined) n += chars(o.output)
  if (o.summary !== undefined) n += chars(o.summary)
  return n
}

/** Characters of a Responses body's prompt: its input, instructions and tool definitions. */
export const responsesPromptChars = (body: Record<string, unknown>): number => {
  let n = chars(body.input) + chars(body.instructions)
  if (Array.isArray(body.tools)) n += JSON.stringify(body.tools).length
  return n
}
