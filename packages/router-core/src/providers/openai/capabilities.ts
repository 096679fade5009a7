/**
 * OpenAI's model families: every current chat model has native structured output; only the
 * reasoning families (o-series, GPT-5 and later, except the non-reasoning `gpt-5-chat` line) take
 * `reasoning_effort`, which the others refuse with a 400.
 */
import type { ModelCapabilities } from "../Capabilities.ts"

const reasoningModel: ModelCapabilities = {
  structuredOutput: "native",
  structuredOutputWithTools: true,
  reasoning: "supported"
}
const chatModel: ModelCapabilities = { ...reasoningModel, reasoning: "none" }

/** `gpt-5`, `gpt-5.1-mini`, `gpt-6-2026-01-01`: major, minor, variant. */
const GPT = /^gpt-(\d+)(?:\.(\d+))?(?:-(.*))?$/

/** Whether an OpenAI model takes `reasoning_effort`. */
export const isReasoningModel = (model: string): boolean => {
  if (/^o\d/.test(model)) return true
  const gpt = GPT.exec(model)
  if (gpt === null) return model.startsWith("codex-")
  const major = Number(gpt[1])
  // `gpt-5-chat-latest` is the chat line of GPT-5, without reasoning; `gpt-5.1-chat` reasons.
  const chatLine = gpt[2] === undefined && (gpt[3]?.startsWith("chat") ?? false)
  return major >= 5 && !chatLine
}

/** The capabilities of an OpenAI model. */
export const openaiCapabilities = (model: string): ModelCapabilities =>
  isReasoningModel(model) ? reasoningModel : chatModel
