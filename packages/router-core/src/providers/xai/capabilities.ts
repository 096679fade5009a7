/**
 * xAI's model families: structured output everywhere; `reasoning_effort` only on the grok-3-mini
 * line (grok-4 reasons on its own and refuses the field).
 */
import type { ModelCapabilities } from "../Capabilities.ts"

const withEffort: ModelCapabilities = {
  structuredOutput: "native",
  structuredOutputWithTools: true,
  reasoning: "supported"
}
const withoutEffort: ModelCapabilities = { ...withEffort, reasoning: "none" }

/** The capabilities of an xAI model. */
export const xaiCapabilities = (model: string): ModelCapabilities =>
  model.startsWith("grok-3-mini") ? withEffort : withoutEffort
