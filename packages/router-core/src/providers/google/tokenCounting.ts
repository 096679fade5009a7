/**
 * Gemini's `:countTokens`: the request translated as for `generateContent` and sent whole as its
 * `generateContentRequest` (so the system prompt and tools are counted too); the count is Gemini's
 * own `totalTokens` (exact).
 */
import { Either } from "effect"
import { translateRequest } from "../../translate/Request.ts"
import type { TokenCounting } from "../TokenCounting.ts"

/** Token counting through Gemini itself. */
export const geminiTokenCounting: TokenCounting = {
  url: (baseUrl, model) => `${baseUrl}/models/${encodeURIComponent(model)}:countTokens`,
  request: (req, upstreamModel, capabilities) =>
    Either.map(translateRequest(req, "gemini", { upstreamModel, strict: false, capabilities }), (t) => ({
      generateContentRequest: { model: `models/${upstreamModel}`, ...(t.body as Record<string, unknown>) }
    })),
  inputTokens: (answer) => {
    const n = (answer as { totalTokens?: unknown } | null)?.totalTokens
    return typeof n === "number" && Number.isInteger(n) && n >= 0 ? n : undefined
  }
}
