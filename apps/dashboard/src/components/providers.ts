/** The providers a user can store a credential for, as the UI names them. */
import { ProviderId } from "@switchyard/domain"

const labels: Record<ProviderId, string> = {
  openai: "OpenAI",
  anthropic: "Anthropic",
  google: "Google Gemini",
  xai: "xAI",
  "openai-compatible": "OpenAI-compatible"
}

export const providerLabel = (provider: string): string =>
  (labels as Record<string, string>)[provider] ?? provider

export const providerOptions = ProviderId.literals.map((value) => ({ value, label: labels[value] }))
