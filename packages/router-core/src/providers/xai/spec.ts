/**
 * xAI: OpenAI-shaped chat completions at `XAI_BASE_URL` (default `https://api.x.ai/v1`).
 */
import { bearerHeaders, openAIChatUrl } from "../openai/spec.ts"
import type { ProviderSpec } from "../Provider.ts"
import { xaiCapabilities } from "./capabilities.ts"

/** The xAI provider (embeddings are not routed to xAI). */
export const xai: ProviderSpec = {
  id: "xai",
  format: "openai",
  defaultBaseUrl: "https://api.x.ai/v1",
  baseUrlEnv: "XAI_BASE_URL",
  chatUrl: openAIChatUrl,
  embeddings: undefined,
  headers: bearerHeaders,
  capabilities: xaiCapabilities,
  models: ["grok-4", "grok-3", "grok-3-mini"]
}
