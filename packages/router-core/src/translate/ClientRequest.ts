/**
 * A client's request body, validated: the fields the router needs up front (model, stream, usage
 * wanted) and the typed body that translation reads.
 *
 * Validation is a hand-written walk over the already parsed JSON rather than a Schema decode: it
 * runs on every request of the hot path (a couple of microseconds), keeps the body as sent
 * (unknown fields included, so same-format requests pass through untouched) and names the exact
 * path of the first bad field (`messages[2].content`), which is what the 400 must say.
 */
import { InvalidRequestField, modelNameProblem } from "@switchyard/domain"
import { Either } from "effect"
import type { AnthropicRequest } from "../providers/anthropic/wire.ts"
import type { OpenAIChatRequest } from "../providers/openai/wire.ts"
import { validateResponses } from "../providers/responses/validate.ts"
import type { ResponsesRequest } from "../providers/responses/wire.ts"
import type { ClientFormat } from "./Formats.ts"

interface ClientRequestBase {
  /** The model the client asked for, as it wrote it. */
  readonly model: string
  readonly stream: boolean
  /** OpenAI `stream_options.include_usage`; always false for Anthropic clients (their events carry usage). */
  readonly includeUsage: boolean
}

/** A validated OpenAI chat completions request. */
export interface OpenAIClientRequest extends ClientRequestBase {
  readonly format: "openai"
  readonly body: OpenAIChatRequest
}

/** A validated Anthropic messages request. */
export interface AnthropicClientRequest extends ClientRequestBase {
  readonly format: "anthropic"
  readonly body: AnthropicRequest
}

/** A validated OpenAI Responses API request (`POST /v1/responses`). */
export interface ResponsesClientRequest extends ClientRequestBase {
  readonly format: "responses"
  readonly body: ResponsesRequest
}

/** A validated client request; `body` is the parsed JSON exactly as the client sent it. */
export type ClientRequest = OpenAIClientRequest | AnthropicClientRequest | ResponsesClientRequest

type Json = Record<string, unknown>

const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)
const isInt = (u: unknown): u is number => typeof u === "number" && Number.isInteger(u)

/** Thrown inside the walk only, caught at its entry: keeps every check a one-liner. */
class Invalid {
  constructor(
    readonly field: string,
    readonly message: string
  ) {}
}

const fail = (field: string, message: string): never => {
  throw new Invalid(field, message)
}

const optString = (o: Json, key: string, path: string, nullable = false) => {
  const v = o[key]
  if (v === undefined || (nullable && v === null)) return
  if (typeof v !== "string") fail(path + key, `'${path + key}' must be a string`)
}
const optBool = (o: Json, key: string, path = "") => {
  const v = o[key]
  if (v === undefined || v === null) return
  if (typeof v !== "boolean") fail(path + key, `'${path + key}' must be a boolean`)
}
const optNumber = (o: Json, key: string) => {
  const v = o[key]
  if (v === undefined || v === null) return
  if (typeof v !== "number" || !Number.isFinite(v)) fail(key, `'${key}' must be a number`)
}
const optInt = (o: Json, key: string, min: number) => {
  const v = o[key]
  if (v === undefined || v === null) return
  if (!isInt(v) || v < min) fail(key, `'${key}' must be an integer >= ${min}`)
}
/** `model`: a string within the characters and length every later use of it can carry. */
const reqModel = (o: Json) => {
  reqString(o, "model", "")
  const problem = modelNameProblem(o.model as string)
  if (problem !== undefined) fail("model", problem)
}
const reqString = (o: Json, key: string, path: string) => {
  if (typeof o[key] !== "string") fail(path + key, `'${path + key}' is required and must be a string`)
}
const stringOrStrings = (v: unknown, path: string) => {
  if (v === undefined || v === null || typeof v === "string") return
  if (!Array.isArray(v)) return fail(path, `'${path}' must be a string or an array of strings`)
  for (let i = 0; i < v.length; i++) {
    if (typeof v[i] !== "string") fail(`${path}[${i}]`, `'${path}[${i}]' must be a string`)
  }
}

// ---------------------------------------------------------------------------------------------
// OpenAI

const OPENAI_ROLES = new Set(["system", "developer", "user", "assistant", "tool"])

const openaiParts = (parts: Array<unknown>, path: string, textOnly: boolean) => {
  for (let j = 0; j < parts.length; j++) {
    const p = parts[j]
    const pp = `${path}[${j}]`
    if (!isObject(p)) fail(pp, `'${pp}' must be an object`)
    const part = p as Json
    const type = part.type
    if (typeof type !== "string") fail(`${pp}.type`, `'${pp}.type' is required and must be a string`)
    if (type === "text") {
      reqString(part, "text", `${pp}.`)
    } else if (textOnly && type !== "refusal") {
      fail(`${pp}.type`, `'${pp}.type' must be 'text' here`)
    } else if (type === "image_url") {
      const img = part.image_url
      if (!isObject(img) || typeof img.url !== "string") {
        fail(`${pp}.image_url.url`, `'${pp}.image_url.url' is required and must be a string`)
      }
    } else if (type === "refusal") {
      reqString(part, "refusal", `${pp}.`)
    } else if (type !== "input_audio" && type !== "file") {
      fail(`${pp}.type`, `'${pp}.type' '${type}' is not a supported content part type`)
    }
  }
}

const openaiContent = (v: unknown, path: string, textOnly: boolean, optional: boolean) => {
  if (typeof v === "string") return
  if (optional && (v === undefined || v === null)) return
  if (!Array.isArray(v)) return fail(path, `'${path}' must be a string or an array of content parts`)
  openaiParts(v, path, textOnly)
}

const openaiMessage = (m: unknown, i: number) => {
  const path = `messages[${i}]`
  if (!isObject(m)) return fail(path, `'${path}' must be an object`)
  const role = m.role
  if (typeof role !== "string" || !OPENAI_ROLES.has(role)) {
    fail(`${path}.role`, `'${path}.role' must be one of system, developer, user, assistant, tool`)
  }
  switch (role) {
    case "system":
    case "developer":
      return openaiContent(m.content, `${path}.content`, true, false)
    case "user":
      return openaiContent(m.content, `${path}.content`, false, false)
    case "tool":
      reqString(m, "tool_call_id", `${path}.`)
      return openaiContent(m.content, `${path}.content`, true, false)
    default: {
      openaiContent(m.content, `${path}.content`, true, true)
      const calls = m.tool_calls
      if (calls === undefined || calls === null) return
      if (!Array.isArray(calls)) return fail(`${path}.tool_calls`, `'${path}.tool_calls' must be an array`)
      for (let j = 0; j < calls.length; j++) {
        const c = calls[j]
        const cp = `${path}.tool_calls[${j}]`
        if (!isObject(c)) fail(cp, `'${cp}' must be an object`)
        reqString(c, "id", `${cp}.`)
        const f = c.function
        if (!isObject(f)) return fail(`${cp}.function`, `'${cp}.function' is required and must be an object`)
        reqString(f, "name", `${cp}.function.`)
        reqString(f, "arguments", `${cp}.function.`)
      }
    }
  }
}

const openaiTools = (tools: unknown) => {
  if (tools === undefined || tools === null) return
  if (!Array.isArray(tools)) return fail("tools", "'tools' must be an array")
  for (let i = 0; i < tools.length; i++) {
    const t = tools[i]
    const tp = `tools[${i}]`
    if (!isObject(t)) return fail(tp, `'${tp}' must be an object`)
    if (t.type !== "function") fail(`${tp}.type`, `'${tp}.type' must be 'function'`)
    const f = t.function
    if (!isObject(f)) return fail(`${tp}.function`, `'${tp}.function' is required and must be an object`)
    reqString(f, "name", `${tp}.function.`)
    if (f.parameters !== undefined && f.parameters !== null && !isObject(f.parameters)) {
      fail(`${tp}.function.parameters`, `'${tp}.function.parameters' must be an object`)
    }
  }
}

const openaiToolChoice = (c: unknown) => {
  if (c === undefined || c === null) return
  if (c === "none" || c === "auto" || c === "required") return
  if (isObject(c) && c.type === "function" && isObject(c.function) && typeof c.function.name === "string")
    return
  fail("tool_choice", "'tool_choice' must be 'none', 'auto', 'required' or {type:'function',function:{name}}")
}

const validateOpenAI = (b: Json): OpenAIClientRequest => {
  reqModel(b)
  const messages = b.messages
  if (!Array.isArray(messages) || messages.length === 0) {
    fail("messages", "'messages' is required and must be a non-empty array")
  }
  const ms = messages as Array<unknown>
  for (let i = 0; i < ms.length; i++) openaiMessage(ms[i], i)
  optBool(b, "stream")
  const so = b.stream_options
  if (so !== undefined && so !== null) {
    if (!isObject(so)) fail("stream_options", "'stream_options' must be an object")
    else optBool(so, "include_usage", "stream_options.")
  }
  for (const k of ["temperature", "top_p", "presence_penalty", "frequency_penalty"]) optNumber(b, k)
  optInt(b, "max_tokens", 1)
  optInt(b, "max_completion_tokens", 1)
  optInt(b, "n", 1)
  optInt(b, "seed", Number.MIN_SAFE_INTEGER)
  stringOrStrings(b.stop, "stop")
  optString(b, "user", "")
  optString(b, "reasoning_effort", "", true)
  optBool(b, "parallel_tool_calls")
  openaiTools(b.tools)
  openaiToolChoice(b.tool_choice)
  const rf = b.response_format
  if (rf !== undefined && rf !== null) {
    if (!isObject(rf) || typeof rf.type !== "string")
      fail("response_format.type", "'response_format.type' is required")
    else if (rf.type === "json_schema") {
      const js = rf.json_schema
      if (!isObject(js))
        return fail(
          "response_format.json_schema",
          "'response_format.json_schema' is required and must be an object"
        )
      reqString(js, "name", "response_format.json_schema.")
      if (js.schema !== undefined && js.schema !== null && !isObject(js.schema))
        fail("response_format.json_schema.schema", "'response_format.json_schema.schema' must be an object")
    }
  }
  const stream = b.stream === true
  return {
    format: "openai",
    model: b.model as string,
    stream,
    includeUsage: stream && isObject(so) && so.include_usage === true,
    body: b as OpenAIChatRequest
  }
}

// ---------------------------------------------------------------------------------------------
// Anthropic

const anthropicSource = (s: unknown, path: string) => {
  if (!isObject(s)) return fail(path, `'${path}' is required and must be an object`)
  if (s.type === "base64" || s.type === "text") {
    reqString(s, "media_type", `${path}.`)
    reqString(s, "data", `${path}.`)
  } else if (s.type === "url") {
    reqString(s, "url", `${path}.`)
  } else if (s.type === "file") {
    reqString(s, "file_id", `${path}.`)
  } else {
    fail(`${path}.type`, `'${path}.type' must be one of base64, url, text, file`)
  }
}

const anthropicBlocks = (blocks: Array<unknown>, path: string, depth: number) => {
  for (let j = 0; j < blocks.length; j++) {
    const bl = blocks[j]
    const bp = `${path}[${j}]`
    if (!isObject(bl)) return fail(bp, `'${bp}' must be an object`)
    switch (bl.type) {
      case "text":
        reqString(bl, "text", `${bp}.`)
        break
      case "image":
      case "document":
        anthropicSource(bl.source, `${bp}.source`)
        break
      case "tool_use":
        reqString(bl, "id", `${bp}.`)
        reqString(bl, "name", `${bp}.`)
        if (!isObject(bl.input)) fail(`${bp}.input`, `'${bp}.input' is required and must be an object`)
        break
      case "tool_result": {
        reqString(bl, "tool_use_id", `${bp}.`)
        optBool(bl, "is_error", `${bp}.`)
        const c = bl.content
        if (c === undefined || typeof c === "string") break
        if (!Array.isArray(c) || depth > 0)
          return fail(`${bp}.content`, `'${bp}.content' must be a string or blocks`)
        anthropicBlocks(c, `${bp}.content`, depth + 1)
        break
      }
      case "thinking":
        reqString(bl, "thinking", `${bp}.`)
        break
      case "redacted_thinking":
        reqString(bl, "data", `${bp}.`)
        break
      default:
        if (typeof bl.type !== "string") fail(`${bp}.type`, `'${bp}.type' is required and must be a string`)
    }
  }
}

const anthropicContent = (v: unknown, path: string) => {
  if (typeof v === "string") return
  if (!Array.isArray(v)) return fail(path, `'${path}' must be a string or an array of content blocks`)
  anthropicBlocks(v, path, 0)
}

const EFFORTS = new Set(["low", "medium", "high", "xhigh", "max"])

/** A structured output format: `{type: "json_schema", schema: {...}}`. */
const anthropicOutputFormat = (f: unknown, path: string) => {
  if (!isObject(f)) return fail(path, `'${path}' must be an object`)
  if (f.type !== "json_schema") fail(`${path}.type`, `'${path}.type' must be 'json_schema'`)
  if (!isObject(f.schema)) fail(`${path}.schema`, `'${path}.schema' is required and must be an object`)
}

const validateAnthropic = (b: Json): AnthropicClientRequest => {
  reqModel(b)
  if (!isInt(b.max_tokens) || b.max_tokens < 1)
    fail("max_tokens", "'max_tokens' is required and must be an integer >= 1")
  const messages = b.messages
  if (!Array.isArray(messages) || messages.length === 0) {
    return fail("messages", "'messages' is required and must be a non-empty array")
  }
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]
    const path = `messages[${i}]`
    if (!isObject(m)) return fail(path, `'${path}' must be an object`)
    if (m.role !== "user" && m.role !== "assistant")
      fail(`${path}.role`, `'${path}.role' must be 'user' or 'assistant'`)
    anthropicContent(m.content, `${path}.content`)
  }
  const sys = b.system
  if (sys !== undefined && typeof sys !== "string") {
    if (!Array.isArray(sys)) fail("system", "'system' must be a string or an array of text blocks")
    const blocks = sys as Array<unknown>
    for (let i = 0; i < blocks.length; i++) {
      const bl = blocks[i]
      if (!isObject(bl) || bl.type !== "text" || typeof bl.text !== "string") {
        fail(`system[${i}]`, `'system[${i}]' must be a text block`)
      }
    }
  }
  optBool(b, "stream")
  optNumber(b, "temperature")
  optNumber(b, "top_p")
  optInt(b, "top_k", 0)
  const stops = b.stop_sequences
  if (stops !== undefined && !Array.isArray(stops))
    fail("stop_sequences", "'stop_sequences' must be an array of strings")
  stringOrStrings(stops, "stop_sequences")
  const tools = b.tools
  if (tools !== undefined) {
    if (!Array.isArray(tools)) fail("tools", "'tools' must be an array")
    const ts = tools as Array<unknown>
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i]
      if (!isObject(t)) return fail(`tools[${i}]`, `'tools[${i}]' must be an object`)
      reqString(t, "name", `tools[${i}].`)
      if (t.type === undefined && !isObject(t.input_schema)) {
        fail(`tools[${i}].input_schema`, `'tools[${i}].input_schema' is required and must be an object`)
      }
    }
  }
  const tc = b.tool_choice
  if (tc !== undefined) {
    if (
      !isObject(tc) ||
      (tc.type !== "auto" && tc.type !== "any" && tc.type !== "tool" && tc.type !== "none")
    ) {
      fail("tool_choice.type", "'tool_choice.type' must be one of auto, any, tool, none")
    } else if (tc.type === "tool") reqString(tc, "name", "tool_choice.")
  }
  const md = b.metadata
  if (md !== undefined && md !== null) {
    if (!isObject(md)) fail("metadata", "'metadata' must be an object")
    else optString(md, "user_id", "metadata.", true)
  }
  const th = b.thinking
  if (th !== undefined) {
    // Other types (`adaptive`, newer ones) go to Anthropic as they are, and are reported if dropped.
    if (!isObject(th) || typeof th.type !== "string") {
      fail(
        "thinking.type",
        "'thinking.type' is required and must be a string such as 'enabled' or 'adaptive'"
      )
    } else if (th.type === "enabled" && (!isInt(th.budget_tokens) || th.budget_tokens < 1)) {
      fail("thinking.budget_tokens", "'thinking.budget_tokens' is required and must be a positive integer")
    }
  }
  const oc = b.output_config
  if (oc !== undefined && oc !== null) {
    if (!isObject(oc)) fail("output_config", "'output_config' must be an object")
    else {
      if (oc.format !== undefined && oc.format !== null)
        anthropicOutputFormat(oc.format, "output_config.format")
      const effort = oc.effort
      if (effort !== undefined && effort !== null && !EFFORTS.has(effort as string)) {
        fail("output_config.effort", "'output_config.effort' must be one of low, medium, high, xhigh, max")
      }
    }
  }
  if (b.output_format !== undefined && b.output_format !== null)
    anthropicOutputFormat(b.output_format, "output_format")
  return {
    format: "anthropic",
    model: b.model as string,
    stream: b.stream === true,
    includeUsage: false,
    body: b as AnthropicRequest
  }
}

/**
 * Validates a parsed client JSON body. The error names the first offending field path, e.g.
 * `messages[2].content`, or `body` when the body is not a JSON object.
 */
export const parseClientRequest = (
  format: ClientFormat,
  body: unknown
): Either.Either<ClientRequest, InvalidRequestField> => {
  if (format === "responses") {
    const valid = validateResponses(body)
    if (valid instanceof InvalidRequestField) return Either.left(valid)
    // Responses streams always end with the usage (`response.completed`): nothing to ask for.
    return Either.right({
      format,
      model: valid.model,
      stream: valid.stream === true,
      includeUsage: false,
      body: valid
    })
  }
  if (!isObject(body)) {
    return Either.left(
      new InvalidRequestField({ field: "body", message: "The request body must be a JSON object" })
    )
  }
  try {
    return Either.right(format === "openai" ? validateOpenAI(body) : validateAnthropic(body))
  } catch (e) {
    if (e instanceof Invalid)
      return Either.left(new InvalidRequestField({ field: e.field, message: e.message }))
    throw e
  }
}
