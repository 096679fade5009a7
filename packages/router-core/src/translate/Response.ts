/**
 * Non-streamed response translation: an upstream JSON answer → the client's format, with its
 * token usage. Each provider reads its own format and each client format writes its own
 * (`providers/<name>/response.ts`); this module only picks them.
 */
import type { MalformedUpstream, TokenUsage } from "@switchyard/domain"
import { Either } from "effect"
import { readAnthropic, writeAnthropic } from "../providers/anthropic/response.ts"
import { readGemini } from "../providers/google/response.ts"
import { readOpenAI, writeOpenAI } from "../providers/openai/response.ts"
import { readResponses, writeResponses } from "../providers/responses/response.ts"
import type { CanonicalResponse, InputEstimate, ResponseContext } from "./CanonicalResponse.ts"
import type { ClientFormat, UpstreamFormat } from "./Formats.ts"
import { unwrapOutputTool } from "./StructuredOutput.ts"

export type { InputEstimate, ResponseContext } from "./CanonicalResponse.ts"

/**
 * The usage to bill: as reported, or, when the upstream reported none (the answer's output was
 * estimated from its text), with the request's estimated prompt size rather than zero.
 */
const withInputEstimate = (usage: TokenUsage, estimate: InputEstimate | undefined): TokenUsage =>
  usage.estimated && estimate !== undefined
    ? { ...usage, inputTokens: typeof estimate === "function" ? estimate() : estimate }
    : usage

/** Each upstream format's reader (Gemini's tool call ids follow the client's style). */
const readers: Readonly<
  Record<
    UpstreamFormat,
    (u: unknown, to: ClientFormat) => Either.Either<CanonicalResponse, MalformedUpstream>
  >
> = {
  openai: readOpenAI,
  anthropic: readAnthropic,
  gemini: readGemini,
  responses: readResponses
}

/** Each client format's writer. */
const writers: Readonly<Record<ClientFormat, (c: CanonicalResponse, ctx: ResponseContext) => unknown>> = {
  openai: writeOpenAI,
  anthropic: writeAnthropic,
  responses: writeResponses
}

/** Token usage of an upstream JSON answer, without translating it (same-format passthrough). */
export const responseUsage = (
  upstreamJson: unknown,
  from: UpstreamFormat,
  estimatedInputTokens?: InputEstimate
): Either.Either<TokenUsage, MalformedUpstream> =>
  Either.map(readers[from](upstreamJson, "openai"), (c) => withInputEstimate(c.usage, estimatedInputTokens))

/**
 * Translates a non-streamed upstream answer for the client. Same format: the body is returned as
 * the upstream sent it (only its usage is read), unless structured output was emulated, whose
 * tool call becomes the answer's text.
 */
export const translateResponse = (
  upstreamJson: unknown,
  from: UpstreamFormat,
  to: ClientFormat,
  ctx: ResponseContext
): Either.Either<{ body: unknown; usage: TokenUsage }, MalformedUpstream> =>
  Either.map(readers[from](upstreamJson, to), (c) => ({
    body:
      ctx.outputTool !== undefined
        ? writers[to](unwrapOutputTool(c, ctx.outputTool), ctx)
        : from === to
          ? upstreamJson
          : writers[to](c, ctx),
    usage: withInputEstimate(c.usage, ctx.estimatedInputTokens)
  }))
