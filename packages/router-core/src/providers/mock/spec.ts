/**
 * The built-in `mock` provider: answered in process (see `Mock.ts`) in OpenAI's wire format, so
 * everything downstream (translation, accounting) runs as for a real provider. Needs no key.
 */

import { permissive } from "../Capabilities.ts"
import { compatibleEmbeddings } from "../openai/embeddings.ts"
import type { ProviderSpec, Transport } from "../Provider.ts"
import * as Mock from "./Mock.ts"

/** The models the mock answers. */
export const MOCK_MODELS = ["echo", "error", "vibe"] as const

/** Answers a request to the mock's URLs: chat completions or embeddings, by path. */
const answer: Transport = (url, body) => {
  const model = typeof body.model === "string" ? body.model : ""
  return url.endsWith("/embeddings") ? Mock.embeddings(body, model) : Mock.chat(body, model)
}

/** The mock provider; its URL is never fetched over the network. */
export const mock: ProviderSpec = {
  id: "mock",
  format: "openai",
  defaultBaseUrl: "mock://local",
  baseUrlEnv: undefined,
  chatUrl: (baseUrl) => `${baseUrl}/chat/completions`,
  embeddings: compatibleEmbeddings,
  transport: answer,
  headers: () => ({ "content-type": "application/json" }),
  capabilities: () => permissive,
  models: MOCK_MODELS
}
