/**
 * The wire formats translation speaks, on either side of the router.
 */

/** Formats clients send to Switchyard: OpenAI chat completions or Anthropic messages. */
export type ClientFormat = "openai" | "anthropic"

/**
 * Formats Switchyard sends upstream: OpenAI chat completions (OpenAI, xAI, every OpenAI-compatible
 * server), Anthropic messages, Google Gemini generateContent.
 */
export type UpstreamFormat = "openai" | "anthropic" | "gemini"
