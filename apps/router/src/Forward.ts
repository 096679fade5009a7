/**
 * One upstream attempt of the hot path, in three steps kept apart so retries and fallbacks can wrap
 * them: `plan` (the bytes, URL and headers for one route), `send` (plain `fetch`, or the
 * provider's in-process transport: the mock), `answer` (the client's response: bytes passed
 * through, or translated; usage recorded).
 */
import { GatewayError } from "@switchyard/domain"
import {
  type ClientFormat,
  type ClientRequest,
  type Credentials,
  errorTypeForStatus,
  estimateInputTokens,
  jsonUsage,
  makeStreamTranslator,
  makeUsageTap,
  mustTranslateSameFormat,
  NO_USAGE,
  type ProviderSpec,
  type Routing,
  translateError,
  translateRequest,
  translateResponse,
  type UpstreamFormat
} from "@switchyard/router-core"
import { Either, Redacted } from "effect"
import { type Ending, failed, type RequestLog } from "./Accounting.ts"
import { errorEvent, errorResponse } from "./ClientError.ts"
import type { GatewayContext } from "./GatewayContext.ts"
import { relay } from "./Relay.ts"
import { exemptFromIdleTimeout } from "./Server.ts"
import { readText, UpstreamCall } from "./Upstream.ts"
import * as UpstreamError from "./UpstreamError.ts"

/** What to send for one route. */
export interface Plan {
  readonly _tag: "Plan"
  readonly route: Routing.Route
  readonly credential: Credentials.Credential
  readonly upstreamFormat: UpstreamFormat
  /** Client and upstream speak the same format and the answer goes back untouched. */
  readonly passthrough: boolean
  /** The client asked for a stream (Gemini puts this in the URL, not the body). */
  readonly stream: boolean
  readonly body: BodyInit
  /** The same body as an object (the mock reads it). */
  readonly bodyObject: Record<string, unknown>
  /** Client fields the upstream cannot carry (`x-switchyard-dropped`). */
  readonly dropped: ReadonlyArray<string>
  /** Structured output emulated with this forced tool: its call is the answer's text. */
  readonly outputTool?: string | undefined
}

/** Strict mode refused to translate with loss: the fields that could not be carried. */
export interface Refused {
  readonly _tag: "Refused"
  readonly error: GatewayError
  readonly dropped: ReadonlyArray<string>
}

/**
 * Plans the call. Same format: the client's bytes untouched when nothing in them must change (the
 * model name aside). OpenAI streams whose client did not ask for usage are translated, so usage can
 * be asked of the upstream and hidden from the client.
 */
export const plan = (
  ctx: GatewayContext,
  format: ClientFormat,
  req: ClientRequest,
  bytes: Uint8Array<ArrayBuffer> | undefined,
  route: Routing.Route,
  credential: Credentials.Credential
): Plan | Refused => {
  const { spec } = credential.provider
  const upstreamFormat = upstreamFormatOf(format, spec)
  const upstreamModel = route.upstreamModel
  const stream = req.stream
  // Reads only the request's structured output field: nothing more when it has none.
  const passthrough =
    upstreamFormat === format &&
    (!stream || format !== "openai" || req.includeUsage) &&
    !mustTranslateSameFormat(req, spec.capabilities, upstreamModel)
  if (passthrough) {
    const original = req.body as unknown as Record<string, unknown>
    if (upstreamModel === req.model && bytes !== undefined) {
      return {
        _tag: "Plan",
        route,
        credential,
        upstreamFormat,
        passthrough,
        stream,
        body: bytes,
        bodyObject: original,
        dropped: []
      }
    }
    const bodyObject = { ...original, model: upstreamModel }
    return {
      _tag: "Plan",
      route,
      credential,
      upstreamFormat,
      passthrough,
      stream,
      body: JSON.stringify(bodyObject),
      bodyObject,
      dropped: []
    }
  }
  const translated = translateRequest(req, upstreamFormat, {
    upstreamModel,
    strict: ctx.settings.strict,
    capabilities: spec.capabilities(upstreamModel)
  })
  if (Either.isLeft(translated)) {
    const violation = translated.left
    return {
      _tag: "Refused",
      dropped: violation.fields,
      error: new GatewayError({
        status: 400,
        type: "invalid_request_error",
        message: violation.message,
        param: violation.field
      })
    }
  }
  const bodyObject = translated.right.body as Record<string, unknown>
  return {
    _tag: "Plan",
    route,
    credential,
    upstreamFormat,
    passthrough,
    stream,
    body: JSON.stringify(bodyObject),
    bodyObject,
    dropped: translated.right.dropped,
    outputTool: translated.right.outputTool
  }
}

/** What the upstream is sent: its chat format, or the Responses API when both sides speak it. */
const upstreamFormatOf = (format: ClientFormat, spec: ProviderSpec): UpstreamFormat =>
  format === "responses" && spec.responsesUrl !== undefined ? "responses" : spec.format

/** An error of our SSRF guard (a redirect, a non-public address): not retried, sent as is. */
export const isRefusal = (error: GatewayError): boolean =>
  error.code === "upstream_redirect" || error.code === "upstream_address_refused"

/** Whether the credential carries a base URL its user chose (the SSRF-guarded kind). */
const userBaseUrl = (credential: Credentials.Credential) =>
  credential.source === "user" && credential.provider.spec.id === "openai-compatible"

/** The outcome of sending: the upstream's response (any status), or why there is none. */
export type Sent =
  | { readonly _tag: "Response"; readonly response: Response; readonly call: UpstreamCall }
  | { readonly _tag: "Failed"; readonly error: GatewayError; readonly ending: Ending }

/**
 * The provider's headers, plus the client's `anthropic-beta` when both speak Anthropic's format
 * (opt-in features such as extended caching or new tool types are negotiated through it).
 */
const upstreamHeaders = (
  base: Record<string, string>,
  upstreamFormat: UpstreamFormat,
  clientHeaders: Headers
): Record<string, string> => {
  if (upstreamFormat !== "anthropic") return base
  const beta = clientHeaders.get("anthropic-beta")
  return beta === null ? base : { ...base, "anthropic-beta": beta }
}

/** Why a call failed: its timeout, the client leaving, or the network. */
const whyFailed = (
  ctx: GatewayContext,
  request: Request,
  call: UpstreamCall,
  provider: string,
  error: unknown
): { readonly error: GatewayError; readonly ending: Ending } => {
  if (call.timedOut) {
    const timeout = UpstreamError.timedOut(provider, ctx.settings.upstreamTimeoutMs)
    return { error: timeout, ending: failed(timeout) }
  }
  if (request.signal.aborted) {
    const gone = new GatewayError({
      status: 499,
      type: "api_error",
      message: "The client closed the request"
    })
    return { error: gone, ending: failed(gone, "client_abort") }
  }
  const unreachable = UpstreamError.unreachable(provider, error)
  return { error: unreachable, ending: failed(unreachable) }
}

/**
 * Sends the planned request (aborted if the client leaves or the upstream does not answer in
 * time). With `signal` (the fallback engine's, which times the attempt and follows the client),
 * the call is aborted by that signal only.
 */
export const send = async (
  ctx: GatewayContext,
  request: Request,
  planned: Plan,
  signal?: AbortSignal
): Promise<Sent> => {
  const { route, credential, upstreamFormat } = planned
  const call =
    signal === undefined
      ? new UpstreamCall(request.signal, ctx.settings.upstreamTimeoutMs)
      : new UpstreamCall(signal, undefined)
  const { spec } = credential.provider
  const url =
    upstreamFormat === "responses"
      ? spec.responsesUrl!(credential.baseUrl)
      : spec.chatUrl(credential.baseUrl, route.upstreamModel, planned.stream)
  // An in-process provider (the mock) answers the request as it would have been sent.
  if (spec.transport !== undefined) {
    return { _tag: "Response", response: spec.transport(url, planned.bodyObject), call }
  }
  const headers = upstreamHeaders(
    spec.headers(Redacted.value(credential.apiKey)),
    upstreamFormat,
    request.headers
  )
  try {
    // The platform's and the operator's URLs are trusted; a user's base URL is checked per call.
    if (!userBaseUrl(credential))
      return { _tag: "Response", response: await call.send(url, headers, planned.body), call }
    const target = await ctx.targets(url)
    if (target instanceof GatewayError) {
      call.answered()
      return { _tag: "Failed", error: target, ending: failed(target) }
    }
    const response = await call.sendTo(target, headers, planned.body)
    if (response.status >= 300 && response.status < 400) {
      call.answered()
      response.body?.cancel().catch(() => undefined)
      const error = UpstreamError.redirected(route.provider, response.status)
      return { _tag: "Failed", error, ending: failed(error) }
    }
    return { _tag: "Response", response, call }
  } catch (error) {
    call.answered()
    return { _tag: "Failed", ...whyFailed(ctx, request, call, route.provider, error) }
  }
}

const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  "x-accel-buffering": "no"
} as const

const encoder = new TextEncoder()

/** Records the request as failed with `error` and answers the client with it. */
const fail = (
  ctx: GatewayContext,
  log: RequestLog,
  format: ClientFormat,
  error: GatewayError,
  ending: Ending = failed(error)
): Response => {
  ctx.accounting.finish(log, ending)
  return errorResponse(format, error, log.headers)
}

/** Answers the client from what `send` gave, and records the request's one usage event. */
export const answer = async (
  ctx: GatewayContext,
  request: Request,
  format: ClientFormat,
  req: ClientRequest,
  planned: Plan,
  sent: Sent,
  log: RequestLog
): Promise<Response> => {
  if (sent._tag === "Failed") return fail(ctx, log, format, sent.error, sent.ending)
  const { response, call } = sent
  const { route, upstreamFormat, passthrough } = planned
  const provider = route.provider

  const headers: Record<string, string> = {
    ...log.headers,
    "x-switchyard-provider": provider,
    "x-switchyard-model": route.upstreamModel
  }
  if (planned.dropped.length > 0) headers["x-switchyard-dropped"] = planned.dropped.join(", ")

  if (response.status >= 400) {
    let text: string
    try {
      const read = await readText(response, ctx.settings.upstreamMaxBodyBytes)
      if (read === undefined)
        return fail(ctx, log, format, UpstreamError.tooLarge(provider, ctx.settings.upstreamMaxBodyBytes))
      text = UpstreamError.withoutCredential(read, planned.credential.apiKey)
    } catch (error) {
      const why = whyFailed(ctx, request, call, provider, error)
      return fail(ctx, log, format, why.error, why.ending)
    } finally {
      call.answered()
    }
    if (UpstreamError.isCredentialRejection(response.status)) {
      const rejected = UpstreamError.credentialRejected(provider, response.status, planned.credential.source)
      ctx.accounting.finish(log, {
        outcome: "provider_error",
        status: rejected.status,
        errorType: rejected.code!,
        usage: NO_USAGE
      })
      return errorResponse(format, rejected, { ...headers, "x-should-retry": "false" })
    }
    const errorType = errorTypeForStatus(response.status)
    if (upstreamFormat === format && response.status < 500) {
      ctx.accounting.finish(log, {
        outcome: "provider_error",
        status: response.status,
        errorType,
        usage: NO_USAGE
      })
      return new Response(text, {
        status: response.status,
        headers: { ...headers, "content-type": response.headers.get("content-type") ?? "application/json" }
      })
    }
    const translated = translateError(response.status, text, upstreamFormat, format)
    ctx.accounting.finish(log, {
      outcome: "provider_error",
      status: translated.status,
      errorType,
      usage: NO_USAGE
    })
    headers["content-type"] = "application/json"
    return new Response(JSON.stringify(translated.body), { status: translated.status, headers })
  }

  if (req.stream) {
    if (response.body === null) {
      call.answered()
      return fail(ctx, log, format, UpstreamError.malformed(provider, "the stream had no body"))
    }
    const translator = passthrough
      ? undefined
      : makeStreamTranslator(upstreamFormat, format, {
          requestedModel: req.model,
          clientWantsUsage: req.includeUsage,
          estimatedInputTokens: () => estimateInputTokens(req),
          request: req.body,
          outputTool: planned.outputTool
        })
    const tap = translator === undefined ? makeUsageTap(format, () => estimateInputTokens(req)) : undefined
    const usage = () => (translator !== undefined ? translator.usage() : tap!.usage())
    const source = translator === undefined ? response.body : response.body.pipeThrough(translator.stream)
    const primed = await relay(source, {
      onChunk: tap?.feed,
      onEnd: (end) => {
        // A translated stream reports upstream error events and truncation itself.
        const fault = translator?.error
        if (end === "idle") {
          // Cut by us: the ledger says why (504, upstream_idle_timeout), billed for what was sent.
          ctx.accounting.finish(log, {
            outcome: "timeout",
            status: 504,
            errorType: "upstream_idle_timeout",
            usage: usage()
          })
          return
        }
        const bad = end === "broken" || fault !== undefined
        ctx.accounting.finish(log, {
          outcome: end === "client_abort" ? "client_abort" : bad ? "provider_error" : "success",
          status: end === "client_abort" ? 499 : bad ? 502 : 200,
          errorType: end === "broken" ? "api_error" : (fault?.type ?? null),
          usage: usage()
        })
      },
      brokenEvent: (error) => encoder.encode(errorEvent(format, UpstreamError.unreachable(provider, error))),
      idleEvent: () =>
        encoder.encode(errorEvent(format, UpstreamError.idle(provider, ctx.settings.upstreamIdleTimeoutMs))),
      idleMs: ctx.settings.upstreamIdleTimeoutMs,
      cutShort: tap === undefined ? undefined : () => !tap.finished()
    })
    call.answered()
    if (primed._tag === "Failed") {
      const why = whyFailed(ctx, request, call, provider, primed.error)
      return fail(ctx, log, format, why.error, { ...why.ending, usage: usage() })
    }
    log.ttftMs = performance.now() - log.startedAt
    exemptFromIdleTimeout(request)
    return new Response(primed.stream, { status: 200, headers: { ...headers, ...SSE_HEADERS } })
  }

  let text: string
  try {
    const read = await readText(response, ctx.settings.upstreamMaxBodyBytes)
    if (read === undefined)
      return fail(ctx, log, format, UpstreamError.tooLarge(provider, ctx.settings.upstreamMaxBodyBytes))
    text = read
  } catch (error) {
    const why = whyFailed(ctx, request, call, provider, error)
    return fail(ctx, log, format, why.error, why.ending)
  } finally {
    call.answered()
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return fail(ctx, log, format, UpstreamError.malformed(provider, "the body is not JSON"))
  }
  let out = text
  let usage = passthrough ? jsonUsage(format, json, () => estimateInputTokens(req)) : NO_USAGE
  if (!passthrough) {
    const translated = translateResponse(json, upstreamFormat, format, {
      requestedModel: req.model,
      estimatedInputTokens: () => estimateInputTokens(req),
      request: req.body,
      outputTool: planned.outputTool
    })
    if (Either.isLeft(translated))
      return fail(ctx, log, format, UpstreamError.malformed(provider, translated.left.message))
    out = JSON.stringify(translated.right.body)
    usage = translated.right.usage
  }
  ctx.accounting.finish(log, { outcome: "success", status: response.status, errorType: null, usage })
  headers["content-type"] = "application/json"
  return new Response(out, { status: response.status, headers })
}
