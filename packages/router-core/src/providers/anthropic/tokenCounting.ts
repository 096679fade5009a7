/**
 * Anthropic's `POST /v1/messages/count_tokens`: the client's body as it came (the model name
 * aside), the count as Anthropic gives it.
 */
import { Either } from "effect"
import type { TokenCounting } from "../TokenCounting.ts"

/** Token counting through Anthropic itself (exact). */
export const anthropicTokenCounting: TokenCounting = {
  url: (baseUrl) => `${baseUrl}/v1/messages/count_tokens`,
  request: (req, upstreamModel) => Either.right({ ...req.body, model: upstreamModel }),
  inputTokens: (answer) => {
    const n = (answer as { input_tokens?: unknown } | null)?.input_tokens
    return typeof n === "number" && Number.isInteger(n) && n >= 0 ? n : undefined
  }
}
