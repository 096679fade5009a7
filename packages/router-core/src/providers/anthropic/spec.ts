/**
 * Anthropic: the Messages API with `x-api-key` and a pinned `anthropic-version`. The base URL has
 * no `/v1`, as in the official SDK (`ANTHROPIC_BASE_URL`).
 */
import type { ProviderSpec } from "../Provider.ts"
import { anthropicCapabilities } from "./capabilities.ts"
import { anthropicTokenCounting } from "./tokenCounting.ts"

/** The API version every request is sent with. */
export const ANTHROPIC_VERSION = "2023-06-01"

/** The Anthropic provider (no embeddings API). */
export const anthropic: ProviderSpec = {
  id: "anthropic",
  format: "anthropic",
  defaultBaseUrl: "https://api.anthropic.com",
  baseUrlEnv: "ANTHROPIC_BASE_URL",
  chatUrl: (baseUrl) => `${baseUrl}/v1/messages`,
  embeddings: undefined,
  headers: (apiKey) => ({
    "content-type": "application/json",
    "x-api-key": apiKey,
    "anthropic-version": ANTHROPIC_VERSION
  }),
  tokenCounting: anthropicTokenCounting,
  capabilities: anthropicCapabilities,
  models: ["claude-sonnet-4-5", "claude-opus-4-1", "claude-3-5-haiku-latest"]
}
