/**
 * `POST /v1/messages/count_tokens` (Anthropic's format, `messages.countTokens` in its SDKs): passed
 * to Anthropic for Claude models, to Gemini's `:countTokens` for Gemini models (both exact), and
 * counted locally with a tiktoken port for every other provider, translated to OpenAI's format
 * first; `x-switchyard-token-count` says `exact` or `estimate` (with `x-switchyard-tokenizer`).
 * Counting is not a model call: no usage event, nothing charged.
 */
import { GatewayError } from "@switchyard/domain"
import {
  type AnthropicClientRequest,
  countOpenAITokens,
  type OpenAIChatRequest,
  parseClientRequest,
  translateError,
  translateRequest
} from "@switchyard/router-core"
import { Either, Redacted } from "effect"
import { authenticate } from "../Authenticate.ts"
import * as ChatRoute from "../ChatRoute.ts"
import { errorResponse } from "../ClientError.ts"
import type { GatewayContext } from "../GatewayContext.ts"
import * as Limits from "../Limits.ts"
import { readJsonBody } from "../RequestBody.ts"
import * as RequestId from "../RequestId.ts"
import { readText, UpstreamCall } from "../Upstream.ts"
import * as UpstreamError from "../UpstreamError.ts"
import { jsonResponse } from "./json.ts"

const invalid = (field: string, message: string) =>
  new GatewayError({ status: 400, type: "invalid_request_error", message, param: field })

/** The request, validated as a messages request whose `max_tokens` may be left out. */
const validate = (json: unknown): AnthropicClientRequest | GatewayError => {
  const probe =
    typeof json === "object" && json !== null && !Array.isArray(json) && !("max_tokens" in json)
      ? { ...json, max_tokens: 1 }
      : json
  const parsed = parseClientRequest("anthropic", probe)
  if (Either.isLeft(parsed)) return invalid(parsed.left.field, parsed.left.message)
  // The client's body as sent (without the probe's max_tokens), for Anthropic to read.
  return { ...(parsed.right as AnthropicClientRequest), body: json as AnthropicClientRequest["body"] }
}

/** The handler. */
export const make =
  (ctx: GatewayContext) =>
  async (request: Request): Promise<Response> => {
    const requestId = RequestId.next()
    const caller = await authenticate(ctx, request, "anthropic")
    if (caller instanceof Response) return caller
    // One request against the caller's rate like every keyed route (no tokens: none are spent).
    const limits = await Limits.admitPlain(ctx, caller)
    const ids = { "x-request-id": requestId, "request-id": requestId, ...limits.headers }
    if (!limits.ok) return errorResponse("anthropic", limits.error, ids)
    const read = await readJsonBody(request, ctx.settings.maxBodyBytes)
    const req = read instanceof GatewayError ? read : validate(read.json)
    if (req instanceof GatewayError) return errorResponse("anthropic", req, ids)
    const prepared = await ChatRoute.prepare(ctx, caller, req.model, undefined)
    if (!prepared.ok) return errorResponse("anthropic", prepared.error, ids)
    const { route, credential } = prepared
    const { spec } = credential.provider
    const capabilities = spec.capabilities(route.upstreamModel)
    const headers = { ...ids, "x-switchyard-provider": route.provider }
    const counting = spec.tokenCounting
    if (counting === undefined) {
      const translated = translateRequest(req, "openai", {
        upstreamModel: route.upstreamModel,
        strict: false,
        capabilities
      })
      if (Either.isLeft(translated))
        return errorResponse("anthropic", invalid(translated.left.field, translated.left.message), ids)
      const counted = await countOpenAITokens(translated.right.body as OpenAIChatRequest, route.upstreamModel)
      return jsonResponse(
        200,
        { input_tokens: counted.inputTokens },
        { ...headers, "x-switchyard-token-count": "estimate", "x-switchyard-tokenizer": counted.tokenizer }
      )
    }
    const body = counting.request(req, route.upstreamModel, capabilities)
    if (Either.isLeft(body))
      return errorResponse("anthropic", invalid(body.left.field, body.left.message), ids)
    const call = new UpstreamCall(request.signal, ctx.settings.upstreamTimeoutMs)
    const upstreamHeaders = spec.headers(Redacted.value(credential.apiKey))
    const beta = request.headers.get("anthropic-beta")
    if (spec.format === "anthropic" && beta !== null) upstreamHeaders["anthropic-beta"] = beta
    let status: number
    let text: string
    try {
      const response = await call.send(
        counting.url(credential.baseUrl, route.upstreamModel),
        upstreamHeaders,
        JSON.stringify(body.right)
      )
      status = response.status
      const read = await readText(response, ctx.settings.upstreamMaxBodyBytes)
      if (read === undefined)
        return errorResponse(
          "anthropic",
          UpstreamError.tooLarge(route.provider, ctx.settings.upstreamMaxBodyBytes),
          headers
        )
      text = read
    } catch (error) {
      return errorResponse(
        "anthropic",
        call.timedOut
          ? UpstreamError.timedOut(route.provider, ctx.settings.upstreamTimeoutMs)
          : UpstreamError.unreachable(route.provider, error),
        headers
      )
    } finally {
      call.answered()
    }
    if (UpstreamError.isCredentialRejection(status)) {
      const rejected = UpstreamError.credentialRejected(route.provider, status, credential.source)
      return errorResponse("anthropic", rejected, { ...headers, "x-should-retry": "false" })
    }
    if (status >= 400) {
      const translated = translateError(
        status,
        UpstreamError.withoutCredential(text, credential.apiKey),
        spec.format,
        "anthropic"
      )
      return jsonResponse(translated.status, translated.body, headers)
    }
    let answer: unknown
    try {
      answer = JSON.parse(text)
    } catch {
      return errorResponse(
        "anthropic",
        UpstreamError.malformed(route.provider, "the body is not JSON"),
        headers
      )
    }
    const tokens = counting.inputTokens(answer)
    if (tokens === undefined)
      return errorResponse(
        "anthropic",
        UpstreamError.malformed(route.provider, "no token count in the answer"),
        headers
      )
    return jsonResponse(200, { input_tokens: tokens }, { ...headers, "x-switchyard-token-count": "exact" })
  }
