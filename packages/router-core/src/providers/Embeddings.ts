/**
 * How a provider serves OpenAI-format embeddings (`POST /v1/embeddings`): where to send them, the
 * body to send, and the answer back in OpenAI's list format. A provider without it has no
 * embeddings through Switchyard.
 */

/** A JSON object. */
export type Json = Record<string, unknown>

/** A client field the provider cannot carry (a 400 naming it). */
export class EmbeddingsRefusal {
  constructor(
    readonly field: string,
    readonly message: string
  ) {}
}

/** The upstream's answer in OpenAI's list format, with whether its token count was estimated. */
export interface EmbeddingsAnswer {
  readonly body: Json
  readonly estimated: boolean
}

/** A provider's embeddings endpoint and translation. */
export interface Embeddings {
  readonly url: (baseUrl: string, upstreamModel: string) => string
  /** The body to send for a validated OpenAI embeddings request. */
  readonly request: (body: Json, upstreamModel: string) => Json | EmbeddingsRefusal
  /**
   * The upstream's answer in OpenAI's format, `undefined` when it is malformed; absent when the
   * upstream answers in OpenAI's format already (its body goes to the client untouched).
   */
  readonly response?: (answer: unknown, requestedModel: string, request: Json) => EmbeddingsAnswer | undefined
}

/** `encoding_format` values OpenAI's embeddings API takes. */
export const EMBEDDING_ENCODINGS: ReadonlyArray<string> = ["float", "base64"]

/** A vector as OpenAI's `base64` encoding: its float32 values, little-endian, in base64. */
export const float32Base64 = (vector: ReadonlyArray<number>): string => {
  const view = new DataView(new ArrayBuffer(vector.length * 4))
  for (let i = 0; i < vector.length; i++) view.setFloat32(i * 4, vector[i]!, true)
  return Buffer.from(view.buffer).toString("base64")
}

/**
 * An OpenAI-format embeddings answer with every vector given as numbers re-encoded in base64 (what
 * a client that asked for `encoding_format: "base64"` reads), or `undefined` when none was: an
 * upstream that honoured the encoding itself is passed on untouched.
 */
export const withBase64Embeddings = (answer: unknown): Json | undefined => {
  if (typeof answer !== "object" || answer === null || !Array.isArray((answer as Json).data)) return undefined
  const body = answer as Json & { data: Array<unknown> }
  if (!body.data.some((d) => typeof d === "object" && d !== null && Array.isArray((d as Json).embedding)))
    return undefined
  return {
    ...body,
    data: body.data.map((d) =>
      typeof d === "object" && d !== null && Array.isArray((d as Json).embedding)
        ? { ...(d as Json), embedding: float32Base64((d as { embedding: Array<number> }).embedding) }
        : d
    )
  }
}
