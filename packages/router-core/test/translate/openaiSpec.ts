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
