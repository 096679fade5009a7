/**
 * OpenAI's Responses API wire format (`POST /v1/responses`): the request Switchyard reads from
 * clients, the Response objects and stream events it writes, and what it reads back from OpenAI's
 * own Responses endpoint. Only the fields the translator touches are spelled out; bodies keep every
 * other field they carry.
 */

/** A content part of an input message (or of a function call's output). */
export type ResponsesInputPart =
  | { type: "input_text"; text: string }
  | { type: "input_image"; image_url?: string | null; file_id?: string | null; detail?: string }
  | { type: "input_file"; file_data?: string; file_id?: string | null; file_url?: string; filename?: string }
  | { type: "input_audio"; input_audio: unknown }
  | { type: "output_text"; text: string; annotations?: Array<unknown> }
  | { type: "refusal"; refusal: string }

/** A message in `input` (the short form, or an item with `type: "message"`). */
export interface ResponsesMessageItem {
  type?: "message"
  id?: string
  role: "user" | "assistant" | "system" | "developer"
  content: string | Array<ResponsesInputPart>
  status?: string
}

/** A function call the model made, as it comes back in `input`. */
export interface ResponsesFunctionCallItem {
  type: "function_call"
  id?: string
  call_id: string
  name: string
  arguments: string
  status?: string
}

/** The client's result of a function call. */
export interface ResponsesFunctionCallOutputItem {
  type: "function_call_output"
  id?: string | null
  call_id: string
  output: string | Array<ResponsesInputPart>
}

/** Reasoning from an earlier turn. */
export interface ResponsesReasoningItem {
  type: "reasoning"
  id?: string
  summary?: Array<{ type: "summary_text"; text: string }>
  content?: Array<{ type: "reasoning_text"; text: string }>
  encrypted_content?: string | null
}

/** An item of an earlier stored response, by id. */
export interface ResponsesItemReference {
  type: "item_reference"
  id: string
}

/** Any item of `input`; items of the hosted tools keep their own shapes. */
export type ResponsesInputItem =
  | ResponsesMessageItem
  | ResponsesFunctionCallItem
  | ResponsesFunctionCallOutputItem
  | ResponsesReasoningItem
  | ResponsesItemReference
  | { type: string; [key: string]: unknown }

/** A function tool; the hosted tools (`web_search`, `file_search`…) keep their own shapes. */
export interface ResponsesFunctionTool {
  type: "function"
  name: string
  description?: string | null
  parameters?: Record<string, unknown> | null
  strict?: boolean | null
}

/** `text.format`. */
export type ResponsesTextFormat =
  | { type: "text" }
  | { type: "json_object" }
  | {
      type: "json_schema"
      name: string
      schema: Record<string, unknown>
      description?: string
      strict?: boolean | null
    }

/** `tool_choice`. */
export type ResponsesToolChoice =
  | "none"
  | "auto"
  | "required"
  | { type: "function"; name: string }
  | { type: string; [key: string]: unknown }

/** A `POST /v1/responses` body. */
export interface ResponsesRequest {
  model: string
  input?: string | Array<ResponsesInputItem>
  instructions?: string | null
  previous_response_id?: string | null
  store?: boolean | null
  stream?: boolean | null
  max_output_tokens?: number | null
  temperature?: number | null
  top_p?: number | null
  tools?: Array<ResponsesFunctionTool | { type: string; [key: string]: unknown }>
  tool_choice?: ResponsesToolChoice
  parallel_tool_calls?: boolean | null
  text?: { format?: ResponsesTextFormat; verbosity?: string | null } | null
  reasoning?: { effort?: string | null; summary?: string | null } | null
  metadata?: Record<string, string> | null
  user?: string
  safety_identifier?: string
  [key: string]: unknown
}

/** Token usage of a Response (`input_tokens` counts cached tokens too; `output_tokens` reasoning). */
export interface ResponsesUsage {
  input_tokens: number
  input_tokens_details: { cached_tokens: number; cache_write_tokens?: number }
  output_tokens: number
  output_tokens_details: { reasoning_tokens: number }
  total_tokens: number
}

/** An output text part. */
export interface ResponsesOutputText {
  type: "output_text"
  text: string
  annotations: Array<unknown>
  logprobs?: Array<unknown>
}

/** An item of a Response's `output`. */
export type ResponsesOutputItem =
  | {
      type: "message"
      id: string
      status: "in_progress" | "completed" | "incomplete"
      role: "assistant"
      content: Array<ResponsesOutputText | { type: "refusal"; refusal: string }>
    }
  | {
      type: "function_call"
      id: string
      call_id: string
      name: string
      arguments: string
      status: "in_progress" | "completed" | "incomplete"
    }
  | {
      type: "reasoning"
      id: string
      summary: Array<{ type: "summary_text"; text: string }>
      encrypted_content?: string | null
      status?: "in_progress" | "completed" | "incomplete"
    }

/** Why a Response is incomplete. */
export type ResponsesIncompleteReason = "max_output_tokens" | "content_filter"

/** A Response object. */
export interface ResponsesResponse {
  id: string
  object: "response"
  created_at: number
  status: "completed" | "failed" | "in_progress" | "incomplete" | "cancelled" | "queued"
  completed_at?: number | null
  error: { code: string; message: string } | null
  incomplete_details: { reason: ResponsesIncompleteReason } | null
  output: Array<ResponsesOutputItem>
  usage?: ResponsesUsage | null
  [key: string]: unknown
}
