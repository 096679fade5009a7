/**
 * Request translation: a validated client request → the body to send upstream, plus the fields
 * that could not be carried (`x-switchyard-dropped`), or a strict-mode refusal naming them.
 */
import { StrictModeViolation } from "@switchyard/domain"
import { Either } from "effect"
import { fromAnthropic } from "../providers/anthropic/fromAnthropic.ts"
import { toAnthropic } from "../providers/anthropic/toAnthropic.ts"
import { toGemini } from "../providers/google/toGemini.ts"
import { fromOpenAI } from "../providers/openai/fromOpenAI.ts"
import { toOpenAI } from "../providers/openai/toOpenAI.ts"
import { fromResponses } from "../providers/responses/fromResponses.ts"
import { type CanonicalRequest, Dropped } from "./Canonical.ts"
import type { ClientRequest } from "./ClientRequest.ts"
import type { UpstreamFormat } from "./Formats.ts"

/** Options of `translateRequest`. */
export interface TranslateRequestOptions {
  /** The model name the upstream knows (Gemini's goes in the URL, so it is not in the body). */
  readonly upstreamModel: string
  /** Refuse (instead of dropping and listing) fields the upstream cannot carry. */
  readonly strict: boolean
  /** OpenAI-family upstreams: the output-limit field. Default `max_completion_tokens`. */
  readonly openaiMaxTokensField?: "max_tokens" | "max_completion_tokens"
  /** Anthropic upstreams: `max_tokens` when the client set none. Default 8192. */
  readonly anthropicDefaultMaxTokens?: number
}

/** A translated request body and the client fields it could not carry. */
export interface TranslatedRequest {
  readonly body: unknown
  readonly dropped: ReadonlyArray<string>
}

const NOTHING_DROPPED: ReadonlyArray<string> = []

/** Responses upstreams take only Responses clients' requests, which are never translated. */
const unreachable = (to: UpstreamFormat): never => {
  throw new Error(`no translation into the ${to} format`)
}

/** Reads any client request into the neutral form. */
const toCanonical = (req: ClientRequest, dropped: Dropped): CanonicalRequest =>
  req.format === "openai"
    ? fromOpenAI(req.body, dropped)
    : req.format === "anthropic"
      ? fromAnthropic(req.body, dropped)
      : fromResponses(req.body, dropped)

/**
 * Translates a client request for an upstream format. Same format: the client's body with the
 * upstream model name (and, for OpenAI streams, `stream_options.include_usage` forced on so usage
 * is always reported; the stream translator hides it from clients that did not ask).
 */
export const translateRequest = (
  req: ClientRequest,
  to: UpstreamFormat,
  opts: TranslateRequestOptions
): Either.Either<TranslatedRequest, StrictModeViolation> => {
  if (req.format === to) {
    const body: Record<string, unknown> = { ...req.body, model: opts.upstreamModel }
    if (req.format === "openai" && req.stream) {
      const so = req.body.stream_options
      body.stream_options =
        so === null || so === undefined ? { include_usage: true } : { ...so, include_usage: true }
    }
    return Either.right({ body, dropped: NOTHING_DROPPED })
  }
  const dropped = new Dropped()
  const c = toCanonical(req, dropped)
  const body =
    to === "openai"
      ? toOpenAI(
          c,
          opts.upstreamModel,
          { origin: req.format, maxTokensField: opts.openaiMaxTokensField ?? "max_completion_tokens" },
          dropped
        )
      : to === "anthropic"
        ? toAnthropic(
            c,
            opts.upstreamModel,
            { origin: req.format, defaultMaxTokens: opts.anthropicDefaultMaxTokens ?? 8192 },
            dropped
          )
        : to === "gemini"
          ? toGemini(c, { origin: req.format }, dropped)
          : unreachable(to)
  const fields = dropped.fields
  if (opts.strict && fields.length > 0) {
    return Either.left(
      new StrictModeViolation({
        field: fields[0]!,
        fields,
        message: `Strict mode: '${fields.join("', '")}' cannot be carried to the ${to} upstream`
      })
    )
  }
  return Either.right({ body, dropped: fields })
}
