/**
 * Upstream stream decoders: each reads one provider's SSE events, keeps the stream's usage and
 * state, and drives a `ClientSink`.
 */
import type { AnthropicStreamEvent } from "../../wire/Anthropic.ts"
import type { GeminiResponse } from "../../wire/Gemini.ts"
import type { OpenAIChunk } from "../../wire/OpenAI.ts"
import { fromAnthropicStop, fromGeminiFinish, fromOpenAIFinish } from "../FinishReason.ts"
import { newToolCallId, withSignature } from "../ToolCallId.ts"
import { fromGeminiUsage, fromOpenAIUsage } from "../Usage.ts"
import type { ClientSink, StreamDecoder, StreamState } from "./Sink.ts"

const parse = (data: string): unknown => {
  try {
    return JSON.parse(data)
  } catch {
    return undefined
  }
}

const fault = (
  state: StreamState,
  sink: ClientSink,
  kind: "upstream_error" | "malformed" | "truncated",
  type: string,
  message: string
) => {
  state.fault = { kind, type, message }
  sink.fail(type, message)
}

const truncated = (state: StreamState, sink: ClientSink, from: string) =>
  fault(state, sink, "truncated", "api_error", `The ${from} upstream stream ended before it completed`)

const malformed = (state: StreamState, sink: ClientSink, from: string) =>
  state.ending
    ? truncated(state, sink, from)
    : fault(state, sink, "malformed", "api_error", `The ${from} upstream sent a malformed stream event`)

interface UpstreamErrorData {
  error?: { type?: string; message?: string; status?: string }
}

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

/** Gemini `streamGenerateContent?alt=sse`: every event a whole `GenerateContentResponse`. */
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
