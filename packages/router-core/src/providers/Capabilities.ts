/**
 * What a model takes, per model family: the request writers consult it so that a field a model
 * would refuse is not sent (reasoning controls to a model without reasoning), and so that what a
 * model cannot do natively is done another way (structured output through a forced tool call).
 * Each provider's folder has the table of its own families (`providers/<name>/capabilities.ts`).
 */

/** What one upstream model takes. */
export interface ModelCapabilities {
  /**
   * How a JSON-schema answer is obtained: the provider's own structured output (`native`), or a
   * forced call to a tool whose input schema is the answer's schema (`tool`), its arguments then
   * handed to the client as the answer's text.
   */
  readonly structuredOutput: "native" | "tool"
  /** Native structured output can be asked for in a request that also offers function tools. */
  readonly structuredOutputWithTools: boolean
  /**
   * The reasoning control the model takes: `supported` (the format's own field: OpenAI's
   * `reasoning_effort`, Anthropic's `thinking` budget, Gemini's `thinkingConfig`), `adaptive`
   * (Anthropic models that take only adaptive thinking with an effort), or `none` (the field is
   * dropped and reported rather than sent to a model that would refuse the request).
   */
  readonly reasoning: "supported" | "adaptive" | "none"
}

/**
 * A model nothing is known about (an OpenAI-compatible server's, the mock's): everything is sent
 * as the client asked, and the server decides.
 */
export const permissive: ModelCapabilities = {
  structuredOutput: "native",
  structuredOutputWithTools: true,
  reasoning: "supported"
}
