/**
 * OpenAI chat completions wire format (also xAI and every OpenAI-compatible server): the shapes
 * Switchyard reads from clients and upstreams and the shapes it writes. Only the fields the
 * translator touches are spelled out; bodies keep every other field they carry.
 */

/** A content part of a user / system / tool message. */
export type OpenAIContentPart =
  | { type: "text"; text: string; cache_control?: CacheControlMarker }
  | {
      type: "image_url"
      image_url: { url: string; detail?: "auto" | "low" | "high" }
      cache_control?: CacheControlMarker
    }
  | { type: "input_audio"; input_audio: { data: string; format: string } }
  | { type: "file"; file: { file_data?: string; file_id?: string; filename?: string } }
  | { type: "refusal"; refusal: string }

/**
 * Anthropic-style prompt-cache marker that some OpenAI-format clients attach to content parts
 * (the convention OpenRouter and LiteLLM accept): carried to Anthropic upstreams.
 */
export interface CacheControlMarker {
  type: "ephemeral"
  ttl?: string
}

/** A tool call made by the assistant. */
export interface OpenAIToolCall {
  id: string
  type: "function"
  function: { name: string; arguments: string }
}

/** One message of `messages`. */
export type OpenAIMessage =
  | { role: "system" | "developer"; content: string | Array<OpenAIContentPart>; name?: string }
  | { role: "user"; content: string | Array<OpenAIContentPart>; name?: string }
  | {
      role: "assistant"
      content?: string | Array<OpenAIContentPart> | null
      tool_calls?: Array<OpenAIToolCall>
      refusal?: string | null
      reasoning_content?: string | null
      name?: string
    }
  | { role: "tool"; content: string | Array<OpenAIContentPart>; tool_call_id: string }

/** A function tool definition. */
export interface OpenAITool {
  type: "function"
  function: {
    name: string
    description?: string
    parameters?: Record<string, unknown>
    strict?: boolean | null
  }
}

/** `tool_choice`. */
export type OpenAIToolChoice = "none" | "auto" | "required" | { type: "function"; function: { name: string } }

/** `response_format`. */
export type OpenAIResponseFormat =
  | { type: "text" }
  | { type: "json_object" }
  | {
      type: "json_schema"
      json_schema: {
        name: string
        description?: string
        schema?: Record<string, unknown>
        strict?: boolean | null
      }
    }

/** Request body of `POST /v1/chat/completions`. */
export interface OpenAIChatRequest {
  model: string
  messages: Array<OpenAIMessage>
  stream?: boolean | null
  stream_options?: { include_usage?: boolean } | null
  max_tokens?: number | null
  max_completion_tokens?: number | null
  temperature?: number | null
  top_p?: number | null
  n?: number | null
  stop?: string | Array<string> | null
  seed?: number | null
  presence_penalty?: number | null
  frequency_penalty?: number | null
  tools?: Array<OpenAITool>
  tool_choice?: OpenAIToolChoice
  parallel_tool_calls?: boolean
  response_format?: OpenAIResponseFormat
  reasoning_effort?: "none" | "minimal" | "low" | "medium" | "high" | "xhigh" | null
  user?: string
  [extra: string]: unknown
}

/** `finish_reason`. */
export type OpenAIFinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "function_call"

/** `usage` of a response or of the final stream chunk. */
export interface OpenAIUsage {
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
  prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number; [k: string]: unknown } | null
  completion_tokens_details?: { reasoning_tokens?: number; [k: string]: unknown } | null
  /** DeepSeek's names for the cached / uncached split of the prompt. */
  prompt_cache_hit_tokens?: number
  prompt_cache_miss_tokens?: number
}

/** The assistant message of a non-streamed response. */
export interface OpenAIResponseMessage {
  role: "assistant"
  content: string | null
  refusal: string | null
  tool_calls?: Array<OpenAIToolCall>
  /** Reasoning text, as DeepSeek, xAI and vLLM return it (not part of OpenAI's own spec). */
  reasoning_content?: string
}

/** Response body of a non-streamed chat completion. */
export interface OpenAIChatResponse {
  id: string
  object: "chat.completion"
  created: number
  model: string
  choices: Array<{
    index: number
    message: OpenAIResponseMessage
    logprobs: null
    finish_reason: OpenAIFinishReason
  }>
  usage?: OpenAIUsage
}

/** A tool call fragment in a stream chunk. */
export interface OpenAIToolCallDelta {
  index: number
  id?: string
  type?: "function"
  function?: { name?: string; arguments?: string }
}

/** The `delta` of a stream chunk choice. */
export interface OpenAIDelta {
  role?: "assistant"
  content?: string | null
  refusal?: string | null
  tool_calls?: Array<OpenAIToolCallDelta>
  reasoning_content?: string | null
  /** OpenRouter's and newer vLLM's name for `reasoning_content`. */
  reasoning?: string | null
}

/** One `data:` event of a chat completion stream. */
export interface OpenAIChunk {
  id: string
  object: "chat.completion.chunk"
  created: number
  model: string
  choices: Array<{ index: number; delta: OpenAIDelta; finish_reason: OpenAIFinishReason | null }>
  usage?: OpenAIUsage | null
}

/** OpenAI's error body. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null }
}
