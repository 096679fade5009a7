/**
 * Any OpenAI-compatible server (vLLM, Ollama, Groq, Together, Mistral, DeepSeek, OpenRouter…).
 * There is no platform default: the base URL comes from the user's stored secret (`baseUrl`,
 * including `/v1` as these servers expect), checked against SSRF when it was stored.
 */

import { permissive } from "../Capabilities.ts"
import { compatibleEmbeddings } from "../openai/embeddings.ts"
import { bearerHeaders, openAIChatUrl } from "../openai/spec.ts"
import type { ProviderSpec } from "../Provider.ts"

/** The OpenAI-compatible provider. */
export const openaiCompatible: ProviderSpec = {
  id: "openai-compatible",
  format: "openai",
  defaultBaseUrl: "",
  baseUrlEnv: undefined,
  chatUrl: openAIChatUrl,
  embeddings: compatibleEmbeddings,
  headers: bearerHeaders,
  capabilities: () => permissive,
  models: []
}
