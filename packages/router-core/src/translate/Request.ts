/**
 * Request translation: a validated client request → the body to send upstream, plus the fields
 * that could not be carried (`x-switchyard-dropped`), or a strict-mode refusal naming them.
 */
import { StrictModeViolation } from "@switchyard/domain"
import { Either } from "effect"
import { fromAnthropic } from "../providers/anthropic/fromAnthropic.ts"
import { toAnthropic } from "../providers/anthropic/toAnthropic.ts"
import { type ModelCapabilities, permissive } from "../providers/Capabilities.ts"
import { toGemini } from "../providers/google/toGemini.ts"
import { fromOpenAI } from "../providers/openai/fromOpenAI.ts"
import { toOpenAI } from "../providers/openai/toOpenAI.ts"
import { fromResponses } from "../providers/responses/fromResponses.ts"
import { type CanonicalRequest, Dropped } from "./Canonical.ts"
import type { ClientRequest } from "./ClientRequest.ts"
import type { UpstreamFormat } from "./Formats.ts"
import { emulate, needsEmulation } from "./StructuredOutput.ts"

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
  /** What the upstream model takes (the provider spec's `capabilities`). Default: everything. */
  readonly capabilities?: ModelCapabilities
}

/** A translated request body and the client fields it could not carry. */
export interface TranslatedRequest {
  readonly body: unknown
  readonly dropped: ReadonlyArray<string>
  /**
   * Structured output emulated with a forced tool call: the tool whose call the answer's readers
   * turn into the answer's text (`ResponseContext.outputTool`, `StreamContext.outputTool`).
   */
  readonly outputTool?: string | undefined
}

/** The structured output a client request asks for, without reading the whole request. */
const structuredOutputOf = (req: ClientRequest): unknown => {
  if (req.format === "anthropic") {
    const config = req.body.output_config
    const format =
      typeof config === "object" && config !== null ? (config as { format?: unknown }).format : undefined
    return format ?? req.body.output_format ?? undefined
  }
  if (req.format === "responses") {
    const format = req.body.text?.format
    return format === null || format === undefined || format.type === "text" ? undefined : format
  }
  const rf = req.body.response_format
  return rf === null || rf === undefined || rf.type === "text" ? undefined : rf
}

/**
 * Whether a request whose client and upstream speak the same format must still be translated: its
 * structured output has to be emulated for the target model (a Claude model older than native
 * structured output, say). Reads no more than the request's own structured output field.
 */
export const mustTranslateSameFormat = (
  req: ClientRequest,
  capabilitiesOf: (model: string) => ModelCapabilities,
  upstreamModel: string
): boolean => {
  const rf = structuredOutputOf(req)
  if (rf === undefined) return false
  const caps = capabilitiesOf(upstreamModel)
  const tools = req.body.tools
  return (
    caps.structuredOutput === "tool" ||
    (!caps.structuredOutputWithTools && Array.isArray(tools) && tools.length > 0)
  )
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
  const caps = opts.capabilities ?? permissive
  if (req.format === to && !mustTranslateSameFormat(req, () => caps, opts.upstreamModel)) {
    const body: Record<string, unknown> = { ...req.body, model: opts.upstreamModel }
    if (req.format === "openai" && req.stream) {
      const so = req.body.stream_options
      body.stream_options =
        so === null || so === undefined ? { include_usage: true } : { ...so, include_usage: true }
    }
    return Either.right({ body, dropped: NOTHING_DROPPED })
  }
  const dropped = new Dropped()
  let c = toCanonical(req, dropped)
  let outputTool: string | undefined
  const rf = c.responseFormat
  if (rf !== undefined && needsEmulation(rf, c.tools.length > 0, to, caps)) {
    const emulated = emulate(c, rf, to, req.format, dropped)
    c = emulated.request
    outputTool = emulated.tool
  }
  const body =
    to === "openai"
      ? toOpenAI(
          c,
          opts.upstreamModel,
          {
            origin: req.format,
            maxTokensField: opts.openaiMaxTokensField ?? "max_completion_tokens",
            capabilities: caps
          },
          dropped
        )
      : to === "anthropic"
        ? toAnthropic(
            c,
            opts.upstreamModel,
            {
              origin: req.format,
              defaultMaxTokens: opts.anthropicDefaultMaxTokens ?? 8192,
              capabilities: caps
            },
            dropped
          )
        : to === "gemini"
          ? toGemini(c, { origin: req.format, capabilities: caps }, dropped)
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
  return Either.right({ body, dropped: fields, outputTool })
}
