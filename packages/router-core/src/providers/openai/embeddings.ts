/**
 * OpenAI's embeddings API (also every OpenAI-compatible server's): the client's body with the
 * upstream model name, the answer untouched.
 */
import type { Embeddings } from "../Embeddings.ts"

/** Embeddings for OpenAI itself: it honours `encoding_format`, so the body goes as it came. */
export const openAIEmbeddings: Embeddings = {
  url: (baseUrl) => `${baseUrl}/embeddings`,
  request: (body, upstreamModel) => ({ ...body, model: upstreamModel })
}

/**
 * Embeddings for OpenAI-compatible servers, many of which ignore or refuse `encoding_format:
 * "base64"` (the openai Node SDK's default): floats are asked for, and the router encodes them as
 * the client asked.
 */
export const compatibleEmbeddings: Embeddings = {
  url: openAIEmbeddings.url,
  request: (body, upstreamModel) => {
    const { encoding_format: _, ...rest } = body
    return { ...rest, model: upstreamModel }
  }
}
