/**
 * Anthropic's messages stream, read: named events drive a `ClientSink`, usage and stop reason kept
 * in the stream's state.
 */
import { fromAnthropicStop } from "../../translate/FinishReason.ts"
import { fault, malformed, parse, truncated } from "../../translate/stream/DecoderFaults.ts"
import type { ClientSink, StreamDecoder, StreamState } from "../../translate/stream/Sink.ts"
import type { AnthropicStreamEvent } from "./wire.ts"

/** Anthropic named events (`message_start` … `message_stop`, `ping`, `error`). */
export const anthropicDecoder = (state: StreamState, sink: ClientSink): StreamDecoder => {
  const meter = state.meter
  return {
    event(name, data) {
      if (state.done || name === "ping") return
      const e = parse(data) as AnthropicStreamEvent | undefined
      if (typeof e !== "object" || e === null) return malformed(state, sink, "Anthropic")
      switch (e.type) {
        case "message_start":
          if (typeof e.message?.usage === "object" && e.message.usage !== null)
            meter.mergeAnthropic(e.message.usage, false)
          return sink.begin()
        case "content_block_start": {
          const b = e.content_block
          if (b.type === "text") {
            if (b.text !== "") {
              meter.sentChars += b.text.length
              sink.text(b.text)
            }
          } else if (b.type === "thinking") {
            if (b.thinking !== "") {
              meter.sentChars += b.thinking.length
              sink.reasoning(b.thinking)
            }
          } else if (b.type === "tool_use") {
            meter.sentChars += b.name.length
            sink.toolStart(e.index, b.id, b.name)
            // Only a block that arrives whole carries its input here; streamed ones start at {}.
            if (typeof b.input === "object" && b.input !== null && Object.keys(b.input).length > 0) {
              const args = JSON.stringify(b.input)
              meter.sentChars += args.length
              sink.toolArgs(e.index, args)
            }
          }
          return
        }
        case "content_block_delta": {
          const d = e.delta
          switch (d.type) {
            case "text_delta":
              meter.sentChars += d.text.length
              return sink.text(d.text)
            case "input_json_delta":
              if (d.partial_json === "") return
              meter.sentChars += d.partial_json.length
              return sink.toolArgs(e.index, d.partial_json)
            case "thinking_delta":
              meter.sentChars += d.thinking.length
              return sink.reasoning(d.thinking)
            case "signature_delta":
              return sink.signature(d.signature)
            default:
              return
          }
        }
        case "message_delta":
          if (typeof e.usage === "object" && e.usage !== null) meter.mergeAnthropic(e.usage, true)
          if (e.delta?.stop_reason !== null && e.delta?.stop_reason !== undefined) {
            state.finishReason = fromAnthropicStop(e.delta.stop_reason)
            sink.finish(state.finishReason, e.delta.stop_sequence ?? null)
          }
          return
        case "message_stop":
          state.completed = true
          return sink.end()
        case "error":
          return fault(
            state,
            sink,
            "upstream_error",
            e.error?.type ?? "api_error",
            e.error?.message ?? "Upstream error"
          )
        default:
          return
      }
    },
    end() {
      if (!state.done) truncated(state, sink, "Anthropic")
    }
  }
}
