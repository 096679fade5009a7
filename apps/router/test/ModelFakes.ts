/**
 * Fake upstream models that answer a structured output request the way the real provider would
 * for what it was asked: a JSON text when asked for JSON (OpenAI `response_format`, Anthropic
 * `output_config.format`, Gemini `responseJsonSchema`), a call to the forced tool when a tool is
 * forced. Each speaks its provider's exact wire format, streamed (cut into small pieces) or not.
 */
import { type Script, sse, sseText } from "./FakeUpstream.ts"

/** Parsed JSON, read loosely: these fakes trust what the router sends them (the tests check it). */
type Json = ReturnType<typeof JSON.parse>

/** The JSON text in three pieces, cut inside keys and values as a model's tokens are. */
const pieces = (text: string): Array<string> => {
  const a = Math.floor(text.length / 3)
  return [text.slice(0, a), text.slice(a, 2 * a), text.slice(2 * a)]
}

const send = (res: Parameters<Script>[1], body: unknown) => {
  res.writeHead(200, { "content-type": "application/json" })
  res.end(JSON.stringify(body))
}

/** An OpenAI chat model answering `answer`: as content, or as the forced function's arguments. */
export const openaiModel =
  (answer: unknown): Script =>
  (req, res) => {
    const body = JSON.parse(req.body) as Json
    const choice = body.tool_choice
    const tool: string | undefined =
      typeof choice === "object" && choice !== null
        ? choice.function.name
        : choice === "required"
          ? body.tools.at(-1).function.name
          : undefined
    const text = JSON.stringify(answer)
    const head = { id: "chatcmpl-fake", created: 1_700_000_000, model: body.model }
    const usage = { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 }
    if (body.stream !== true) {
      const message =
        tool === undefined
          ? { role: "assistant", content: text, refusal: null }
          : {
              role: "assistant",
              content: null,
              refusal: null,
              tool_calls: [{ id: "call_fake", type: "function", function: { name: tool, arguments: text } }]
            }
      return send(res, {
        ...head,
        object: "chat.completion",
        choices: [
          { index: 0, message, logprobs: null, finish_reason: tool === undefined ? "stop" : "tool_calls" }
        ],
        usage
      })
    }
    const chunk = (delta: Json, finish: string | null = null) => ({
      data: {
        ...head,
        object: "chat.completion.chunk",
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }]
      }
    })
    const events: Array<{ data: unknown }> = [chunk({ role: "assistant", content: "" })]
    if (tool === undefined) for (const p of pieces(text)) events.push(chunk({ content: p }))
    else {
      events.push(
        chunk({
          tool_calls: [
            { index: 0, id: "call_fake", type: "function", function: { name: tool, arguments: "" } }
          ]
        })
      )
      for (const p of pieces(text))
        events.push(chunk({ tool_calls: [{ index: 0, function: { arguments: p } }] }))
    }
    events.push(chunk({}, tool === undefined ? "stop" : "tool_calls"))
    if (body.stream_options?.include_usage === true)
      events.push({ data: { ...head, object: "chat.completion.chunk", choices: [], usage } })
    return sse(sseText(events), { splitEvery: 9 })(req, res)
  }

/** An Anthropic model answering `answer`: as a text block, or as the forced tool's input. */
export const anthropicModel =
  (answer: unknown): Script =>
  (req, res) => {
    const body = JSON.parse(req.body) as Json
    const choice = body.tool_choice
    const tool: string | undefined =
      choice?.type === "tool" ? choice.name : choice?.type === "any" ? body.tools.at(-1).name : undefined
    const text = JSON.stringify(answer)
    const message = {
      id: "msg_fake",
      type: "message",
      role: "assistant",
      model: body.model,
      stop_sequence: null
    }
    const stopReason = tool === undefined ? "end_turn" : "tool_use"
    if (body.stream !== true) {
      return send(res, {
        ...message,
        content:
          tool === undefined
            ? [{ type: "text", text }]
            : [{ type: "tool_use", id: "toolu_fake", name: tool, input: answer }],
        stop_reason: stopReason,
        usage: { input_tokens: 12, output_tokens: 8 }
      })
    }
    const start =
      tool === undefined
        ? { type: "text", text: "" }
        : { type: "tool_use", id: "toolu_fake", name: tool, input: {} }
    const delta = (p: string) =>
      tool === undefined ? { type: "text_delta", text: p } : { type: "input_json_delta", partial_json: p }
    const events = [
      {
        event: "message_start",
        data: {
          type: "message_start",
          message: {
            ...message,
            content: [],
            stop_reason: null,
            usage: { input_tokens: 12, output_tokens: 1 }
          }
        }
      },
      { event: "content_block_start", data: { type: "content_block_start", index: 0, content_block: start } },
      { event: "ping", data: { type: "ping" } },
      ...pieces(text).map((p) => ({
        event: "content_block_delta",
        data: { type: "content_block_delta", index: 0, delta: delta(p) }
      })),
      { event: "content_block_stop", data: { type: "content_block_stop", index: 0 } },
      {
        event: "message_delta",
        data: {
          type: "message_delta",
          delta: { stop_reason: stopReason, stop_sequence: null },
          usage: { output_tokens: 8 }
        }
      },
      { event: "message_stop", data: { type: "message_stop" } }
    ]
    return sse(sseText(events, { done: false }), { splitEvery: 11 })(req, res)
  }

/** A Gemini model answering `answer`: as JSON text, or as the forced function's call. */
export const geminiModel =
  (answer: unknown): Script =>
  (req, res) => {
    const body = JSON.parse(req.body) as Json
    const calling = body.toolConfig?.functionCallingConfig
    const tool: string | undefined =
      calling?.mode === "ANY"
        ? (calling.allowedFunctionNames?.[0] ?? body.tools[0].functionDeclarations.at(-1).name)
        : undefined
    const text = JSON.stringify(answer)
    const usageMetadata = { promptTokenCount: 12, candidatesTokenCount: 8, totalTokenCount: 20 }
    const candidate = (parts: Array<unknown>, finishReason?: string) => ({
      content: { role: "model", parts },
      index: 0,
      ...(finishReason === undefined ? {} : { finishReason })
    })
    if (!req.url.includes(":streamGenerateContent")) {
      const parts = tool === undefined ? [{ text }] : [{ functionCall: { name: tool, args: answer } }]
      return send(res, { candidates: [candidate(parts, "STOP")], usageMetadata, modelVersion: "gemini-fake" })
    }
    const events =
      tool === undefined
        ? pieces(text).map((p, i) => ({
            data: {
              candidates: [candidate([{ text: p }], i === 2 ? "STOP" : undefined)],
              ...(i === 2 ? { usageMetadata } : {})
            }
          }))
        : [
            {
              data: {
                candidates: [candidate([{ functionCall: { name: tool, args: answer } }], "STOP")],
                usageMetadata
              }
            }
          ]
    return sse(sseText(events, { done: false }), { splitEvery: 13 })(req, res)
  }
