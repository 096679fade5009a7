/**
 * Byte-exact OpenAI chat-completions bodies for the fake upstream: the non-streaming
 * `chat.completion` object and the `chat.completion.chunk` SSE stream, field for field as
 * OpenAI sends them (order included), so a proxy under test parses exactly what it would
 * parse in production. Plain functions, no I/O; runs under Node.
 */

/** What one answer needs to know about the request that asked for it. */
export interface Completion {
  readonly id: string
  readonly created: number
  readonly model: string
  readonly promptTokens: number
}

/** The words streamed (one per content chunk) or joined for the JSON answer. */
export const words = [
  "Hello",
  " from",
  " the",
  " bench",
  " upstream",
  ".",
  " Switchyard",
  " measures",
  " overhead"
]

const fingerprint = "fp_bench0001"

/** OpenAI answers with the dated snapshot name of the alias it was asked for. */
export const snapshotOf = (model: string): string =>
  model === "gpt-4o-mini" ? "gpt-4o-mini-2024-07-18" : model

/** Content of an answer made of `n` chunks. */
export const contentOf = (n: number): string => {
  let text = ""
  for (let i = 0; i < n; i++) text += words[i % words.length]
  return text
}

const usageJson = (promptTokens: number, completionTokens: number): string =>
  `{"prompt_tokens":${promptTokens},"completion_tokens":${completionTokens},"total_tokens":${
    promptTokens + completionTokens
  },"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}`

/** The `chat.completion` object for a non-streaming request, answered in `n` tokens. */
export const completionJson = (c: Completion, n: number): string =>
  `{"id":"${c.id}","object":"chat.completion","created":${c.created},"model":"${
    c.model
  }","choices":[{"index":0,"message":{"role":"assistant","content":${JSON.stringify(
    contentOf(n)
  )},"refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":${usageJson(
    c.promptTokens,
    n
  )},"service_tier":"default","system_fingerprint":"${fingerprint}"}`

/**
 * The SSE events of a streamed answer: the role chunk, `n` content chunks, the finish chunk,
 * the usage chunk when `includeUsage` (then every other chunk carries `"usage":null`), and
 * `[DONE]`. Each element is one complete `data: …\n\n` event.
 */
export const completionEvents = (c: Completion, n: number, includeUsage: boolean): Array<string> => {
  const head = `{"id":"${c.id}","object":"chat.completion.chunk","created":${c.created},"model":"${c.model}","service_tier":"default","system_fingerprint":"${fingerprint}","choices":`
  const tail = includeUsage ? `,"usage":null,"obfuscation":"b3n"}` : `,"obfuscation":"b3n"}`
  const events: Array<string> = []
  events.push(
    `data: ${head}[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]${tail}\n\n`
  )
  for (let i = 0; i < n; i++) {
    events.push(
      `data: ${head}[{"index":0,"delta":{"content":${JSON.stringify(
        words[i % words.length]
      )}},"logprobs":null,"finish_reason":null}]${tail}\n\n`
    )
  }
  events.push(`data: ${head}[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]${tail}\n\n`)
  if (includeUsage) {
    events.push(`data: ${head}[],"usage":${usageJson(c.promptTokens, n)},"obfuscation":"b3n"}\n\n`)
  }
  events.push("data: [DONE]\n\n")
  return events
}

/** OpenAI's error body. */
export const errorJson = (message: string, type: string, code: string | null): string =>
  JSON.stringify({ error: { message, type, param: null, code } })
