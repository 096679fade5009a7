/**
 * Any OpenAI-compatible server (vLLM, Ollama, Groq, Together, Mistral, DeepSeek, OpenRouter…).
 * The base URL comes from the user's stored secret (`baseUrl`, including `/v1` as these servers
 * expect), checked against SSRF when it was stored; the operator may add a platform server with
 * `AI_BASE_URL` (and `AI_API_KEY`, seed 003's names), used like a platform key.
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
  baseUrlEnv: "AI_BASE_URL",
  chatUrl: openAIChatUrl,
  embeddings: compatibleEmbeddings,
  headers: bearerHeaders,
  capabilities: () => permissive,
  models: []
}
