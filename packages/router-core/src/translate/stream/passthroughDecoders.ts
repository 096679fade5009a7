/**
 * Decoders for same-format passthrough: the bytes go to the client untouched, so events are read
 * only for accounting. Content events are scanned for their text length instead of parsed; the
 * few events that report usage, errors or the end go to the full decoder.
 */

import { anthropicDecoder } from "../../providers/anthropic/streamDecoder.ts"
import { openaiDecoder } from "../../providers/openai/streamDecoder.ts"
import type { OpenAIChunk } from "../../providers/openai/wire.ts"
import { fromOpenAIFinish } from "../FinishReason.ts"
import type { ClientSink, StreamDecoder, StreamState } from "./Sink.ts"
import { isObjectValue, plainString, stringLength } from "./scan.ts"

/**
 * OpenAI chunks. `onParsed` sees the chunks that were parsed in full: those reporting usage or an
 * error (and, once the upstream body has ended, a last event that may be cut off).
 */
export const openaiPassthroughDecoder = (
  state: StreamState,
  sink: ClientSink,
  onParsed: (chunk: OpenAIChunk) => void
): StreamDecoder => {
  const full = openaiDecoder(state, sink, onParsed)
  const meter = state.meter
  return {
    event(name, data) {
      if (state.done) return
      if (
        data === "[DONE]" ||
        state.ending ||
        isObjectValue(data, '"usage"') ||
        isObjectValue(data, '"error"')
      ) {
        return full.event(name, data)
      }
      meter.sentChars +=
        stringLength(data, '"content"') +
        stringLength(data, '"reasoning_content"') +
        stringLength(data, '"arguments"') +
        stringLength(data, '"refusal"')
      const finish = plainString(data, '"finish_reason"')
      if (finish !== undefined) state.finishReason = fromOpenAIFinish(finish)
    },
    end: full.end
  }
}

/** Anthropic events: content deltas are scanned, everything else is read by the full decoder. */
export const anthropicPassthroughDecoder = (state: StreamState, sink: ClientSink): StreamDecoder => {
  const full = anthropicDecoder(state, sink)
  const meter = state.meter
  return {
    event(name, data) {
      if (state.done || name === "ping") return
      if (!state.ending) {
        if (name === "content_block_delta") {
          meter.sentChars +=
            stringLength(data, '"text"') +
            stringLength(data, '"partial_json"') +
            stringLength(data, '"thinking"')
          return
        }
        if (name === "content_block_stop") return
      }
      full.event(name, data)
    },
    end: full.end
  }
}
