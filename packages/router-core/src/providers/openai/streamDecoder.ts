/**
 * OpenAI's chat completion stream, read: each chunk's deltas drive a `ClientSink`, usage and
 * finish reason kept in the stream's state.
 */
import { fromOpenAIFinish } from "../../translate/FinishReason.ts"
import {
  fault,
  malformed,
  parse,
  truncated,
  type UpstreamErrorData
} from "../../translate/stream/DecoderFaults.ts"
import type { ClientSink, StreamDecoder, StreamState } from "../../translate/stream/Sink.ts"
import { newToolCallId } from "../../translate/ToolCallId.ts"
import { fromOpenAIUsage } from "../../translate/Usage.ts"
import type { OpenAIChunk } from "./wire.ts"

/**
 * OpenAI chat completion chunks (`data: {…}` … `data: [DONE]`). `onChunk` sees every parsed chunk
 * first (same-format passthrough inspects them without parsing twice).
 */
export const openaiDecoder = (
  state: StreamState,
  sink: ClientSink,
  onChunk?: (chunk: OpenAIChunk) => void
): StreamDecoder => {
  const meter = state.meter
  // OpenAI tool-call index → whether its start was passed on.
  const started: Array<boolean> = []
  const waiting: Array<{ id: string | undefined; args: string } | undefined> = []
  let begun = false
  return {
    event(_name, data) {
      if (state.done) return
      if (data === "[DONE]") {
        state.completed = true
        sink.end()
        return
      }
      const c = parse(data) as (OpenAIChunk & UpstreamErrorData) | undefined
      if (typeof c !== "object" || c === null) return malformed(state, sink, "OpenAI-compatible")
      if (onChunk !== undefined) onChunk(c)
      if (c.error !== undefined) {
        return fault(
          state,
          sink,
          "upstream_error",
          c.error.type ?? "api_error",
          c.error.message ?? "Upstream error"
        )
      }
      if (!begun) {
        begun = true
        sink.begin()
      }
      if (typeof c.usage === "object" && c.usage !== null) meter.set(fromOpenAIUsage(c.usage), true)
      const choice = c.choices?.[0]
      if (choice === undefined) return
      const d = choice.delta
      if (d !== undefined && d !== null) {
        const reasoning = d.reasoning_content ?? d.reasoning
        if (typeof reasoning === "string" && reasoning !== "") {
          meter.sentChars += reasoning.length
          sink.reasoning(reasoning)
        }
        if (typeof d.content === "string" && d.content !== "") {
          meter.sentChars += d.content.length
          sink.text(d.content)
        }
        if (typeof d.refusal === "string" && d.refusal !== "") {
          meter.sentChars += d.refusal.length
          sink.text(d.refusal)
        }
        const calls = d.tool_calls
        if (calls !== undefined && calls !== null) {
          for (let i = 0; i < calls.length; i++) {
            const t = calls[i]!
            const key = typeof t.index === "number" ? t.index : i
            const fn = t.function
            const args = fn?.arguments
            if (started[key] !== true) {
              // Some servers send the id before the name: a call starts once it has a name.
              let pending = waiting[key]
              if (pending === undefined) {
                pending = { id: undefined, args: "" }
                waiting[key] = pending
              }
              if (t.id !== undefined) pending.id = t.id
              if (typeof args === "string") pending.args += args
              if (fn?.name === undefined || fn.name === "") continue
              started[key] = true
              waiting[key] = undefined
              meter.sentChars += fn.name.length
              sink.toolStart(key, pending.id ?? newToolCallId("call_"), fn.name)
              if (pending.args !== "") {
                meter.sentChars += pending.args.length
                sink.toolArgs(key, pending.args)
              }
              continue
            }
            if (typeof args === "string" && args !== "") {
              meter.sentChars += args.length
              sink.toolArgs(key, args)
            }
          }
        }
      }
      if (choice.finish_reason !== null && choice.finish_reason !== undefined) {
        state.finishReason = fromOpenAIFinish(choice.finish_reason)
        sink.finish(state.finishReason, null)
      }
    },
    end() {
      if (state.done) return
      // Some compatible servers close without `[DONE]`: a finish reason is completion enough.
      if (state.finishReason !== undefined) {
        state.completed = true
        sink.end()
      } else truncated(state, sink, "OpenAI-compatible")
    }
  }
}
