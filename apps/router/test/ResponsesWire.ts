/**
 * For the Responses API tests: the spec validators for Response objects and every stream event
 * (each event against its own schema, found by its `type` in the spec's `ResponseStreamEvent`),
 * an SSE reader, and the exact wire formats of the fake upstreams: OpenAI's Responses endpoint,
 * Anthropic messages and Gemini generateContent, JSON and streamed.
 */
import { createParser } from "eventsource-parser"
import {
  validateOpenAI,
  validateResponsesEvent
} from "../../../packages/router-core/test/translate/openaiSpec.ts"
import { sseText } from "./FakeUpstream.ts"

type Json = Record<string, unknown>

// ---------------------------------------------------------------------------------------------
// The spec

/** Validates a Response object against the spec's `Response`; the errors, empty when valid. */
export const validateResponse = (response: unknown): Array<string> => validateOpenAI("Response", response)

/** Validates a stream event against its own schema; the errors, empty when valid. */
export const validateEvent = validateResponsesEvent

/** The validation errors of a whole stream, empty when every event is valid and numbered in order. */
export const validateStream = (events: ReadonlyArray<SseEvent>): Array<string> => {
  const errors: Array<string> = []
  events.forEach((e, i) => {
    if (e.event !== (e.data as Json).type)
      errors.push(`event ${i}: named ${e.event}, typed ${(e.data as Json).type}`)
    if ((e.data as Json).sequence_number !== i)
      errors.push(`event ${i}: sequence_number ${(e.data as Json).sequence_number}`)
    errors.push(...validateEvent(e.data))
  })
  return errors
}

// ---------------------------------------------------------------------------------------------
// Reading SSE

/** One SSE event, its data parsed. */
export interface SseEvent {
  readonly event: string | undefined
  readonly data: unknown
}

/** Every event of an SSE text. */
export const parseSse = (text: string): Array<SseEvent> => {
  const events: Array<SseEvent> = []
  const parser = createParser({ onEvent: (e) => events.push({ event: e.event, data: JSON.parse(e.data) }) })
  parser.feed(text)
  return events
}

// ---------------------------------------------------------------------------------------------
// OpenAI's Responses endpoint

/** What OpenAI answers for a request that sets nothing, around `output`. */
export const openaiResponse = (id: string, output: Array<Json>, usage: Json, extra: Json = {}): Json => ({
  id,
  object: "response",
  created_at: 1_741_476_542,
  status: "completed",
  background: false,
  completed_at: 1_741_476_543,
  error: null,
  incomplete_details: null,
  instructions: null,
  max_output_tokens: null,
  max_tool_calls: null,
  model: "gpt-4o-mini-2024-07-18",
  output,
  parallel_tool_calls: true,
  previous_response_id: null,
  reasoning: { effort: null, summary: null },
  safety_identifier: null,
  service_tier: "default",
  store: false,
  temperature: 1,
  text: { format: { type: "text" }, verbosity: "medium" },
  tool_choice: "auto",
  tools: [],
  top_logprobs: 0,
  top_p: 1,
  truncation: "disabled",
  usage,
  metadata: {},
  ...extra
})

/** OpenAI's usage object. */
export const openaiUsage = (input: number, cached: number, output: number, reasoning = 0): Json => ({
  input_tokens: input,
  input_tokens_details: { cached_tokens: cached, cache_write_tokens: 0 },
  output_tokens: output,
  output_tokens_details: { reasoning_tokens: reasoning },
  total_tokens: input + output
})

/** An output message. */
export const outputMessage = (id: string, text: string): Json => ({
  id,
  type: "message",
  status: "completed",
  role: "assistant",
  content: [{ type: "output_text", text, annotations: [], logprobs: [] }]
})

/** An output function call. */
export const outputCall = (id: string, callId: string, name: string, args: string): Json => ({
  id,
  type: "function_call",
  status: "completed",
  call_id: callId,
  name,
  arguments: args
})

/**
 * The stream OpenAI sends for a finished Response: created, in_progress, each item added, its
 * content in `pieces` deltas and done, then completed; `event:` lines and sequence numbers.
 */
export const openaiResponseStream = (final: Json, pieces = 2): string => {
  const events: Array<{ event: string; data: Json }> = []
  const add = (type: string, fields: Json) =>
    events.push({ event: type, data: { type, ...fields, sequence_number: events.length } })
  const start = { ...final, status: "in_progress", completed_at: null, output: [], usage: null }
  add("response.created", { response: start })
  add("response.in_progress", { response: start })
  const split = (s: string) => {
    const size = Math.max(1, Math.ceil(s.length / pieces))
    const out: Array<string> = []
    for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size))
    return out
  }
  ;(final.output as Array<Json>).forEach((item, index) => {
    if (item.type === "message") {
      const text = ((item.content as Array<Json>)[0] as { text: string }).text
      add("response.output_item.added", {
        output_index: index,
        item: { ...item, status: "in_progress", content: [] }
      })
      const part = { type: "output_text", annotations: [], logprobs: [], text: "" }
      add("response.content_part.added", { item_id: item.id, output_index: index, content_index: 0, part })
      for (const delta of split(text))
        add("response.output_text.delta", {
          item_id: item.id,
          output_index: index,
          content_index: 0,
          delta,
          logprobs: []
        })
      add("response.output_text.done", {
        item_id: item.id,
        output_index: index,
        content_index: 0,
        text,
        logprobs: []
      })
      add("response.content_part.done", {
        item_id: item.id,
        output_index: index,
        content_index: 0,
        part: { ...part, text }
      })
    } else {
      const args = item.arguments as string
      add("response.output_item.added", {
        output_index: index,
        item: { ...item, status: "in_progress", arguments: "" }
      })
      for (const delta of split(args))
        add("response.function_call_arguments.delta", { item_id: item.id, output_index: index, delta })
      add("response.function_call_arguments.done", {
        item_id: item.id,
        name: item.name,
        output_index: index,
        arguments: args
      })
    }
    add("response.output_item.done", { output_index: index, item })
  })
  add("response.completed", { response: final })
  return sseText(events, { done: false })
}

// ---------------------------------------------------------------------------------------------
// Anthropic messages

/** An Anthropic message. */
export const anthropicMessage = (content: Array<Json>, stopReason: string, usage: Json): Json => ({
  id: "msg_01XFDUDYJgAACzvnptvVoYEL",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-5-20250929",
  content,
  stop_reason: stopReason,
  stop_sequence: null,
  usage
})

/** Anthropic's stream of a message: blocks with their deltas, then the stop reason and usage. */
export const anthropicStream = (
  blocks: Array<{ readonly start: Json; readonly deltas: Array<Json> }>,
  stopReason: string,
  usage: { readonly input: number; readonly output: number; readonly cacheRead?: number }
): string =>
  sseText(
    [
      {
        event: "message_start",
        data: {
          type: "message_start",
          message: {
            ...anthropicMessage([], null as unknown as string, {
              input_tokens: usage.input,
              cache_read_input_tokens: usage.cacheRead ?? 0,
              cache_creation_input_tokens: 0,
              output_tokens: 1
            }),
            stop_reason: null
          }
        }
      },
      { event: "ping", data: { type: "ping" } },
      ...blocks.flatMap((b, index) => [
        {
          event: "content_block_start",
          data: { type: "content_block_start", index, content_block: b.start }
        },
        ...b.deltas.map((delta) => ({
          event: "content_block_delta",
          data: { type: "content_block_delta", index, delta }
        })),
        { event: "content_block_stop", data: { type: "content_block_stop", index } }
      ]),
      {
        event: "message_delta",
        data: {
          type: "message_delta",
          delta: { stop_reason: stopReason, stop_sequence: null },
          usage: { output_tokens: usage.output }
        }
      },
      { event: "message_stop", data: { type: "message_stop" } }
    ],
    { done: false }
  )

// ---------------------------------------------------------------------------------------------
// Gemini

/** A Gemini answer (or one streamed chunk of it). */
export const geminiAnswer = (parts: Array<Json>, finishReason: string | undefined, usage?: Json): Json => ({
  candidates: [{ content: { role: "model", parts }, ...(finishReason ? { finishReason } : {}), index: 0 }],
  ...(usage ? { usageMetadata: usage } : {}),
  modelVersion: "gemini-2.5-flash"
})

/** Gemini's usage metadata. */
export const geminiUsage = (prompt: number, output: number, thoughts = 0): Json => ({
  promptTokenCount: prompt,
  candidatesTokenCount: output,
  ...(thoughts > 0 ? { thoughtsTokenCount: thoughts } : {}),
  totalTokenCount: prompt + output + thoughts
})
