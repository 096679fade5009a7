/**
 * Structured output across providers. The canonical request's `responseFormat` is the one place a
 * JSON answer is asked for, whatever the client wrote (OpenAI `response_format`, Anthropic
 * `output_config.format` / `output_format`, Responses `text.format`). A writer carries it natively
 * when the target model can; otherwise `emulate` turns it into a forced call to an extra tool
 * whose input schema is the answer's, and the answer's readers hand that call's arguments to the
 * client as the answer's text (`unwrapOutputTool`, and `OutputToolSink` for streams), so the
 * client's own parser gets its JSON either way.
 */
import type { ModelCapabilities } from "../providers/Capabilities.ts"
import {
  type CanonicalRequest,
  type Dropped,
  REASONING_FIELD,
  type ResponseFormat,
  type ToolChoice,
  type ToolDef,
  wantsReasoning
} from "./Canonical.ts"
import type { CanonicalResponse, Content } from "./CanonicalResponse.ts"
import type { ClientFormat, UpstreamFormat } from "./Formats.ts"

/** The tool's name when the format gives none usable. */
const DEFAULT_TOOL = "json_response"
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/

/** Whether a target needs the forced-tool emulation for this request. */
export const needsEmulation = (
  rf: ResponseFormat,
  hasTools: boolean,
  to: UpstreamFormat,
  caps: ModelCapabilities
): boolean =>
  caps.structuredOutput === "tool" ||
  (hasTools && !caps.structuredOutputWithTools) ||
  // Anthropic's native form takes a schema only: a bare JSON object is asked for with a tool.
  (to === "anthropic" && (rf.type === "json_object" || rf.schema === undefined))

/** The output tool: named after the schema when its name is usable and free, described, typed. */
const outputTool = (rf: ResponseFormat, tools: ReadonlyArray<ToolDef>): ToolDef => {
  const taken = (name: string) => tools.some((t) => t.name === name)
  let name = rf.type === "json_schema" && TOOL_NAME.test(rf.name) && !taken(rf.name) ? rf.name : DEFAULT_TOOL
  while (taken(name)) name = `${name}_`
  const schema = rf.type === "json_schema" ? rf.schema : undefined
  return {
    name,
    description:
      (rf.type === "json_schema" ? rf.description : undefined) ??
      "Give your final answer by calling this tool: its input is the answer, in the required JSON format.",
    parameters: schema ?? { type: "object" },
    strict: false,
    cache: undefined
  }
}

/**
 * The forced-tool form of a structured output request: the output tool added, the tool choice
 * forcing it (or, beside the client's own tools, forcing some tool call), `responseFormat` gone.
 * Anthropic refuses extended thinking with a forced tool choice: there the reasoning is dropped
 * and reported.
 */
export const emulate = (
  c: CanonicalRequest,
  rf: ResponseFormat,
  to: UpstreamFormat,
  origin: ClientFormat,
  dropped: Dropped
): { readonly request: CanonicalRequest; readonly tool: string } => {
  const tool = outputTool(rf, c.tools)
  const own = c.tools.length > 0
  const choice: ToolChoice | undefined = c.toolChoice
  const toolChoice: ToolChoice =
    !own || choice?.type === "none"
      ? { type: "tool", name: tool.name }
      : choice === undefined || choice.type === "auto"
        ? { type: "any" }
        : choice
  let reasoning = c.reasoning
  if (to === "anthropic" && reasoning !== undefined) {
    if (wantsReasoning(reasoning)) dropped.add(reasoning.field ?? REASONING_FIELD[origin])
    reasoning = undefined
  }
  return {
    tool: tool.name,
    request: {
      ...c,
      // A client that forbade tools still gets its answer: only the output tool is offered then.
      tools: choice?.type === "none" ? [tool] : [...c.tools, tool],
      toolChoice,
      parallelToolCalls: to === "anthropic" && !own ? false : c.parallelToolCalls,
      responseFormat: undefined,
      reasoning
    }
  }
}

/**
 * Whether a schema satisfies OpenAI's strict mode (every object closed, every property required),
 * so a schema from a client whose structured output is always strict can ask OpenAI for strict
 * decoding without being refused.
 */
export const strictCompatible = (schema: unknown, depth = 0): boolean => {
  if (depth > 32) return false
  if (Array.isArray(schema)) return schema.every((s) => strictCompatible(s, depth + 1))
  if (typeof schema !== "object" || schema === null) return true
  const s = schema as Record<string, unknown>
  const props = s.properties
  if (s.type === "object" || (typeof props === "object" && props !== null)) {
    if (s.additionalProperties !== false) return false
    const keys = typeof props === "object" && props !== null ? Object.keys(props) : []
    const required = Array.isArray(s.required) ? s.required : []
    if (!keys.every((k) => required.includes(k))) return false
  }
  for (const key of ["properties", "$defs", "definitions"]) {
    const group = s[key]
    if (typeof group === "object" && group !== null) {
      for (const v of Object.values(group)) if (!strictCompatible(v, depth + 1)) return false
    }
  }
  for (const key of ["items", "anyOf", "oneOf", "allOf", "prefixItems"]) {
    if (s[key] !== undefined && !strictCompatible(s[key], depth + 1)) return false
  }
  return true
}

/**
 * A non-streamed answer with the output tool's call turned into the answer's text; a finish for
 * tool calls becomes a plain stop when no other tool was called.
 */
export const unwrapOutputTool = (c: CanonicalResponse, tool: string): CanonicalResponse => {
  let others = false
  const content: Array<Content> = []
  for (const x of c.content) {
    if (x.kind === "toolCall" && x.name === tool)
      content.push({ kind: "text", text: x.argumentsJson || "{}" })
    else {
      if (x.kind === "toolCall") others = true
      content.push(x)
    }
  }
  return { ...c, content, finish: c.finish === "tool_calls" && !others ? "stop" : c.finish }
}
