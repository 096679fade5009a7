/**
 * The wire formats translation speaks, on either side of the router.
 */

/**
 * Formats clients send to Switchyard: OpenAI chat completions, Anthropic messages, or OpenAI's
 * Responses API.
 */
export type ClientFormat = "openai" | "anthropic" | "responses"

/**
 * Formats Switchyard sends upstream: OpenAI chat completions (OpenAI, xAI, every OpenAI-compatible
 * server), Anthropic messages, Google Gemini generateContent, and OpenAI's Responses API (only for
 * Responses clients, whose requests reach OpenAI untranslated).
 */
export type UpstreamFormat = "openai" | "anthropic" | "gemini" | "responses"
