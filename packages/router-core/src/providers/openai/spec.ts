/**
 * OpenAI: chat completions, the Responses API and embeddings, bearer key. The base URL includes
 * `/v1`, as in the official SDK (`OPENAI_BASE_URL`).
 */
import type { ProviderSpec } from "../Provider.ts"
import { openaiCapabilities } from "./capabilities.ts"
import { openAIEmbeddings } from "./embeddings.ts"

/** Headers for any OpenAI-shaped upstream. */
export const bearerHeaders = (apiKey: string): Record<string, string> =>
  // A server without keys (a local vLLM started without `--api-key`) gets no Authorization at all.
  apiKey === ""
    ? { "content-type": "application/json" }
    : { "content-type": "application/json", authorization: `Bearer ${apiKey}` }

/** OpenAI's chat endpoint is the same for streaming and not (`stream` is in the body). */
export const openAIChatUrl = (baseUrl: string) => `${baseUrl}/chat/completions`

/** The OpenAI provider. */
export const openai: ProviderSpec = {
  id: "openai",
  format: "openai",
  defaultBaseUrl: "https://api.openai.com/v1",
  baseUrlEnv: "OPENAI_BASE_URL",
  chatUrl: openAIChatUrl,
  responsesUrl: (baseUrl) => `${baseUrl}/responses`,
  embeddings: openAIEmbeddings,
  headers: bearerHeaders,
  capabilities: openaiCapabilities,
  models: ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "o3-mini", "o4-mini", "text-embedding-3-small"]
}
