/**
 * The built-in `mock` provider: answered in process (see `mock/Mock.ts`) in OpenAI's wire format,
 * so everything downstream (translation, accounting) runs as for a real provider. Needs no key.
 */
import type { ProviderSpec } from "../Provider.ts"

/** The models the mock answers. */
export const MOCK_MODELS = ["echo", "error"] as const

/** The mock provider; its URL is never fetched over the network. */
export const mock: ProviderSpec = {
  id: "mock",
  format: "openai",
  defaultBaseUrl: "mock://local",
  baseUrlEnv: undefined,
  chatUrl: (baseUrl) => `${baseUrl}/chat/completions`,
  embeddingsUrl: (baseUrl) => `${baseUrl}/embeddings`,
  headers: () => ({ "content-type": "application/json" }),
  models: MOCK_MODELS
}
