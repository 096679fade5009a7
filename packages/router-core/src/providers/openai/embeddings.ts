/**
 * OpenAI's embeddings API (also every OpenAI-compatible server's): the client's body with the
 * upstream model name, the answer untouched.
 */
import type { Embeddings } from "../Embeddings.ts"

/** Embeddings for OpenAI-shaped upstreams. */
export const openAIEmbeddings: Embeddings = {
  url: (baseUrl) => `${baseUrl}/embeddings`,
  request: (body, upstreamModel) => ({ ...body, model: upstreamModel })
}
