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
