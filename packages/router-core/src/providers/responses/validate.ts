/**
 * Validation of a `POST /v1/responses` body, as `ClientRequest.ts` does for the other formats: a
 * hand-written walk over the parsed JSON that keeps the body as sent and names the exact path of
 * the first bad field (`input[2].content[0].text`), which is what the 400 must say.
 */
import { InvalidRequestField, modelNameProblem } from "@switchyard/domain"
import type { ResponsesRequest } from "./wire.ts"

type Json = Record<string, unknown>

const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)
const isInt = (u: unknown): u is number => typeof u === "number" && Number.isInteger(u)

/** Thrown inside the walk only, caught at its entry. */
class Invalid {
  constructor(
    readonly field: string,
    readonly message: string
  ) {}
}

const fail = (field: string, message: string): never => {
  throw new Invalid(field, message)
}

/** Ids of stored responses and items: what OpenAI's ids are made of, bounded. */
const ID = /^[A-Za-z0-9_.:-]{1,256}$/

const reqString = (o: Json, key: string, path: string) => {
  if (typeof o[key] !== "string") fail(path + key, `'${path + key}' is required and must be a string`)
}
const optString = (o: Json, key: string, path = "") => {
  const v = o[key]
  if (v !== undefined && v !== null && typeof v !== "string")
    fail(path + key, `'${path + key}' must be a string`)
}
const optBool = (o: Json, key: string) => {
  const v = o[key]
  if (v !== undefined && v !== null && typeof v !== "boolean") fail(key, `'${key}' must be a boolean`)
}
const optNumber = (o: Json, key: string) => {
  const v = o[key]
  if (v !== undefined && v !== null && (typeof v !== "number" || !Number.isFinite(v)))
    fail(key, `'${key}' must be a number`)
}
const optId = (o: Json, key: string, path = "") => {
  const v = o[key]
  if (v === undefined || v === null) return
  if (typeof v !== "string" || !ID.test(v))
    fail(path + key, `'${path + key}' must be an id of letters, digits and _ . : - (at most 256)`)
}

/** Content parts of a message (`assistant` may also carry `output_text` and `refusal`). */
const parts = (v: unknown, path: string, role: string) => {
  if (typeof v === "string") return
  if (!Array.isArray(v)) return fail(path, `'${path}' must be a string or an array of content parts`)
  for (let i = 0; i < v.length; i++) {
    const p = v[i]
    const pp = `${path}[${i}]`
    if (!isObject(p)) return fail(pp, `'${pp}' must be an object`)
    switch (p.type) {
      case "input_text":
      case "output_text":
        reqString(p, "text", `${pp}.`)
        break
      case "refusal":
        reqString(p, "refusal", `${pp}.`)
        break
      case "input_image":
        if (typeof p.image_url !== "string" && typeof p.file_id !== "string")
          fail(`${pp}.image_url`, `'${pp}.image_url' (or 'file_id') is required and must be a string`)
        break
      case "input_file":
        if (
          typeof p.file_data !== "string" &&
          typeof p.file_id !== "string" &&
          typeof p.file_url !== "string"
        )
          fail(
            `${pp}.file_data`,
            `'${pp}.file_data' (or 'file_id', 'file_url') is required and must be a string`
          )
        optString(p, "filename", `${pp}.`)
        break
      case "input_audio":
        break
      default:
        fail(
          `${pp}.type`,
          typeof p.type === "string"
            ? `'${pp}.type' '${p.type}' is not a supported content part type${role === "" ? "" : ` for the ${role} role`}`
            : `'${pp}.type' is required and must be a string`
        )
    }
  }
}

const ROLES = new Set(["user", "assistant", "system", "developer"])

const item = (it: unknown, path: string) => {
  if (!isObject(it)) return fail(path, `'${path}' must be an object`)
  const type = it.type
  if (type === undefined || type === "message") {
    const role = it.role
    if (typeof role !== "string" || !ROLES.has(role))
      fail(`${path}.role`, `'${path}.role' must be one of user, assistant, system, developer`)
    if (it.content === undefined) fail(`${path}.content`, `'${path}.content' is required`)
    return parts(it.content, `${path}.content`, role as string)
  }
  switch (type) {
    case "function_call":
      reqString(it, "call_id", `${path}.`)
      reqString(it, "name", `${path}.`)
      reqString(it, "arguments", `${path}.`)
      return
    case "function_call_output":
      reqString(it, "call_id", `${path}.`)
      if (typeof it.output !== "string") {
        if (!Array.isArray(it.output))
          fail(
            `${path}.output`,
            `'${path}.output' is required and must be a string or an array of content parts`
          )
        parts(it.output, `${path}.output`, "")
      }
      return
    case "reasoning": {
      const summary = it.summary
      if (summary !== undefined && summary !== null) {
        if (!Array.isArray(summary)) fail(`${path}.summary`, `'${path}.summary' must be an array`)
        for (let i = 0; i < (summary as Array<unknown>).length; i++) {
          const s = (summary as Array<unknown>)[i]
          if (!isObject(s)) fail(`${path}.summary[${i}]`, `'${path}.summary[${i}]' must be an object`)
          else reqString(s, "text", `${path}.summary[${i}].`)
        }
      }
      optString(it, "encrypted_content", `${path}.`)
      return
    }
    case "item_reference":
      if (it.id === undefined) fail(`${path}.id`, `'${path}.id' is required`)
      return optId(it, "id", `${path}.`)
    default:
      // Items of the hosted tools (web_search_call, computer_call_output…): OpenAI reads them.
      if (typeof type !== "string") fail(`${path}.type`, `'${path}.type' must be a string`)
  }
}

const tools = (v: unknown) => {
  if (v === undefined || v === null) return
  if (!Array.isArray(v)) return fail("tools", "'tools' must be an array")
  for (let i = 0; i < v.length; i++) {
    const t = v[i]
    const tp = `tools[${i}]`
    if (!isObject(t)) return fail(tp, `'${tp}' must be an object`)
    if (typeof t.type !== "string") fail(`${tp}.type`, `'${tp}.type' is required and must be a string`)
    if (t.type !== "function") continue
    reqString(t, "name", `${tp}.`)
    optString(t, "description", `${tp}.`)
    if (t.parameters !== undefined && t.parameters !== null && !isObject(t.parameters))
      fail(`${tp}.parameters`, `'${tp}.parameters' must be an object`)
    if (t.strict !== undefined && t.strict !== null && typeof t.strict !== "boolean")
      fail(`${tp}.strict`, `'${tp}.strict' must be a boolean`)
  }
}

const toolChoice = (c: unknown) => {
  if (c === undefined || c === null || c === "none" || c === "auto" || c === "required") return
  if (isObject(c) && typeof c.type === "string") {
    if (c.type === "function") reqString(c, "name", "tool_choice.")
    return
  }
  fail("tool_choice", "'tool_choice' must be 'none', 'auto', 'required' or {type:'function',name}")
}

const text = (t: unknown) => {
  if (t === undefined || t === null) return
  if (!isObject(t)) return fail("text", "'text' must be an object")
  optString(t, "verbosity", "text.")
  const f = t.format
  if (f === undefined || f === null) return
  if (!isObject(f)) return fail("text.format", "'text.format' must be an object")
  if (f.type === "text" || f.type === "json_object") return
  if (f.type !== "json_schema")
    return fail("text.format.type", "'text.format.type' must be one of text, json_schema, json_object")
  reqString(f, "name", "text.format.")
  if (!isObject(f.schema))
    fail("text.format.schema", "'text.format.schema' is required and must be an object")
  optString(f, "description", "text.format.")
  if (f.strict !== undefined && f.strict !== null && typeof f.strict !== "boolean")
    fail("text.format.strict", "'text.format.strict' must be a boolean")
}

const EFFORTS = new Set(["none", "minimal", "low", "medium", "high", "xhigh"])

const reasoning = (r: unknown) => {
  if (r === undefined || r === null) return
  if (!isObject(r)) return fail("reasoning", "'reasoning' must be an object")
  const e = r.effort
  if (e !== undefined && e !== null && (typeof e !== "string" || !EFFORTS.has(e)))
    fail("reasoning.effort", "'reasoning.effort' must be one of none, minimal, low, medium, high, xhigh")
  optString(r, "summary", "reasoning.")
}

/** OpenAI's limits on `metadata`: 16 pairs, keys up to 64 characters, values up to 512. */
const metadata = (m: unknown) => {
  if (m === undefined || m === null) return
  if (!isObject(m)) return fail("metadata", "'metadata' must be an object of strings")
  const keys = Object.keys(m)
  if (keys.length > 16) fail("metadata", "'metadata' may have at most 16 keys")
  for (const key of keys) {
    if (key.length > 64) fail("metadata", `'metadata' keys must be at most 64 characters`)
    const v = m[key]
    if (typeof v !== "string" || v.length > 512)
      fail(`metadata.${key}`, `'metadata.${key}' must be a string of at most 512 characters`)
  }
}

const validate = (b: Json): ResponsesRequest => {
  reqString(b, "model", "")
  const problem = modelNameProblem(b.model as string)
  if (problem !== undefined) fail("model", problem)
  const input = b.input
  if (input === undefined || input === null) {
    if (b.previous_response_id === undefined || b.previous_response_id === null)
      fail("input", "'input' is required: a string or an array of input items")
  } else if (typeof input !== "string") {
    if (!Array.isArray(input)) fail("input", "'input' must be a string or an array of input items")
    const items = input as Array<unknown>
    for (let i = 0; i < items.length; i++) item(items[i], `input[${i}]`)
  }
  optString(b, "instructions")
  optId(b, "previous_response_id")
  optBool(b, "store")
  optBool(b, "stream")
  optBool(b, "parallel_tool_calls")
  const max = b.max_output_tokens
  if (max !== undefined && max !== null && (!isInt(max) || max < 1))
    fail("max_output_tokens", "'max_output_tokens' must be an integer >= 1")
  optNumber(b, "temperature")
  optNumber(b, "top_p")
  optString(b, "user")
  optString(b, "safety_identifier")
  tools(b.tools)
  toolChoice(b.tool_choice)
  text(b.text)
  reasoning(b.reasoning)
  metadata(b.metadata)
  // Modes the gateway does not offer: refused by name rather than answered differently.
  if (b.background === true)
    fail(
      "background",
      "'background' responses are not supported by this gateway; send the request without it"
    )
  if (b.conversation !== undefined && b.conversation !== null)
    fail("conversation", "'conversation' is not supported by this gateway; use 'previous_response_id'")
  return b as ResponsesRequest
}

/**
 * Validates a parsed `POST /v1/responses` body: the request, or the first bad field. `body` when
 * the body is not a JSON object.
 */
export const validateResponses = (body: unknown): ResponsesRequest | InvalidRequestField => {
  if (!isObject(body))
    return new InvalidRequestField({ field: "body", message: "The request body must be a JSON object" })
  try {
    return validate(body)
  } catch (e) {
    if (e instanceof Invalid) return new InvalidRequestField({ field: e.field, message: e.message })
    throw e
  }
}
