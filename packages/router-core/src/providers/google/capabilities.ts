/**
 * Gemini's model families: `responseJsonSchema` on every current model, but before Gemini 3 not in
 * a request that also declares functions (the API refuses function calling with a JSON response
 * type), where a forced function call carries the schema instead. Thinking came with Gemini 2.5.
 */
import type { ModelCapabilities } from "../Capabilities.ts"

const current: ModelCapabilities = {
  structuredOutput: "native",
  structuredOutputWithTools: true,
  reasoning: "supported"
}
const gemini25: ModelCapabilities = { ...current, structuredOutputWithTools: false }
const older: ModelCapabilities = { ...gemini25, reasoning: "none" }

/** The capabilities of a Gemini model, by family. */
export const geminiCapabilities = (model: string): ModelCapabilities => {
  const name = model.startsWith("models/") ? model.slice(7) : model
  if (/^gemini-(?:1\.|2\.0)/.test(name)) return older
  if (name.startsWith("gemini-2.5")) return gemini25
  return current
}
