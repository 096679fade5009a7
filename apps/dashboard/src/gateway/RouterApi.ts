/**
 * The few router calls the dashboard makes with the user's key: the models they can reach, and a
 * streamed chat completion (OpenAI's wire format, parsed with `eventsource-parser`). The router is
 * not part of the control plane's HttpApi contract; its answers are decoded with schemas here.
 */
import { Schema } from "effect"
import { EventSourceParserStream } from "eventsource-parser/stream"

const ModelList = Schema.Struct({
  data: Schema.Array(Schema.Struct({ id: Schema.String, owned_by: Schema.String }))
})

const ErrorBody = Schema.Struct({ error: Schema.Struct({ message: Schema.String }) })

const Usage = Schema.Struct({ prompt_tokens: Schema.Number, completion_tokens: Schema.Number })

const Chunk = Schema.Struct({
  choices: Schema.Array(
    Schema.Struct({
      delta: Schema.optional(Schema.Struct({ content: Schema.optional(Schema.NullOr(Schema.String)) }))
    })
  ),
  usage: Schema.optional(Schema.NullOr(Usage))
})

/** A model the key can reach. */
export interface ReachableModel {
  readonly id: string
  readonly provider: string
}

/** A refusal or failure from the router, with its HTTP status and the router's own message. */
export class RouterError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message)
  }
}

const authorization = (key: string) => ({ authorization: `Bearer ${key}` })

const failure = async (response: Response): Promise<RouterError> => {
  const body = await response.json().catch(() => undefined)
  const decoded = Schema.decodeUnknownOption(ErrorBody)(body)
  return new RouterError(
    response.status,
    decoded._tag === "Some" ? decoded.value.error.message : `The router answered HTTP ${response.status}`
  )
}

/** `GET /v1/models` with the key. */
export const listModels = async (routerUrl: string, key: string): Promise<ReadonlyArray<ReachableModel>> => {
  const response = await fetch(new URL("/v1/models", routerUrl), { headers: authorization(key) })
  if (!response.ok) throw await failure(response)
  const list = Schema.decodeUnknownSync(ModelList)(await response.json())
  return list.data.map((model) => ({ id: model.id, provider: model.owned_by }))
}

/** What a finished chat returned. */
export interface ChatResult {
  readonly requestId: string | undefined
  readonly text: string
  readonly usage: typeof Usage.Type | undefined
}

/**
 * `POST /v1/chat/completions` with `stream: true`; calls `onText` with the answer so far as each
 * chunk arrives.
 */
export const streamChat = async (options: {
  readonly routerUrl: string
  readonly key: string
  readonly model: string
  readonly prompt: string
  readonly onText: (text: string) => void
  readonly signal?: AbortSignal
}): Promise<ChatResult> => {
  const response = await fetch(new URL("/v1/chat/completions", options.routerUrl), {
    method: "POST",
    headers: { ...authorization(options.key), "content-type": "application/json" },
    body: JSON.stringify({
      model: options.model,
      messages: [{ role: "user", content: options.prompt }],
      stream: true,
      stream_options: { include_usage: true }
    }),
    ...(options.signal ? { signal: options.signal } : {})
  })
  const requestId = response.headers.get("x-request-id") ?? undefined
  if (!response.ok || response.body === null) throw await failure(response)
  let text = ""
  let usage: ChatResult["usage"]
  const events = response.body
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream())
    .getReader()
  for (;;) {
    const { done, value: event } = await events.read()
    if (done || event.data === "[DONE]") break
    const chunk = Schema.decodeUnknownOption(Chunk)(JSON.parse(event.data))
    if (chunk._tag === "None") {
      const error = Schema.decodeUnknownOption(ErrorBody)(JSON.parse(event.data))
      if (error._tag === "Some") throw new RouterError(502, error.value.error.message)
      continue
    }
    const delta = chunk.value.choices[0]?.delta?.content
    if (delta) {
      text += delta
      options.onText(text)
    }
    if (chunk.value.usage) usage = chunk.value.usage
  }
  return { requestId, text, usage }
}
