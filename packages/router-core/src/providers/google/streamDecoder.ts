/**
 * Gemini's `streamGenerateContent?alt=sse`, read: each whole response drives a `ClientSink`, usage
 * and finish reason kept in the stream's state.
 */
import { fromGeminiFinish } from "../../translate/FinishReason.ts"
import {
  fault,
  malformed,
  parse,
  truncated,
  type UpstreamErrorData
} from "../../translate/stream/DecoderFaults.ts"
import type { ClientSink, StreamDecoder, StreamState } from "../../translate/stream/Sink.ts"
import { newToolCallId, withSignature } from "../../translate/ToolCallId.ts"
import { fromGeminiUsage } from "../../translate/Usage.ts"
import type { GeminiResponse } from "./wire.ts"

export const geminiDecoder = (
  state: StreamState,
  sink: ClientSink,
  idPrefix: "call_" | "toolu_"
): StreamDecoder => {
  const meter = state.meter
  let tools = 0
  let begun = false
  return {
    event(_name, data) {
      if (state.done) return
      const r = parse(data) as (GeminiResponse & UpstreamErrorData) | undefined
      if (typeof r !== "object" || r === null) return malformed(state, sink, "Gemini")
      if (r.error !== undefined)
        return fault(state, sink, "upstream_error", "api_error", r.error.message ?? "Upstream error")
      const candidate = r.candidates?.[0]
      // Usage first, so a client stream that starts here already knows the prompt size. It is
      // cumulative, and final once the finish reason has been given.
      if (r.usageMetadata !== undefined) {
        meter.set(
          fromGeminiUsage(r.usageMetadata),
          candidate?.finishReason !== undefined || state.finishReason !== undefined
        )
      }
      if (!begun) {
        begun = true
        sink.begin()
      }
      const parts = candidate?.content?.parts
      if (parts !== undefined) {
        for (let i = 0; i < parts.length; i++) {
          const p = parts[i]!
          const fc = p.functionCall
          if (fc !== undefined) {
            const key = tools++
            const id = fc.id ?? newToolCallId(idPrefix)
            const args = JSON.stringify(fc.args ?? {})
            meter.sentChars += fc.name.length + args.length
            sink.toolStart(
              key,
              p.thoughtSignature === undefined ? id : withSignature(id, p.thoughtSignature),
              fc.name
            )
            sink.toolArgs(key, args)
          } else if (typeof p.text === "string" && p.text !== "") {
            meter.sentChars += p.text.length
            if (p.thought === true) sink.reasoning(p.text)
            else sink.text(p.text)
          }
        }
      }
      if (candidate?.finishReason !== undefined) {
        state.finishReason = fromGeminiFinish(candidate.finishReason, tools > 0)
        sink.finish(state.finishReason, null)
      } else if (candidate === undefined && r.promptFeedback?.blockReason !== undefined) {
        state.finishReason = "content_filter"
        sink.finish(state.finishReason, null)
      }
    },
    end() {
      if (state.done) return
      // Gemini has no end event: the body ends after the chunk that carries the finish reason.
      if (state.finishReason !== undefined) {
        state.completed = true
        sink.end()
      } else truncated(state, sink, "Gemini")
    }
  }
}
