/**
 * Anthropic's model families. Native structured output (`output_config.format`) came with Claude
 * Opus 4.1 and the 4.5 generation; earlier models get a forced tool call instead. Extended
 * thinking came with Claude 3.7 Sonnet; the 5.5 generation takes adaptive thinking only. A model
 * name not matched here is taken to be a newer one, with everything.
 */
import type { ModelCapabilities } from "../Capabilities.ts"

const current: ModelCapabilities = {
  structuredOutput: "native",
  structuredOutputWithTools: true,
  reasoning: "supported"
}
const adaptiveOnly: ModelCapabilities = { ...current, reasoning: "adaptive" }
/** Claude 3.7 Sonnet, Sonnet 4 and Opus 4: thinking, but no native structured output. */
const thinkingNoSchema: ModelCapabilities = { ...current, structuredOutput: "tool" }
/** Claude 3.5 and older: neither. */
const legacy: ModelCapabilities = { ...thinkingNoSchema, reasoning: "none" }

/** The capabilities of a Claude model, by family. */
export const anthropicCapabilities = (model: string): ModelCapabilities => {
  if (/claude-(?:instant|v?2(?=$|[-.:])|3-(?:5-|haiku|opus|sonnet))/.test(model)) return legacy
  if (/claude-(?:sonnet|opus|haiku)-5-5|claude-fable-5/.test(model)) return adaptiveOnly
  if (/claude-3-7-sonnet|claude-(?:sonnet|opus)-4(?:$|-\d{8}|@|-0(?:$|-))/.test(model))
    return thinkingNoSchema
  return current
}
