/**
 * Validators for OpenAI's published schemas (`specs/openai-openapi.json` at the repository's root,
 * where `specs/README.md` says which version it is), to check that what Switchyard writes for
 * OpenAI clients is what OpenAI itself would send.
 */
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Ajv2020 } from "ajv/dist/2020.js"

const SPEC_URL = new URL("../../../../specs/openai-openapi.json", import.meta.url)
const SPEC_ID = "https://switchyard.local/openai-openapi.json"

/**
 * The spec is OpenAPI 3.1 (JSON Schema 2020-12) but still marks some fields with OpenAPI 3.0's
 * `nullable: true` (e.g. a stream chunk's `finish_reason`, which OpenAI sends as `null`), a word
 * JSON Schema ignores. Read it as the authors meant it: the schema, or null.
 */
const nullableToAnyOf = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(nullableToAnyOf)
  if (typeof node !== "object" || node === null) return node
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(node)) out[k] = nullableToAnyOf(v)
  if (out.nullable === true) {
    delete out.nullable
    return { anyOf: [out, { type: "null" }] }
  }
  return out
}

const load = () => {
  const path = fileURLToPath(SPEC_URL)
  const spec = JSON.parse(readFileSync(path, "utf8")) as { components: unknown }
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true })
  ajv.addSchema({ $id: SPEC_ID, components: nullableToAnyOf(spec.components) })
  return ajv
}

let ajv: Ajv2020 | undefined

/** Validates `value` against `#/components/schemas/<name>`; returns the errors, empty when valid. */
export const validateOpenAI = (name: string, value: unknown): Array<string> => {
  ajv ??= load()
  const validate = ajv.getSchema(`${SPEC_ID}#/components/schemas/${name}`)
  if (validate === undefined) throw new Error(`no schema ${name}`)
  if (validate(value)) return []
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath} ${e.message ?? ""} ${JSON.stringify(e.params)}`
  )
}

/** Responses stream event type → the name of its schema, from the spec's `ResponseStreamEvent`. */
let eventSchemas: Map<string, string> | undefined

const responsesEventSchemas = (): Map<string, string> => {
  const spec = JSON.parse(readFileSync(fileURLToPath(SPEC_URL), "utf8")) as {
    components: { schemas: Record<string, { anyOf?: Array<{ $ref: string }>; properties?: unknown }> }
  }
  const schemas = spec.components.schemas
  const byType = new Map<string, string>()
  for (const ref of schemas.ResponseStreamEvent?.anyOf ?? []) {
    const name = ref.$ref.split("/").at(-1)!
    const type = (schemas[name]?.properties as { type?: { enum?: Array<string> } } | undefined)?.type
      ?.enum?.[0]
    if (type !== undefined) byType.set(type, name)
  }
  return byType
}

/** Validates a Responses stream event against its own schema (found by its `type`); the errors. */
export const validateResponsesEvent = (event: unknown): Array<string> => {
  eventSchemas ??= responsesEventSchemas()
  const type = (event as { type?: unknown }).type
  const name = typeof type === "string" ? eventSchemas.get(type) : undefined
  if (name === undefined) return [`no schema for an event of type ${String(type)}`]
  return validateOpenAI(name, event).map((e) => `${type}: ${e}`)
}
