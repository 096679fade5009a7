/**
 * Streaming translation: upstream SSE bytes in, client SSE bytes out, one web `TransformStream`
 * per request, event by event as the bytes arrive (nothing is buffered beyond an incomplete
 * event). `eventsource-parser` frames the events (CRLF, comments, pings, splits anywhere); a
 * streaming `TextDecoder` keeps multi-byte characters split across chunks whole.
 *
 * Same format (openai→openai, anthropic→anthropic) forwards the upstream's bytes untouched and
 * only reads the events for usage, except that OpenAI's usage-only final chunk (which Switchyard
 * always asks for) is removed for clients that did not ask for usage, and supplied to clients
 * that did when the upstream left it out.
 */
import type { TokenUsage } from "@switchyard/domain"
import { createParser, type EventSourceMessage } from "eventsource-parser"
import { anthropicDecoder } from "../providers/anthropic/streamDecoder.ts"
import { AnthropicEncoder } from "../providers/anthropic/streamEncoder.ts"
import { geminiDecoder } from "../providers/google/streamDecoder.ts"
import { openaiDecoder } from "../providers/openai/streamDecoder.ts"
import { OpenAIEncoder, openaiUsageChunk } from "../providers/openai/streamEncoder.ts"
import type { OpenAIChunk } from "../providers/openai/wire.ts"
import { newResponseId } from "../providers/responses/ids.ts"
import { ResponsesEncoder } from "../providers/responses/streamEncoder.ts"
import type { ResponsesRequest } from "../providers/responses/wire.ts"
import { formatError } from "./Errors.ts"
import type { FinishReason } from "./FinishReason.ts"
import type { ClientFormat, UpstreamFormat } from "./Formats.ts"
import { OutputToolSink } from "./stream/OutputToolSink.ts"
import { anthropicPassthroughDecoder, openaiPassthroughDecoder } from "./stream/passthroughDecoders.ts"
import {
  type ClientSink,
  nullSink,
  type StreamDecoder,
  type StreamFault,
  StreamState
} from "./stream/Sink.ts"
import { newToolCallId } from "./ToolCallId.ts"

export type { StreamFault } from "./stream/Sink.ts"

/** Context of a stream translation. */
export interface StreamContext {
  /** The model name the client asked for: what translated chunks show as `model`. */
  readonly requestedModel: string
  /** OpenAI clients: `stream_options.include_usage` was set. */
  readonly clientWantsUsage: boolean
  /** The id translated chunks carry; made up when absent. */
  readonly id?: string
  /**
   * Prompt tokens to bill if the upstream never reports them, or a function computing them only
   * then, e.g. `() => estimateInputTokens(req)`.
   */
  readonly estimatedInputTokens?: number | (() => number)
  /** Clock for `firstByteAt`; default `Date.now`. */
  readonly now?: () => number
  /** The request as forwarded: Responses clients see its settings repeated in the stream's Responses. */
  readonly request?: unknown
  /** The forced tool of an emulated structured output: its call is streamed as answer text. */
  readonly outputTool?: string | undefined
}

/** One stream's translation and what it observed. */
export interface StreamTranslator {
  /** Upstream SSE bytes in, client SSE bytes out. */
  readonly stream: TransformStream<Uint8Array, Uint8Array>
  /** Usage merged across the events so far; estimated (and marked so) until the final report. */
  usage(): TokenUsage
  /** When the first byte was handed to the client (`ctx.now` clock), if any was. */
  readonly firstByteAt: number | undefined
  /** The upstream completed normally. */
  readonly finished: boolean
  /** Why the stream did not complete normally, once known (the client got an error event). */
  readonly error: StreamFault | undefined
  /** The upstream's finish reason, neutral vocabulary. */
  readonly finishReason: FinishReason | undefined
}

const DECODE_STREAM: TextDecodeOptions = { stream: true }

const decoderFor = (
  from: UpstreamFormat,
  to: ClientFormat,
  state: StreamState,
  sink: ClientSink
): StreamDecoder =>
  from === "openai"
    ? openaiDecoder(state, sink)
    : from === "anthropic"
      ? anthropicDecoder(state, sink)
      : from === "gemini"
        ? geminiDecoder(state, sink, to === "anthropic" ? "toolu_" : "call_")
        : passedThroughOnly(from)

/** A Responses upstream answers only Responses clients, whose streams are passed through. */
const passedThroughOnly = (from: UpstreamFormat): never => {
  throw new Error(`the ${from} stream format is passed through, never translated`)
}

/** A text that ends with a blank line: the chunk ends exactly at an event boundary. */
const endsAtBoundary = (text: string): boolean => {
  const n = text.length
  return (
    n >= 2 &&
    text.charCodeAt(n - 1) === 10 &&
    (text.charCodeAt(n - 2) === 10 ||
      (n >= 4 && text.charCodeAt(n - 2) === 13 && text.charCodeAt(n - 3) === 10))
  )
}

/**
 * An event written back as SSE text with the upstream's line ends, so that a standard event
 * comes out as the same bytes it came in as (multi-line data is split back into lines).
 */
const frame = (ev: EventSourceMessage, eol: string): string => {
  const data = ev.data.includes("\n") ? ev.data.replaceAll("\n", `${eol}data: `) : ev.data
  return ev.event === undefined
    ? `data: ${data}${eol}${eol}`
    : `event: ${ev.event}${eol}data: ${data}${eol}${eol}`
}

class Translator implements StreamTranslator {
  readonly stream: TransformStream<Uint8Array, Uint8Array>
  firstByteAt: number | undefined = undefined
  private readonly state: StreamState

  constructor(from: UpstreamFormat, to: ClientFormat, ctx: StreamContext) {
    const now = ctx.now ?? Date.now
    const state = new StreamState(ctx.estimatedInputTokens)
    this.state = state
    const textDecoder = new TextDecoder()
    const textEncoder = new TextEncoder()

    if (from === to && ctx.outputTool === undefined) {
      if (from === "responses") passedThroughOnly(from)
      this.stream =
        from === "openai"
          ? this.openaiPassthrough(ctx, now, textDecoder, textEncoder)
          : this.anthropicPassthrough(now, textDecoder, textEncoder)
      return
    }

    const encoder: ClientSink =
      to === "openai"
        ? new OpenAIEncoder(
            ctx.id ?? `chatcmpl-${newToolCallId("call_").slice(5)}`,
            ctx.requestedModel,
            state.meter,
            ctx.clientWantsUsage
          )
        : to === "anthropic"
          ? new AnthropicEncoder(
              ctx.id ?? `msg_${newToolCallId("toolu_").slice(6)}`,
              ctx.requestedModel,
              state.meter
            )
          : new ResponsesEncoder(
              ctx.id ?? newResponseId(),
              ctx.requestedModel,
              state.meter,
              ctx.request as ResponsesRequest | undefined
            )
    const sink = ctx.outputTool === undefined ? encoder : new OutputToolSink(encoder, ctx.outputTool)
    const decoder = decoderFor(from, to, state, sink)
    const parser = createParser({ onEvent: (ev) => decoder.event(ev.event, ev.data) })
    const emit = (controller: TransformStreamDefaultController<Uint8Array>) => {
      const out = sink.take()
      if (out === "") return
      if (this.firstByteAt === undefined) this.firstByteAt = now()
      controller.enqueue(textEncoder.encode(out))
    }
    this.stream = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        parser.feed(textDecoder.decode(chunk, DECODE_STREAM))
        emit(controller)
      },
      flush(controller) {
        // A last event without its closing blank line still counts.
        state.ending = true
        parser.feed(`${textDecoder.decode()}\n\n`)
        decoder.end()
        emit(controller)
      }
    })
  }

  /** Anthropic → Anthropic: the bytes go through as they came; events are read for usage only. */
  private anthropicPassthrough(
    now: () => number,
    textDecoder: TextDecoder,
    textEncoder: TextEncoder
  ): TransformStream<Uint8Array, Uint8Array> {
    const state = this.state
    let failure = ""
    const sink: ClientSink = {
      ...nullSink,
      fail: (type, message) => {
        failure = `event: error\ndata: ${JSON.stringify(formatError("anthropic", 502, type, message))}\n\n`
      }
    }
    const decoder = anthropicPassthroughDecoder(state, sink)
    const parser = createParser({ onEvent: (ev) => decoder.event(ev.event, ev.data) })
    return new TransformStream<Uint8Array, Uint8Array>({
      transform: (chunk, controller) => {
        if (this.firstByteAt === undefined) this.firstByteAt = now()
        controller.enqueue(chunk)
        parser.feed(textDecoder.decode(chunk, DECODE_STREAM))
      },
      flush(controller) {
        state.ending = true
        parser.feed(`${textDecoder.decode()}\n\n`)
        decoder.end()
        // Only a stream that broke off gets an event of ours: the upstream's own error events
        // already reached the client.
        if (state.fault?.kind === "truncated" || state.fault?.kind === "malformed") {
          controller.enqueue(textEncoder.encode(failure))
        }
      }
    })
  }

  /**
   * OpenAI → OpenAI. A chunk that holds only whole events none of which needs changing goes
   * through as the same bytes; otherwise its complete events are written back one by one (their
   * data untouched) with the usage chunk dropped or supplied as the client asked.
   */
  private openaiPassthrough(
    ctx: StreamContext,
    now: () => number,
    textDecoder: TextDecoder,
    textEncoder: TextEncoder
  ): TransformStream<Uint8Array, Uint8Array> {
    const state = this.state
    const meter = state.meter
    const wantsUsage = ctx.clientWantsUsage
    let failure = ""
    const sink: ClientSink = {
      ...nullSink,
      fail: (type, message) => {
        failure = `data: ${JSON.stringify(formatError("openai", 502, type, message))}\n\n`
      }
    }
    let current: OpenAIChunk | undefined
    const decoder = openaiPassthroughDecoder(state, sink, (c) => {
      current = c
    })
    let sawUsage = false
    let sawDone = false
    // The first chunk, read only if a usage chunk has to be written in the upstream's name.
    let firstData: string | undefined
    const usageChunk = () => {
      let head: { id?: unknown; created?: unknown; model?: unknown } = {}
      try {
        head = firstData === undefined ? {} : JSON.parse(firstData)
      } catch {
        // an unreadable first chunk: the usage chunk gets Switchyard's own id
      }
      return openaiUsageChunk(
        typeof head.id === "string" ? head.id : "chatcmpl-switchyard",
        typeof head.created === "number" ? head.created : Math.floor(Date.now() / 1000),
        typeof head.model === "string" ? head.model : ctx.requestedModel,
        meter
      )
    }
    // Per upstream chunk: the events it completed, rewritten, and whether any of them changed.
    let rewritten = ""
    let changed = false
    // The upstream's line end, learnt from its first one.
    let eol = ""
    let endedWithCr = false
    const onEvent = (ev: EventSourceMessage) => {
      current = undefined
      const faultBefore = state.fault
      decoder.event(ev.event, ev.data)
      if (state.fault !== faultBefore && state.fault?.kind !== "upstream_error") {
        // A malformed or cut-off event is not passed on; the client gets an error event instead.
        // (The upstream's own error events go through as they are.)
        changed = true
        return
      }
      if (ev.data === "[DONE]") {
        sawDone = true
        if (wantsUsage && !sawUsage) {
          // The upstream ignored include_usage: the client still gets the usage it asked for.
          rewritten += usageChunk()
          changed = true
        }
        rewritten += frame(ev, eol)
        return
      }
      if (firstData === undefined) firstData = ev.data
      const c = current as OpenAIChunk | undefined
      if (c !== undefined) {
        if (typeof c.usage === "object" && c.usage !== null) {
          sawUsage = true
          if (!wantsUsage) {
            // Usage was Switchyard's request, not the client's: drop the usage-only chunk, or
            // the usage of a chunk that also carries a choice.
            changed = true
            if (Array.isArray(c.choices) && c.choices.length > 0) {
              const { usage: _, ...rest } = c
              rewritten += `data: ${JSON.stringify(rest)}${eol}${eol}`
            }
            return
          }
        }
      }
      rewritten += frame(ev, eol)
    }
    const parser = createParser({ onEvent })
    let atBoundary = true
    return new TransformStream<Uint8Array, Uint8Array>({
      transform: (chunk, controller) => {
        const text = textDecoder.decode(chunk, DECODE_STREAM)
        if (eol === "") {
          const lf = text.indexOf("\n")
          if (lf >= 0) eol = (lf > 0 ? text.charCodeAt(lf - 1) === 13 : endedWithCr) ? "\r\n" : "\n"
          else if (text !== "") endedWithCr = text.charCodeAt(text.length - 1) === 13
        }
        rewritten = ""
        changed = false
        parser.feed(text)
        const clean = atBoundary && !changed && endsAtBoundary(text)
        atBoundary = endsAtBoundary(text)
        if (clean) {
          if (this.firstByteAt === undefined) this.firstByteAt = now()
          controller.enqueue(chunk)
        } else if (rewritten !== "") {
          if (this.firstByteAt === undefined) this.firstByteAt = now()
          controller.enqueue(textEncoder.encode(rewritten))
        }
      },
      flush(controller) {
        rewritten = ""
        state.ending = true
        parser.feed(`${textDecoder.decode()}\n\n`)
        decoder.end()
        let tail = rewritten
        if (state.fault?.kind === "truncated" || state.fault?.kind === "malformed") tail += failure
        else if (state.completed && wantsUsage && !sawUsage && !sawDone) {
          tail += usageChunk()
        }
        if (tail !== "") controller.enqueue(textEncoder.encode(tail))
      }
    })
  }

  usage(): TokenUsage {
    return this.state.meter.result()
  }
  get finished(): boolean {
    return this.state.completed
  }
  get error(): StreamFault | undefined {
    return this.state.fault
  }
  get finishReason(): FinishReason | undefined {
    return this.state.finishReason
  }
}

/** Makes the translator of one upstream stream into the client's format. */
export const makeStreamTranslator = (
  from: UpstreamFormat,
  to: ClientFormat,
  ctx: StreamContext
): StreamTranslator => new Translator(from, to, ctx)
