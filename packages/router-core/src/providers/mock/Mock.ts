/**
 * The in-process upstream behind the `mock` provider. It speaks OpenAI's wire format exactly (JSON
 * and SSE), so the router treats it like any OpenAI-shaped upstream: requests to it are translated,
 * accounted and streamed the same way, with no network and no key.
 *
 * - `mock/echo`: answers with the last user message, streamed word by word, with usage.
 * - `mock/error`: answers 500, as a failing upstream would.
 * - `mock/vibe`: answers with a small working web app showing the last user message (`VibeApp.ts`).
 */
import * as VibeApp from "./VibeApp.ts"

const encoder = new TextEncoder()

interface MockMessage {
  readonly role?: unknown
  readonly content?: unknown
}

/** Text of a message's content, whether a string or an array of parts. */
const textOf = (content: unknown): string => {
  if (typeof content === "string") return content
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) =>
        typeof part === "object" && part !== null && "text" in part && typeof part.text === "string"
          ? part.text
          : ""
      )
      .filter((text) => text.length > 0)
      .join(" ")
  }
  return ""
}

/** Whitespace-separated words: the mock's notion of a token. */
const countWords = (text: string) => {
  const trimmed = text.trim()
  return trimmed.length === 0 ? 0 : trimmed.split(/\s+/).length
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } })

const usage = (prompt: number, completion: number) => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion
})

/** Answers one OpenAI chat completions request body. */
export const chat = (body: Record<string, unknown>, upstreamModel: string): Response => {
  if (upstreamModel === "error") {
    return json(500, {
      error: { message: "The mock provider failed on purpose", type: "server_error", code: null }
    })
  }
  if (upstreamModel !== "echo" && upstreamModel !== "vibe") {
    return json(404, {
      error: {
        message: `The model \`mock/${upstreamModel}\` does not exist`,
        type: "invalid_request_error",
        code: "model_not_found"
      }
    })
  }
  const messages: ReadonlyArray<MockMessage> = Array.isArray(body.messages) ? body.messages : []
  const prompt = messages.reduce((sum, m) => sum + countWords(textOf(m.content)), 0)
  const lastUser = [...messages].reverse().find((m) => m.role === "user")
  const request = textOf(lastUser?.content)
  const reply = upstreamModel === "vibe" ? VibeApp.html(request) : request || "(nothing to echo)"
  const completion = countWords(reply)
  const id = `chatcmpl-mock${Date.now().toString(36)}`
  const created = Math.floor(Date.now() / 1000)
  const model = `mock/${upstreamModel}`

  if (body.stream !== true) {
    return json(200, {
      id,
      object: "chat.completion",
      created,
      model,
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: reply, refusal: null },
          logprobs: null,
          finish_reason: "stop"
        }
      ],
      usage: usage(prompt, completion)
    })
  }

  const options = body.stream_options
  const includeUsage =
    typeof options === "object" &&
    options !== null &&
    "include_usage" in options &&
    options.include_usage === true
  const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
    id,
    object: "chat.completion.chunk",
    created,
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }]
  })
  const words = reply.split(/(?=\s+)/)
  const events: Array<unknown> = [chunk({ role: "assistant", content: "" }, null)]
  for (const word of words) events.push(chunk({ content: word }, null))
  events.push(chunk({}, "stop"))
  if (includeUsage)
    events.push({
      id,
      object: "chat.completion.chunk",
      created,
      model,
      choices: [],
      usage: usage(prompt, completion)
    })

  let next = 0
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next < events.length) {
        controller.enqueue(encoder.encode(`data: ${JSON.stringify(events[next++])}\n\n`))
      } else {
        controller.enqueue(encoder.encode("data: [DONE]\n\n"))
        controller.close()
      }
    }
  })
  return new Response(stream, { status: 200, headers: { "content-type": "text/event-stream" } })
}

/** Answers one OpenAI embeddings request with small deterministic vectors (8 dimensions). */
export const embeddings = (body: Record<string, unknown>, upstreamModel: string): Response => {
  const inputs = typeof body.input === "string" ? [body.input] : Array.isArray(body.input) ? body.input : []
  const data = inputs.map((input: unknown, index: number) => {
    const text = typeof input === "string" ? input : JSON.stringify(input)
    const vector = Array.from({ length: 8 }, (_, d) => {
      let h = 2166136261 ^ d
      for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619)
      return ((h >>> 0) / 0xffffffff) * 2 - 1
    })
    return { object: "embedding", index, embedding: vector }
  })
  const tokens = inputs.reduce((sum: number, input: unknown) => sum + countWords(String(input)), 0)
  return json(200, {
    object: "list",
    data,
    model: `mock/${upstreamModel}`,
    usage: { prompt_tokens: tokens, total_tokens: tokens }
  })
}
