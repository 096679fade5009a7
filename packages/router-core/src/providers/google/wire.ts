/**
 * Google Gemini `generateContent` / `streamGenerateContent?alt=sse` wire format (Generative
 * Language API, v1beta). Upstream only: no client speaks it to Switchyard.
 */

/** A function call made by the model; `args` is an object, never a string. */
export interface GeminiFunctionCall {
  name: string
  args?: Record<string, unknown>
  id?: string
}

/** One part of a content. */
export interface GeminiPart {
  text?: string
  /** True when `text` is a thought summary, not answer text. */
  thought?: boolean
  /** Opaque signature Gemini wants back on the part it was attached to (function calls). */
  thoughtSignature?: string
  inlineData?: { mimeType: string; data: string }
  fileData?: { mimeType?: string; fileUri: string }
  functionCall?: GeminiFunctionCall
  functionResponse?: { name: string; response: Record<string, unknown>; id?: string }
}

/** A turn of the conversation. */
export interface GeminiContent {
  role?: "user" | "model"
  parts: Array<GeminiPart>
}

/** A function the model may call. */
export interface GeminiFunctionDeclaration {
  name: string
  description?: string
  /** Full JSON Schema (unlike `parameters`, which takes an OpenAPI subset). */
  parametersJsonSchema?: Record<string, unknown>
}

/** `generationConfig`. */
export interface GeminiGenerationConfig {
  temperature?: number
  topP?: number
  topK?: number
  maxOutputTokens?: number
  stopSequences?: Array<string>
  seed?: number
  presencePenalty?: number
  frequencyPenalty?: number
  responseMimeType?: string
  responseJsonSchema?: Record<string, unknown>
  thinkingConfig?: { thinkingBudget?: number; includeThoughts?: boolean }
}

/** Request body of `:generateContent` and `:streamGenerateContent`. */
export interface GeminiRequest {
  contents: Array<GeminiContent>
  systemInstruction?: GeminiContent
  tools?: Array<{ functionDeclarations: Array<GeminiFunctionDeclaration> }>
  toolConfig?: {
    functionCallingConfig: { mode: "AUTO" | "ANY" | "NONE"; allowedFunctionNames?: Array<string> }
  }
  generationConfig?: GeminiGenerationConfig
}

/** `usageMetadata`: cumulative in every stream chunk. */
export interface GeminiUsageMetadata {
  /** Includes `cachedContentTokenCount`. */
  promptTokenCount?: number
  /** Excludes `thoughtsTokenCount`. */
  candidatesTokenCount?: number
  cachedContentTokenCount?: number
  thoughtsTokenCount?: number
  /** Prompt tokens of tool results Gemini fed itself (billed as input). */
  toolUsePromptTokenCount?: number
  totalTokenCount?: number
}

/** Response body of `:generateContent`, and the data of every `streamGenerateContent` event. */
export interface GeminiResponse {
  candidates?: Array<{
    content?: GeminiContent
    finishReason?: string
    index?: number
  }>
  usageMetadata?: GeminiUsageMetadata
  modelVersion?: string
  responseId?: string
  promptFeedback?: { blockReason?: string }
}

/** Google's error body. */
export interface GeminiErrorBody {
  error: { code: number; message: string; status: string }
}
