/**
 * Seed 003's chat: `POST /api/chat` `{messages, model?, temperature?, stream?}` →
 * `{"content","model"}`, or SSE `data: {"content":"…"}` lines ending with `data: [DONE]`. Served by
 * the same pipeline as `/v1/chat/completions` (any provider, accounted the same way), with the
 * model defaulting to the configured one (`DEFAULT_MODEL`, else seed 003's `OPENAI_MODEL` on
 * `AI_PROVIDER`) and the temperature to `OPENAI_TEMPERATURE` (1.0). Its own request rate:
 * `RATE_LIMIT_REQUESTS_PER_MINUTE`.
 */
import { GatewayError } from "@switchyard/domain"
import { createSseParser, parseClientRequest, Routing } from "@switchyard/router-core"
import { Either } from "effect"

import { missingKey, verifyNow } from "../Authenticate.ts"
import { credentialOf } from "../CallerAuth.ts"
import * as ChatRoute from "../ChatRoute.ts"
import { errorResponse } from "../ClientError.ts"
import type { GatewayContext } from "../GatewayContext.ts"
import { readJsonBody } from "../RequestBody.ts"

const invalid = (field: string, message: string) =>
  new GatewayError({ status: 400, type: "invalid_request_error", message, param: field })

type Json = Record<string, unknown>
const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

const ROLES = new Set(["system", "user", "assistant"])

/** What `/api/chat` fills in or reroutes (seed 003's settings). */
export interface ChatDefaults {
  /** The routed name of the model when the request names none. */
  readonly defaultModel: string
  /** The temperature when the request sets none (`OPENAI_TEMPERATURE`). */
  readonly defaultTemperature?: number | undefined
  /** A model the request names, as routed (onto `AI_PROVIDER`). */
  readonly route?: ((model: string) => string) | undefined
}

/** Validates seed 003's body and builds the OpenAI request it stands for. */
export const toOpenAI = (body: unknown, defaults: ChatDefaults): Json | GatewayError => {
  if (!isObject(body)) return invalid("body", "The request body must be a JSON object")
  const { messages, model, temperature, stream } = body
  if (!Array.isArray(messages) || messages.length === 0) {
    return invalid("messages", "'messages' is required and must be a non-empty array")
  }
  for (let i = 0; i < messages.length; i++) {
    const m: unknown = messages[i]
    if (!isObject(m)) return invalid(`messages[${i}]`, `'messages[${i}]' must be an object`)
    if (typeof m.role !== "string" || !ROLES.has(m.role)) {
      return invalid(`messages[${i}].role`, `'messages[${i}].role' must be one of system, user, assistant`)
    }
    if (typeof m.content !== "string") {
      return invalid(`messages[${i}].content`, `'messages[${i}].content' is required and must be a string`)
    }
  }
  if (model !== undefined && model !== null && (typeof model !== "string" || model.length === 0)) {
    return invalid("model", "'model' must be a non-empty string")
  }
  if (
    temperature !== undefined &&
    temperature !== null &&
    (typeof temperature !== "number" || !(temperature >= 0 && temperature <= 2))
  ) {
    return invalid("temperature", "'temperature' must be a number between 0 and 2")
  }
  if (stream !== undefined && stream !== null && typeof stream !== "boolean") {
    return invalid("stream", "'stream' must be a boolean")
  }
  const out: Json = {
    model: typeof model === "string" ? (defaults.route?.(model) ?? model) : defaults.defaultModel,
    messages: messages.map((m: Json) => ({ role: m.role, content: m.content }))
  }
  if (typeof temperature === "number") out.temperature = temperature
  else if (defaults.defaultTemperature !== undefined) out.temperature = defaults.defaultTemperature
  if (stream === true) {
    out.stream = true
    out.stream_options = { include_usage: true }
  }
  return out
}

const encoder = new TextEncoder()

/** OpenAI chunks → seed 003's `data: {"content":"…"}` lines, ending with `data: [DONE]`. */
const toContentEvents = () => {
  let controllerRef: TransformStreamDefaultController<Uint8Array> | undefined
  let done = false
  const decoder = new TextDecoder()
  const parser = createSseParser({
    onEvent: (event) => {
      if (event.data === "[DONE]") {
        done = true
        controllerRef?.enqueue(encoder.encode("data: [DONE]\n\n"))
        return
      }
      let chunk: unknown
      try {
        chunk = JSON.parse(event.data)
      } catch {
        return
      }
      if (!isObject(chunk)) return
      if (isObject(chunk.error)) {
        controllerRef?.enqueue(encoder.encode(`data: ${JSON.stringify({ error: chunk.error })}\n\n`))
        return
      }
      const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined
      const content = isObject(choice) && isObject(choice.delta) ? choice.delta.content : undefined
      if (typeof content === "string" && content.length > 0) {
        controllerRef?.enqueue(encoder.encode(`data: ${JSON.stringify({ content })}\n\n`))
      }
    }
  })
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(bytes, controller) {
      controllerRef = controller
      parser.feed(decoder.decode(bytes, { stream: true }))
    },
    flush(controller) {
      if (!done) controller.enqueue(encoder.encode("data: [DONE]\n\n"))
    }
  })
}

/** The handler. */
export const make =
  (ctx: GatewayContext) =>
  async (request: Request): Promise<Response> => {
    const startedAt = performance.now()
    const token = credentialOf(request.headers)
    if (token === undefined) return errorResponse("openai", missingKey)
    // The key before the body: an unauthenticated body is never buffered.
    const caller = await verifyNow(ctx, token)
    if (caller instanceof GatewayError) return errorResponse("openai", caller)
    const read = await readJsonBody(request, ctx.settings.maxBodyBytes)
    let parsed: ChatRoute.Parsed
    const table = ctx.routing.current()
    const { aiProvider } = ctx.settings
    const built =
      read instanceof GatewayError
        ? read
        : toOpenAI(read.json, {
            defaultModel: table.defaultModel,
            defaultTemperature: ctx.settings.chatTemperature,
            // Seed 003 sent every model to its one backend: names go to AI_PROVIDER unless an
            // alias or a `provider/` prefix says otherwise.
            route: (name) =>
              table.aliases.some(([alias]) => alias === name)
                ? name
                : Routing.onPlatformProvider(name, aiProvider)
          })
    if (built instanceof GatewayError) {
      const json = read instanceof GatewayError ? undefined : read.json
      parsed = {
        ok: false,
        error: built,
        model: ChatRoute.recordableModel(json)
      }
    } else {
      const request = parseClientRequest("openai", built)
      parsed = Either.isRight(request)
        ? { ok: true, request: request.right, bytes: undefined }
        : {
            ok: false,
            model: ChatRoute.recordableModel(built),
            error: invalid(request.left.field, request.left.message)
          }
    }
    const response = await ChatRoute.serve(ctx, request, "openai", caller, parsed, startedAt, "chat")
    if (!response.ok || !parsed.ok) return response
    // The model as the client knows it: the name it sent, else the default without our prefix.
    const named = read instanceof GatewayError || !isObject(read.json) ? undefined : read.json.model
    const routed = parsed.request.model
    const model =
      typeof named === "string"
        ? named
        : aiProvider !== undefined && routed.startsWith(`${aiProvider}/`)
          ? routed.slice(aiProvider.length + 1)
          : routed
    if (parsed.request.stream) {
      const headers = new Headers(response.headers)
      return new Response(response.body?.pipeThrough(toContentEvents()) ?? null, { status: 200, headers })
    }
    const answer: unknown = await response.json()
    const choice = isObject(answer) && Array.isArray(answer.choices) ? answer.choices[0] : undefined
    const content = isObject(choice) && isObject(choice.message) ? choice.message.content : undefined
    // The request id, the answering provider and the rate-limit windows go on to the client.
    const headers = new Headers(response.headers)
    headers.delete("content-length")
    headers.set("content-type", "application/json")
    return new Response(JSON.stringify({ content: typeof content === "string" ? content : "", model }), {
      status: 200,
      headers
    })
  }
