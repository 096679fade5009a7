/**
 * Anthropic Messages API wire format (`POST /v1/messages`, SSE with named events).
 */

/** Prompt-cache breakpoint on a block, a tool or the system prompt. */
export interface AnthropicCacheControl {
  type: "ephemeral"
  ttl?: string
}

/** Where an image or document comes from. */
export type AnthropicSource =
  | { type: "base64"; media_type: string; data: string }
  | { type: "url"; url: string }
  | { type: "text"; media_type: string; data: string }
  | { type: "file"; file_id: string }

/** A text block. */
export interface AnthropicTextBlock {
  type: "text"
  text: string
  cache_control?: AnthropicCacheControl
}

/** A block of a request or response message. */
export type AnthropicBlock =
  | AnthropicTextBlock
  | { type: "image"; source: AnthropicSource; cache_control?: AnthropicCacheControl }
  | { type: "document"; source: AnthropicSource; title?: string; cache_control?: AnthropicCacheControl }
  | { type: "tool_use"; id: string; name: string; input: unknown; cache_control?: AnthropicCacheControl }
  | {
      type: "tool_result"
      tool_use_id: string
      content?: string | Array<AnthropicBlock>
      is_error?: boolean
      cache_control?: AnthropicCacheControl
    }
  | { type: "thinking"; thinking: string; signature?: string }
  | { type: "redacted_thinking"; data: string }

/** One message of `messages`. */
export interface AnthropicMessage {
  role: "user" | "assistant"
  content: string | Array<AnthropicBlock>
}

/** A client tool (server tools carry a versioned `type` instead and no `input_schema`). */
export interface AnthropicTool {
  name: string
  description?: string
  input_schema?: Record<string, unknown>
  type?: string
  cache_control?: AnthropicCacheControl
  [extra: string]: unknown
}

/** `tool_choice`. */
export interface AnthropicToolChoice {
  type: "auto" | "any" | "tool" | "none"
  name?: string
  disable_parallel_tool_use?: boolean
}

/** Request body of `POST /v1/messages`. */
export interface AnthropicRequest {
  model: string
  max_tokens: number
  messages: Array<AnthropicMessage>
  system?: string | Array<AnthropicTextBlock>
  stream?: boolean
  temperature?: number
  top_p?: number
  top_k?: number
  stop_sequences?: Array<string>
  tools?: Array<AnthropicTool>
  tool_choice?: AnthropicToolChoice
  metadata?: { user_id?: string | null }
  thinking?:
    | { type: "enabled"; budget_tokens: number }
    | { type: "disabled" }
    | { type: "adaptive"; display?: string | null }
  output_config?: AnthropicOutputConfig
  /** The structured outputs beta's spelling of `output_config.format`. */
  output_format?: AnthropicOutputFormat
  [extra: string]: unknown
}

/** A JSON answer's format (structured outputs). */
export interface AnthropicOutputFormat {
  type: "json_schema"
  schema: Record<string, unknown>
}

/** `output_config`: the answer's format and the effort the model spends. */
export interface AnthropicOutputConfig {
  format?: AnthropicOutputFormat | null
  effort?: "low" | "medium" | "high" | "xhigh" | "max" | null
  [extra: string]: unknown
}

/** `stop_reason`. */
export type AnthropicStopReason =
  | "end_turn"
  | "max_tokens"
  | "stop_sequence"
  | "tool_use"
  | "pause_turn"
  | "refusal"
  | "model_context_window_exceeded"

/** `usage` of a response, of `message_start` and of `message_delta`. */
export interface AnthropicUsage {
  input_tokens?: number | null
  output_tokens?: number | null
  cache_creation_input_tokens?: number | null
  cache_read_input_tokens?: number | null
  [extra: string]: unknown
}

/** Response body of a non-streamed message. */
export interface AnthropicResponse {
  id: string
  type: "message"
  role: "assistant"
  model: string
  content: Array<AnthropicBlock>
  stop_reason: AnthropicStopReason | null
  stop_sequence: string | null
  usage: AnthropicUsage
}

/** The `delta` of a `content_block_delta` event. */
export type AnthropicBlockDelta =
  | { type: "text_delta"; text: string }
  | { type: "input_json_delta"; partial_json: string }
  | { type: "thinking_delta"; thinking: string }
  | { type: "signature_delta"; signature: string }
  | { type: "citations_delta"; citation: unknown }

/** The data of every SSE event of a message stream, discriminated by `type` (= the event name). */
export type AnthropicStreamEvent =
  | { type: "message_start"; message: AnthropicResponse }
  | { type: "content_block_start"; index: number; content_block: AnthropicBlock }
  | { type: "content_block_delta"; index: number; delta: AnthropicBlockDelta }
  | { type: "content_block_stop"; index: number }
  | {
      type: "message_delta"
      delta: { stop_reason: AnthropicStopReason | null; stop_sequence: string | null }
      usage?: AnthropicUsage
    }
  | { type: "message_stop" }
  | { type: "ping" }
  | { type: "error"; error: { type: string; message: string } }

/** Anthropic's error body. */
export interface AnthropicErrorBody {
  type: "error"
  error: { type: string; message: string }
}
