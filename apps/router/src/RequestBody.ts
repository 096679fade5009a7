/**
 * Reads a request's JSON body within the size limit: 413 over the limit (by `Content-Length` before
 * reading, by bytes read otherwise), 400 for a body that is not JSON. The raw bytes are kept so an
 * untouched body can be forwarded without re-serialising it.
 */
import { GatewayError } from "@switchyard/domain"

/** A body read and parsed. */
export interface JsonBody {
  readonly bytes: Uint8Array<ArrayBuffer>
  readonly json: unknown
}

const decoder = new TextDecoder()

/** The 413 answer. */
export const tooLarge = (limit: number) =>
  new GatewayError({
    status: 413,
    type: "request_too_large",
    message: `Request body is larger than the limit of ${limit} bytes`
  })

const isTooLargeError = (error: unknown) =>
  typeof error === "object" && error !== null && "status" in error && error.status === 413

/**
 * Reads a body of undeclared length (chunked) chunk by chunk, giving up as soon as it passes the
 * limit instead of buffering all of it; `undefined` when it does.
 */
const readUpTo = async (request: Request, limit: number): Promise<Uint8Array<ArrayBuffer> | undefined> => {
  if (request.body === null) return new Uint8Array(0)
  const reader = request.body.getReader()
  const chunks: Array<Uint8Array> = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => undefined)
      return undefined
    }
    chunks.push(value)
  }
  const out = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.byteLength
  }
  return out
}

/** Deepest nesting of arrays and objects accepted in a body. */
export const MAX_BODY_DEPTH = 256

/**
 * Whether the JSON text nests arrays and objects deeper than `MAX_BODY_DEPTH` (brackets inside
 * strings do not count). Checked on the bytes before parsing: a 100 000-deep body would overflow
 * the stack later, when it is serialised or walked, and fail as our bug instead of the client's.
 */
export const nestsTooDeep = (bytes: Uint8Array): boolean => {
  let depth = 0
  let inString = false
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!
    if (inString) {
      if (b === 0x5c)
        i++ // backslash: skip the escaped byte
      else if (b === 0x22) inString = false
    } else if (b === 0x22) inString = true
    else if (b === 0x7b || b === 0x5b) {
      if (++depth > MAX_BODY_DEPTH) return true
    } else if (b === 0x7d || b === 0x5d) depth--
  }
  return false
}

/** Reads and parses the body; a GatewayError when it is too large, unreadable or not JSON. */
export const readJsonBody = async (request: Request, limit: number): Promise<JsonBody | GatewayError> => {
  const declared = request.headers.get("content-length")
  if (declared !== null && Number(declared) > limit) return tooLarge(limit)
  let bytes: Uint8Array<ArrayBuffer> | undefined
  try {
    bytes = declared !== null ? new Uint8Array(await request.arrayBuffer()) : await readUpTo(request, limit)
  } catch (error) {
    if (isTooLargeError(error)) return tooLarge(limit)
    return new GatewayError({
      status: 400,
      type: "invalid_request_error",
      message: "The request body could not be read"
    })
  }
  if (bytes === undefined) return tooLarge(limit)
  if (bytes.byteLength > limit) return tooLarge(limit)
  if (bytes.byteLength === 0) {
    return new GatewayError({
      status: 400,
      type: "invalid_request_error",
      message: "The request body is empty"
    })
  }
  if (nestsTooDeep(bytes)) {
    return new GatewayError({
      status: 400,
      type: "invalid_request_error",
      message: `The request body nests arrays and objects deeper than ${MAX_BODY_DEPTH} levels`
    })
  }
  try {
    return { bytes, json: JSON.parse(decoder.decode(bytes)) }
  } catch (error) {
    return new GatewayError({
      status: 400,
      type: "invalid_request_error",
      message: `The request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`
    })
  }
}
