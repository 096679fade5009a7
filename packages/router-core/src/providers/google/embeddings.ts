/**
 * Gemini embeddings: an OpenAI embeddings request as `:batchEmbedContents` (text only), and its
 * answer as OpenAI's list. Gemini reports no token count: it is estimated from the text.
 */
import { estimateTokens } from "../../translate/Usage.ts"
import { type Embeddings, EmbeddingsRefusal, type Json } from "../Embeddings.ts"

const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

const inputsOf = (body: Json): ReadonlyArray<unknown> =>
  typeof body.input === "string" ? [body.input] : (body.input as ReadonlyArray<unknown>)

/** Embeddings through Gemini's `batchEmbedContents`. */
export const geminiEmbeddings: Embeddings = {
  url: (baseUrl, model) => `${baseUrl}/models/${encodeURIComponent(model)}:batchEmbedContents`,
  request: (body, upstreamModel) => {
    const inputs = inputsOf(body)
    if (!inputs.every((i) => typeof i === "string")) {
      return new EmbeddingsRefusal("input", "The google provider embeds text only, not token arrays")
    }
    return {
      requests: inputs.map((text) => ({
        model: `models/${upstreamModel}`,
        content: { parts: [{ text }] },
        ...(typeof body.dimensions === "number" ? { outputDimensionality: body.dimensions } : {})
      }))
    }
  },
  response: (answer, model, request) => {
    if (!isObject(answer) || !Array.isArray(answer.embeddings)) return undefined
    const data = answer.embeddings.map((e: unknown, index: number) => ({
      object: "embedding",
      index,
      embedding: isObject(e) && Array.isArray(e.values) ? e.values : []
    }))
    const chars = inputsOf(request).reduce<number>((sum, s) => sum + (s as string).length, 0)
    const tokens = estimateTokens(chars)
    return {
      body: { object: "list", data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } },
      estimated: true
    }
  }
}
