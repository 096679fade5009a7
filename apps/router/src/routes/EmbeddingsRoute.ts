/**
 * `POST /v1/embeddings` (OpenAI format) to any provider whose spec has `embeddings` (OpenAI,
 * OpenAI-compatible servers, Google, the mock; the translation is the provider's). Other providers
 * have no embeddings API here: 400. One usage event per authenticated request, and the caller's
 * limits (rate, tokens, budget) as for chat, with the same `x-ratelimit-*` headers.
 */
import { GatewayError, modelNameProblem, type TokenUsage } from "@switchyard/domain"
import {
  EMBEDDING_ENCODINGS,
  EmbeddingsRefusal,
  NO_USAGE,
  tokenCount,
  translateError,
  withBase64Embeddings
} from "@switchyard/router-core"
import { Redacted } from "effect"
import { failed, RequestLog } from "../Accounting.ts"
import { missingKey, verifyNow } from "../Authenticate.ts"
import { credentialOf } from "../CallerAuth.ts"
import * as ChatRoute from "../ChatRoute.ts"
import { errorResponse } from "../ClientError.ts"
import type { GatewayContext } from "../GatewayContext.ts"
import * as Limits from "../Limits.ts"
import { readJsonBody } from "../RequestBody.ts"
import * as RequestId from "../RequestId.ts"
import { readText, UpstreamCall } from "../Upstream.ts"
import * as UpstreamError from "../UpstreamError.ts"
import { jsonResponse } from "./json.ts"

type Json = Record<string, unknown>
const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

const invalid = (field: string, message: string) =>
  new GatewayError({ status: 400, type: "invalid_request_error", message, param: field })

const isNumbers = (u: unknown) => Array.isArray(u) && u.every((n) => typeof n === "number")

/**
 * Validates an embeddings body: `model`, `input` (string, strings, tokens or token arrays) and
 * `encoding_format`, which every provider's answer is then given in.
 */
export const validate = (
  body: unknown
): { model: string; input: unknown; base64: boolean } | GatewayError => {
  if (!isObject(body)) return invalid("body", "The request body must be a JSON object")
  if (typeof body.model !== "string" || body.model.length === 0) {
    return invalid("model", "'model' is required and must be a string")
  }
  const modelProblem = modelNameProblem(body.model)
  if (modelProblem !== undefined) return invalid("model", modelProblem)
  const input = body.input
  const ok =
    typeof input === "string" ||
    (Array.isArray(input) &&
      input.length > 0 &&
      (input.every((i) => typeof i === "string") || isNumbers(input) || input.every(isNumbers)))
  if (!ok) return invalid("input", "'input' must be a string, an array of strings, or token arrays")
  if (
    body.dimensions !== undefined &&
    (typeof body.dimensions !== "number" || !Number.isInteger(body.dimensions))
  ) {
    return invalid("dimensions", "'dimensions' must be an integer")
  }
  const encoding = body.encoding_format
  if (encoding !== undefined && encoding !== null && !EMBEDDING_ENCODINGS.includes(encoding as string)) {
    return invalid("encoding_format", "'encoding_format' must be 'float' or 'base64'")
  }
  return { model: body.model, input, base64: encoding === "base64" }
}

/** The input's size in tokens, roughly (a token array counts as itself): the limits' estimate. */
export const estimateInput = (input: unknown): number => {
  if (typeof input === "string") return Math.ceil(input.length / 4)
  if (!Array.isArray(input)) return 0
  if (input.every((i) => typeof i === "number")) return input.length
  let tokens = 0
  for (const item of input) tokens += estimateInput(item)
  return tokens
}

const usageOf = (answer: unknown, estimated: boolean): TokenUsage => {
  const usage = isObject(answer) && isObject(answer.usage) ? answer.usage : undefined
  const tokens = usage ? tokenCount(usage.prompt_tokens) : 0
  return { ...NO_USAGE, inputTokens: tokens, estimated: estimated || usage === undefined }
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
    const valid = read instanceof GatewayError ? read : validate(read.json)
    const prepared = await ChatRoute.prepare(
      ctx,
      caller,
      valid instanceof GatewayError ? undefined : valid.model,
      valid instanceof GatewayError ? valid : undefined
    )
    const requestId = RequestId.next()
    const model = valid instanceof GatewayError ? "" : valid.model
    if (!prepared.ok) {
      if (prepared.caller !== undefined) {
        ctx.accounting.finish(
          new RequestLog(requestId, startedAt, prepared.caller, model, false),
          failed(prepared.error)
        )
      }
      return errorResponse("openai", prepared.error, { "x-request-id": requestId })
    }
    const body = (read as { json: Json }).json
    const { route, credential } = prepared
    const log = new RequestLog(requestId, startedAt, prepared.caller, model, false)
    log.provider = route.provider
    log.upstreamModel = route.upstreamModel
    const fail = (error: GatewayError) => {
      ctx.accounting.finish(log, failed(error))
      return errorResponse("openai", error, log.headers)
    }
    // Under the caller's limits like chat: the input's tokens reserved, the real count settled.
    const inputTokens = estimateInput(valid instanceof GatewayError ? undefined : valid.input)
    const { costMicros } = ctx.pricing.cost(route.provider, route.upstreamModel, {
      ...NO_USAGE,
      inputTokens,
      estimated: true
    })
    const limits = await Limits.admitUsage(ctx, prepared.caller, "api", { tokens: inputTokens, costMicros })
    for (const name in limits.headers) log.headers[name] = limits.headers[name]!
    if (!limits.ok) return fail(limits.error)
    Limits.bind(log, limits.admission)
    const { spec } = credential.provider
    const embeddings = spec.embeddings
    if (embeddings === undefined) {
      return fail(invalid("model", `The ${route.provider} provider offers no embeddings through Switchyard`))
    }
    const upstreamBody = embeddings.request(body, route.upstreamModel)
    if (upstreamBody instanceof EmbeddingsRefusal)
      return fail(invalid(upstreamBody.field, upstreamBody.message))
    const url = embeddings.url(credential.baseUrl, route.upstreamModel)

    const call = new UpstreamCall(request.signal, ctx.settings.upstreamTimeoutMs)
    let text: string
    let status: number
    try {
      const response =
        spec.transport !== undefined
          ? spec.transport(url, upstreamBody)
          : await call.send(
              url,
              spec.headers(Redacted.value(credential.apiKey)),
              JSON.stringify(upstreamBody)
            )
      status = response.status
      const read = await readText(response, ctx.settings.upstreamMaxBodyBytes)
      if (read === undefined)
        return fail(UpstreamError.tooLarge(route.provider, ctx.settings.upstreamMaxBodyBytes))
      text = read
    } catch (error) {
      if (call.timedOut) return fail(UpstreamError.timedOut(route.provider, ctx.settings.upstreamTimeoutMs))
      // The client left: its call was aborted, the provider did nothing wrong.
      if (request.signal.aborted) {
        const gone = new GatewayError({
          status: 499,
          type: "api_error",
          message: "The client closed the request"
        })
        ctx.accounting.finish(log, failed(gone, "client_abort"))
        return errorResponse("openai", gone, log.headers)
      }
      return fail(UpstreamError.unreachable(route.provider, error))
    } finally {
      call.answered()
    }
    const headers = { ...log.headers, "x-switchyard-provider": route.provider }
    if (UpstreamError.isCredentialRejection(status)) {
      const rejected = UpstreamError.credentialRejected(route.provider, status, credential.source)
      ctx.accounting.finish(log, {
        outcome: "provider_error",
        status: rejected.status,
        errorType: rejected.code!,
        usage: NO_USAGE
      })
      return errorResponse("openai", rejected, { ...headers, "x-should-retry": "false" })
    }
    if (status >= 400) {
      const translated = translateError(
        status,
        UpstreamError.withoutCredential(text, credential.apiKey),
        spec.format,
        "openai"
      )
      ctx.accounting.finish(log, {
        outcome: "provider_error",
        status: translated.status,
        errorType: status >= 500 ? "api_error" : "invalid_request_error",
        usage: NO_USAGE
      })
      return jsonResponse(translated.status, translated.body, headers)
    }
    let answer: unknown
    try {
      answer = JSON.parse(text)
    } catch {
      return fail(UpstreamError.malformed(route.provider, "the body is not JSON"))
    }
    const base64 = (valid as { base64: boolean }).base64
    if (embeddings.response !== undefined) {
      const translated = embeddings.response(answer, model, body)
      if (translated === undefined)
        return fail(UpstreamError.malformed(route.provider, "no embeddings in the answer"))
      ctx.accounting.finish(log, {
        outcome: "success",
        status: 200,
        errorType: null,
        usage: usageOf(translated.body, translated.estimated)
      })
      const out = base64 ? (withBase64Embeddings(translated.body) ?? translated.body) : translated.body
      return jsonResponse(200, out, headers)
    }
    ctx.accounting.finish(log, { outcome: "success", status, errorType: null, usage: usageOf(answer, false) })
    // An upstream that sent numbers where the client asked for base64 is re-encoded; else untouched.
    const encoded = base64 ? withBase64Embeddings(answer) : undefined
    if (encoded !== undefined) return jsonResponse(status, encoded, headers)
    return new Response(text, { status, headers: { ...headers, "content-type": "application/json" } })
  }
