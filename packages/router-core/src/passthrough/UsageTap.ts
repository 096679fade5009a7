/**
 * Usage accounting for answers passed through untouched (client and upstream speak the same
 * format): the bytes go to the client as they came, and only the events that carry usage are
 * parsed. OpenAI reports usage in the final chunk (when `include_usage` was asked for); Anthropic
 * in `message_start` and `message_delta`. Content events are scanned (not parsed) for the length of
 * the text they carry, so a stream that ends without final figures (the client left, the upstream
 * broke, or an OpenAI-compatible upstream ignored `include_usage`) is billed for the text sent,
 * marked estimated, rather than recorded as zero.
 */
import type { TokenUsage } from "@switchyard/domain"
import { Either } from "effect"
import { createParser, type EventSourceMessage } from "eventsource-parser"
import type { AnthropicUsage } from "../providers/anthropic/wire.ts"
import type { OpenAIUsage } from "../providers/openai/wire.ts"
import { fromResponsesUsage } from "../providers/responses/usage.ts"
import type { ResponsesUsage } from "../providers/responses/wire.ts"
import { type InputEstimate, responseUsage } from "../translate/Response.ts"
import { stringLength } from "../translate/stream/scan.ts"
import { fromAnthropicUsage, fromOpenAIUsage, UsageMeter } from "../translate/Usage.ts"

/** The same-format paths the tap understands. */
export type PassthroughFormat = "openai" | "anthropic" | "responses"

/** Reported when the upstream gave no usage at all. */
export const NO_USAGE: TokenUsage = {
  inputTokens: 0,
  outputTokens: 0,
  cachedInputTokens: 0,
  cacheCreationTokens: 0,
  reasoningTokens: 0,
  estimated: true
}

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null

/**
 * Usage of a complete (non-streamed) answer, already parsed. An answer without usage (some
 * OpenAI-compatible servers) is estimated from its text and `estimatedInputTokens`, marked so.
 */
export const jsonUsage = (
  format: PassthroughFormat,
  body: unknown,
  estimatedInputTokens?: InputEstimate
): TokenUsage => {
  if (!isObject(body)) return NO_USAGE
  if (!isObject(body.usage))
    return Either.getOrElse(responseUsage(body, format, estimatedInputTokens), () => NO_USAGE)
  return format === "openai"
    ? fromOpenAIUsage(body.usage as unknown as OpenAIUsage)
    : format === "anthropic"
      ? fromAnthropicUsage(body.usage as AnthropicUsage)
      : fromResponsesUsage(body.usage as Partial<ResponsesUsage>)
}

/** Watches a passed-through SSE stream for usage. */
export interface UsageTap {
  /** Feeds the next chunk of bytes, exactly as forwarded. */
  readonly feed: (chunk: Uint8Array) => void
  /** Usage seen so far (estimated when the stream ended before its final figures). */
  readonly usage: () => TokenUsage
}

/**
 * A tap for one stream. `estimatedInputTokens` is the prompt size billed when the upstream never
 * reports it (see `estimateInputTokens`); without it such a prompt counts as zero.
 */
export const makeUsageTap = (format: PassthroughFormat, estimatedInputTokens?: InputEstimate): UsageTap => {
  const decoder = new TextDecoder()
  const meter = new UsageMeter(estimatedInputTokens)
  const onEvent =
    format === "openai"
      ? (event: EventSourceMessage) => {
          const data = event.data
          // Every chunk may carry `"usage":null`; only the final one has figures.
          const at = data.indexOf('"usage"')
          if (at >= 0) {
            let value = data.indexOf(":", at + 7) + 1
            while (data.charCodeAt(value) === 32) value++
            if (!data.startsWith("null", value)) {
              const chunk = safeParse(data)
              if (isObject(chunk) && isObject(chunk.usage)) {
                meter.set(fromOpenAIUsage(chunk.usage as unknown as OpenAIUsage), true)
                return
              }
            }
          }
          meter.sentChars +=
            stringLength(data, '"content"') +
            stringLength(data, '"reasoning_content"') +
            stringLength(data, '"arguments"') +
            stringLength(data, '"refusal"')
        }
      : format === "responses"
        ? (event: EventSourceMessage) => {
            // The final Response (completed, incomplete or failed) carries the usage; deltas
            // carry the text sent.
            const name = event.event
            const data = event.data
            if (name !== undefined ? FINAL_RESPONSE_EVENTS.has(name) : data.includes('"usage"')) {
              const parsed = safeParse(data)
              const response = isObject(parsed) ? parsed.response : undefined
              if (isObject(response) && isObject(response.usage)) {
                meter.set(fromResponsesUsage(response.usage as Partial<ResponsesUsage>), true)
                return
              }
            }
            meter.sentChars += stringLength(data, '"delta"')
          }
        : (event: EventSourceMessage) => {
            if (event.event === "content_block_delta") {
              const data = event.data
              meter.sentChars +=
                stringLength(data, '"text"') +
                stringLength(data, '"partial_json"') +
                stringLength(data, '"thinking"')
              return
            }
            if (event.event !== "message_start" && event.event !== "message_delta") return
            const parsed = safeParse(event.data)
            if (!isObject(parsed)) return
            const usage =
              event.event === "message_start" && isObject(parsed.message)
                ? parsed.message.usage
                : parsed.usage
            if (isObject(usage))
              meter.mergeAnthropic(usage as AnthropicUsage, event.event === "message_delta")
          }
  const parser = createParser({ onEvent })
  return {
    feed: (chunk) => parser.feed(decoder.decode(chunk, { stream: true })),
    usage: () => meter.result()
  }
}

/** Responses stream events that carry the finished Response. */
const FINAL_RESPONSE_EVENTS = new Set(["response.completed", "response.incomplete", "response.failed"])

const safeParse = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
