/**
 * How a provider serves OpenAI-format embeddings (`POST /v1/embeddings`): where to send them, the
 * body to send, and the answer back in OpenAI's list format. A provider without it has no
 * embeddings through Switchyard.
 */

/** A JSON object. */
export type Json = Record<string, unknown>

/** A client field the provider cannot carry (a 400 naming it). */
export class EmbeddingsRefusal {
  constructor(
    readonly field: string,
    readonly message: string
  ) {}
}

/** The upstream's answer in OpenAI's list format, with whether its token count was estimated. */
export interface EmbeddingsAnswer {
  readonly body: Json
  readonly estimated: boolean
}

/** A provider's embeddings endpoint and translation. */
export interface Embeddings {
  readonly url: (baseUrl: string, upstreamModel: string) => string
  /** The body to send for a validated OpenAI embeddings request. */
  readonly request: (body: Json, upstreamModel: string) => Json | EmbeddingsRefusal
  /**
   * The upstream's answer in OpenAI's format, `undefined` when it is malformed; absent when the
   * upstream answers in OpenAI's format already (its body goes to the client untouched).
   */
  readonly response?: (answer: unknown, requestedModel: string, request: Json) => EmbeddingsAnswer | undefined
}
