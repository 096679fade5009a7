/**
 * Google Gemini (Generative Language API): `:generateContent`, `:streamGenerateContent?alt=sse`
 * and `:batchEmbedContents`, key in `x-goog-api-key`. The base URL includes the API version
 * (`GOOGLE_AI_BASE_URL`, default `…/v1beta`).
 */
import type { ProviderSpec } from "../Provider.ts"
import { geminiCapabilities } from "./capabilities.ts"
import { geminiEmbeddings } from "./embeddings.ts"
import { geminiTokenCounting } from "./tokenCounting.ts"

/** The Google provider. */
export const google: ProviderSpec = {
  id: "google",
  format: "gemini",
  defaultBaseUrl: "https://generativelanguage.googleapis.com/v1beta",
  baseUrlEnv: "GOOGLE_AI_BASE_URL",
  chatUrl: (baseUrl, model, stream) =>
    stream
      ? `${baseUrl}/models/${encodeURIComponent(model)}:streamGenerateContent?alt=sse`
      : `${baseUrl}/models/${encodeURIComponent(model)}:generateContent`,
  embeddings: geminiEmbeddings,
  headers: (apiKey) => ({ "content-type": "application/json", "x-goog-api-key": apiKey }),
  tokenCounting: geminiTokenCounting,
  capabilities: geminiCapabilities,
  models: ["gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.0-flash", "text-embedding-004"]
}
