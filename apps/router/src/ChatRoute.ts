/**
 * The hot path: `POST /v1/chat/completions` (OpenAI clients) and `POST /v1/messages` (Anthropic
 * clients), to any provider. In order, and nothing else: authenticate → resolve model and
 * credential (both cached: no effect runs on a hit) → admit under the limits → forward with plain
 * `fetch`, through retries and fallbacks → answer (bytes passed through when both sides speak the
 * same format, translated otherwise) → record one usage event and settle the limits.
 *
 * Nothing has reached the client until `Forward.answer`, which awaits a stream's first chunk
 * before answering, so every failure before it can still be retried or fall back.
 */
import { GatewayError, modelNameProblem, type RouteProviderId } from "@switchyard/domain"
import {
  type ClientFormat,
  type ClientRequest,
  type Credentials,
  Fallbacks,
  parseClientRequest,
  type Routing,
  Timeouts
} from "@switchyard/router-core"
import { Effect, Either } from "effect"
import { failed, RequestLog } from "./Accounting.ts"
import { missingKey, verifyNow } from "./Authenticate.ts"
import { type Caller, credentialOf } from "./CallerAuth.ts"
import { errorResponse } from "./ClientError.ts"
import * as Forward from "./Forward.ts"
import type { GatewayContext } from "./GatewayContext.ts"
import * as Limits from "./Limits.ts"
import { type JsonBody, readJsonBody } from "./RequestBody.ts"
import * as RequestId from "./RequestId.ts"
import * as UpstreamError from "./UpstreamError.ts"

const modelNotFound = (model: string) =>
  new GatewayError({
    status: 404,
    type: "invalid_request_error",
    code: "model_not_found",
    param: "model",
    message: `The model \`${model}\` does not exist or is not routable: use provider/model or a known prefix`
  })

/** A request ready to forward, or why it is refused (with the caller, when known, for accounting). */
export type Prepared =
  | {
      readonly ok: true
      readonly caller: Caller
      readonly route: Routing.Route
      readonly credential: Credentials.Credential
    }
  | { readonly ok: false; readonly caller: Caller | undefined; readonly error: GatewayError }

/**
 * Authenticates, then (when the body was valid) resolves the route and the credential (never
 * rejects). When the key and the credential are cached, the common case, it runs no effect and
 * answers at once, not through a promise.
 */
export const prepare = (
  ctx: GatewayContext,
  token: string | Caller,
  model: string | undefined,
  bodyError: GatewayError | undefined
): Prepared | Promise<Prepared> => {
  const found = typeof token === "string" ? verifyNow(ctx, token) : token
  return found instanceof Promise
    ? found.then((caller) => prepareFor(ctx, caller, model, bodyError))
    : prepareFor(ctx, found, model, bodyError)
}

const prepareFor = (
  ctx: GatewayContext,
  found: Caller | GatewayError,
  model: string | undefined,
  bodyError: GatewayError | undefined
): Prepared | Promise<Prepared> => {
  if (found instanceof GatewayError) return { ok: false, caller: undefined, error: found }
  const caller = found
  if (bodyError !== undefined || model === undefined) {
    return { ok: false, caller, error: bodyError ?? missingKey }
  }
  const table = ctx.routing.current()
  const route = table.resolve(model)
  if (route === undefined) return { ok: false, caller, error: modelNotFound(model) }
  // The first deployment's own operator key, when the routing file gives it one.
  const operator = table.deployments(model)?.[0]?.[0]?.credential
  const credential = credentialFor(ctx, caller.userId, route.provider, operator)
  return credential instanceof Promise
    ? credential.then((resolved) => preparedWith(caller, route, resolved))
    : preparedWith(caller, route, credential)
}

const preparedWith = (
  caller: Caller,
  route: Routing.Route,
  credential: Credentials.Credential | GatewayError
): Prepared =>
  credential instanceof GatewayError
    ? { ok: false, caller, error: credential }
    : { ok: true, caller, route, credential }

/** The credential for one provider: from the cache when it is there, else looked up. */
const credentialFor = (
  ctx: GatewayContext,
  userId: string,
  provider: RouteProviderId,
  operator: Credentials.OperatorKey | undefined
): Credentials.Credential | GatewayError | Promise<Credentials.Credential | GatewayError> =>
  ctx.credentials.resolveCached(userId, provider, operator) ??
  ctx.run(Effect.merge(ctx.credentials.resolve(userId, provider, operator)))

/** A validated request, or the reason it is not one. */
export type Parsed =
  | {
      readonly ok: true
      readonly request: ClientRequest
      readonly bytes: Uint8Array<ArrayBuffer> | undefined
    }
  | { readonly ok: false; readonly error: GatewayError; readonly model: string }

/**
 * The model a refused body named, for its usage event: only when it is a valid model name (a bad
 * one is what was refused; recording it would carry NUL or 8 000 characters into the ledger).
 */
export const recordableModel = (json: unknown): string =>
  typeof json === "object" &&
  json !== null &&
  "model" in json &&
  typeof json.model === "string" &&
  modelNameProblem(json.model) === undefined
    ? json.model
    : ""

/** Validates a parsed body as a client request of `format`. */
export const parseBody = (format: ClientFormat, body: JsonBody | GatewayError): Parsed => {
  if (body instanceof GatewayError) return { ok: false, error: body, model: "" }
  const parsed = parseClientRequest(format, body.json)
  if (Either.isRight(parsed)) return { ok: true, request: parsed.right, bytes: body.bytes }
  return {
    ok: false,
    model: recordableModel(body.json),
    error: new GatewayError({
      status: 400,
      type: "invalid_request_error",
      message: parsed.left.message,
      param: parsed.left.field
    })
  }
}

/**
 * The request's id as the client's SDK reads it: `x-request-id` for everyone, and `request-id`
 * too for Anthropic's format, where Anthropic's SDKs take `_request_id` from it.
 */
export const idHeaders = (format: ClientFormat, requestId: string): Record<string, string> =>
  format === "anthropic"
    ? { "x-request-id": requestId, "request-id": requestId }
    : { "x-request-id": requestId }

/**
 * Handles one chat request from a client speaking `format`. The key is checked before the body is
 * read: a request with a bad key is answered without its body ever being buffered, so bogus keys
 * cannot make the router hold megabytes per connection.
 */
export const handle = async (
  ctx: GatewayContext,
  request: Request,
  format: ClientFormat
): Promise<Response> => {
  const startedAt = performance.now()
  const token = credentialOf(request.headers)
  if (token === undefined) return errorResponse(format, missingKey)
  const verified = verifyNow(ctx, token)
  const caller = verified instanceof Promise ? await verified : verified
  if (caller instanceof GatewayError) return errorResponse(format, caller)
  const parsed = parseBody(format, await readJsonBody(request, ctx.settings.maxBodyBytes))
  return serve(ctx, request, format, caller, parsed, startedAt)
}

/**
 * Serves a parsed request (also the entry of seed 003's `/api/chat`, which builds its own) for a
 * caller already authenticated, or a credential still to check. `family` picks the default
 * request rate the request counts against (`/api/chat` has its own).
 */
export const serve = async (
  ctx: GatewayContext,
  request: Request,
  format: ClientFormat,
  token: string | Caller,
  parsed: Parsed,
  startedAt: number,
  family: Limits.RouteFamily = "api"
): Promise<Response> => {
  // Awaited only when something was not cached: a value needs no trip through the microtask queue.
  const preparing = prepare(
    ctx,
    token,
    parsed.ok ? parsed.request.model : undefined,
    parsed.ok ? undefined : parsed.error
  )
  const prepared = preparing instanceof Promise ? await preparing : preparing
  const admitting =
    prepared.ok && parsed.ok
      ? Limits.admit(ctx, prepared.caller, prepared.route, parsed.request, family)
      : undefined
  const limits = admitting instanceof Promise ? await admitting : admitting
  const requestId = RequestId.next()
  if (!prepared.ok) {
    if (prepared.caller !== undefined) {
      const model = parsed.ok ? parsed.request.model : parsed.model
      const log = new RequestLog(
        requestId,
        startedAt,
        prepared.caller,
        model,
        parsed.ok && parsed.request.stream
      )
      ctx.accounting.finish(log, failed(prepared.error))
    }
    return errorResponse(format, prepared.error, idHeaders(format, requestId))
  }
  // `prepared.ok` implies a valid body.
  const { request: clientRequest, bytes } = parsed as Extract<Parsed, { ok: true }>
  const log = new RequestLog(requestId, startedAt, prepared.caller, clientRequest.model, clientRequest.stream)
  if (format === "anthropic") log.headers["request-id"] = requestId
  if (limits !== undefined && !limits.ok) {
    // Refused by a limit: 429 (503 when the limits store is down and fails closed), charged nothing.
    log.provider = prepared.route.provider
    log.upstreamModel = prepared.route.upstreamModel
    ctx.accounting.finish(log, failed(limits.error))
    return errorResponse(format, limits.error, { ...limits.headers, ...idHeaders(format, requestId) })
  }
  if (limits !== undefined) {
    Limits.bind(log, limits.admission)
    for (const name in limits.headers) log.headers[name] = limits.headers[name]!
  }
  return forward(ctx, request, format, clientRequest, bytes, prepared.route, prepared.credential, log)
}

/**
 * Forwards a prepared request through the fallback engine: each deployment of the model (spread by
 * weight), then each fallback, retried on 429/5xx, connection errors and timeouts before anything
 * reached the client; the first answer that is not retryable (or, when every one failed, the last
 * failing answer) goes to the client. Once the body streams, nothing is retried.
 */
const forward = async (
  ctx: GatewayContext,
  request: Request,
  format: ClientFormat,
  req: ClientRequest,
  bytes: Uint8Array<ArrayBuffer> | undefined,
  route: Routing.Route,
  credential: Credentials.Credential,
  log: RequestLog
): Promise<Response> => {
  const attempts = new Attempts(ctx, request, format, req, bytes, route, credential, log)
  let answered: Fallbacks.Answer<Routing.Deployment>
  try {
    answered = await Fallbacks.runWithFallbacks(attempts)
  } catch (cause) {
    log.provider = route.provider
    log.upstreamModel = route.upstreamModel
    const refused = attempts.refused
    if (refused !== undefined) {
      log.dropped = refused.dropped
      ctx.accounting.finish(log, failed(refused.error))
      return errorResponse(format, refused.error, log.headers)
    }
    const refusal =
      cause instanceof Fallbacks.UpstreamUnavailable &&
      cause.cause instanceof Fallbacks.AttemptFailure &&
      cause.cause.cause instanceof GatewayError
        ? cause.cause.cause
        : undefined
    const error =
      refusal !== undefined
        ? refusal
        : cause instanceof Fallbacks.UpstreamUnavailable
          ? cause.reason === "cancelled"
            ? clientGone
            : cause.reason === "connection_error" || cause.reason === "failed"
              ? UpstreamError.unreachable(route.provider, cause.message)
              : Fallbacks.toGatewayError(cause)
          : UpstreamError.unreachable(route.provider, cause)
    ctx.accounting.finish(log, failed(error, error === clientGone ? "client_abort" : undefined))
    return errorResponse(format, error, log.headers)
  }
  const { deployment, response: upstream } = answered
  const planned = attempts.planOf(deployment)!
  log.provider = deployment.provider
  log.upstreamModel = deployment.upstreamModel
  log.dropped = planned.dropped
  // The engine's total timer and client listener live until the body has ended.
  log.answered = answered
  const response = await Forward.answer(ctx, request, format, req, planned, attempts.sentFor(upstream)!, log)
  const retryAfter = upstream.headers.get("retry-after")
  // Every deployment failed: the upstream's own answer goes to the client, with its Retry-After.
  if (answered.exhausted && retryAfter !== null) response.headers.set("retry-after", retryAfter)
  return response
}

/**
 * The fallback engine's options for one request, and what its attempts leave behind (each
 * deployment's plan, each response's call). A class, not closures over `forward`'s arguments: it
 * runs for every request, and its closures were a good part of what a request left for the serving
 * thread's collector.
 */
class Attempts implements Fallbacks.FallbackOptions<Routing.Deployment> {
  readonly groups: ReadonlyArray<ReadonlyArray<Routing.Deployment>>
  readonly breaker: Fallbacks.FallbackOptions<Routing.Deployment>["breaker"]
  readonly policy: Fallbacks.FallbackOptions<Routing.Deployment>["policy"]
  readonly timeouts: Timeouts.Timeouts
  readonly signal: AbortSignal
  readonly timers: Fallbacks.FallbackOptions<Routing.Deployment>["timers"]
  readonly primary: Routing.Deployment | undefined
  /** Strict mode: the first choice refused to translate with loss, and that is the client's answer. */
  refused: Forward.Refused | undefined
  /** Plans by deployment, in the order they were made (one, unless an attempt fell back). */
  private readonly plans: Array<readonly [string, Forward.Plan]> = []
  private readonly sent: Array<Extract<Forward.Sent, { _tag: "Response" }>> = []

  constructor(
    readonly ctx: GatewayContext,
    readonly request: Request,
    readonly format: ClientFormat,
    readonly req: ClientRequest,
    readonly bytes: Uint8Array<ArrayBuffer> | undefined,
    readonly route: Routing.Route,
    readonly credential: Credentials.Credential,
    readonly log: RequestLog
  ) {
    const table = ctx.routing.current()
    this.groups = table.deployments(req.model) ?? [
      [{ ...route, id: `${route.provider}/${route.upstreamModel}`, weight: 1 }]
    ]
    this.primary = this.groups[0]?.[0]
    this.breaker = ctx.breaker()
    this.policy = table.retry
    this.timeouts = table.timeouts ?? defaultTimeouts(ctx.settings.upstreamTimeoutMs)
    this.signal = request.signal
    this.timers = ctx.timers
  }

  planOf(deployment: Routing.Deployment): Forward.Plan | undefined {
    for (const [id, plan] of this.plans) if (id === deployment.id) return plan
    return undefined
  }

  sentFor(response: Response): Extract<Forward.Sent, { _tag: "Response" }> | undefined {
    for (const sent of this.sent) if (sent.response === response) return sent
    return undefined
  }

  /** A user's own key is theirs alone: its failures open a breaker of its own. */
  ownKey(deployment: Routing.Deployment): boolean {
    if (deployment.credential !== undefined) return false
    const found =
      deployment === this.primary
        ? this.credential
        : this.ctx.credentials.resolveCached(this.log.caller.userId, deployment.provider)
    return found !== undefined && !(found instanceof GatewayError) && found.source === "user"
  }

  breakerKey(deployment: Routing.Deployment): string {
    return this.ownKey(deployment) ? `${deployment.id}#user:${this.log.caller.userId}` : deployment.id
  }

  /** A 429 on the user's own key is their quota, not the provider's health. */
  statusCounts(deployment: Routing.Deployment, status: number): boolean {
    return status !== 429 || !this.ownKey(deployment)
  }

  async attempt(deployment: Routing.Deployment, { signal }: Fallbacks.AttemptContext): Promise<Response> {
    let planned: Forward.Plan
    try {
      const pending = this.planFor(deployment)
      planned = pending instanceof Promise ? await pending : pending
    } catch (error) {
      // Building the request failed on our side: not the provider's fault, not worth a retry.
      if (error instanceof Fallbacks.AttemptFailure) throw error
      throw new Fallbacks.AttemptFailure({
        retryable: false,
        message: `the request could not be prepared: ${error instanceof Error ? error.message : String(error)}`
      })
    }
    const sent = await Forward.send(this.ctx, this.request, planned, signal)
    if (sent._tag === "Failed") {
      // Refused by our own guard (a redirect, a non-public address): final, and the client
      // gets exactly that error; anything else is a connection failure, retried.
      if (Forward.isRefusal(sent.error)) {
        throw new Fallbacks.AttemptFailure({
          retryable: false,
          message: sent.error.message,
          cause: sent.error
        })
      }
      throw sent.error
    }
    this.sent.push(sent)
    return sent.response
  }

  /**
   * The deployment's plan: made at once with the request's own credential (the common case, no
   * promise), or after looking up the credential another provider or key needs.
   */
  private planFor(deployment: Routing.Deployment): Forward.Plan | Promise<Forward.Plan> {
    const known = this.planOf(deployment)
    if (known !== undefined) return known
    // `credential` is the primary's; any other deployment with another provider or key resolves its own.
    if (
      deployment !== this.primary &&
      (deployment.provider !== this.route.provider ||
        deployment.credential !== undefined ||
        this.credential.source === "operator")
    ) {
      return this.planWithOwnCredential(deployment)
    }
    return this.planWith(deployment, this.credential)
  }

  private async planWithOwnCredential(deployment: Routing.Deployment): Promise<Forward.Plan> {
    const found = await credentialFor(
      this.ctx,
      this.log.caller.userId,
      deployment.provider,
      deployment.credential
    )
    if (found instanceof GatewayError) {
      throw new Fallbacks.AttemptFailure({ retryable: true, message: found.message })
    }
    return this.planWith(deployment, found)
  }

  private planWith(deployment: Routing.Deployment, credential: Credentials.Credential): Forward.Plan {
    const planned = Forward.plan(this.ctx, this.format, this.req, this.bytes, deployment, credential)
    if (planned._tag === "Refused") {
      // Strict mode: the first choice refusing is the client's answer; a fallback is skipped.
      if (deployment === this.primary) this.refused = planned
      throw new Fallbacks.AttemptFailure({
        retryable: deployment !== this.primary,
        message: planned.error.message
      })
    }
    this.plans.push([deployment.id, planned])
    return planned
  }
}

/** The engine's timeouts when the routing file sets none: one object per setting, not per request. */
let lastDefaultTimeouts: Timeouts.Timeouts | undefined
const defaultTimeouts = (firstByteMs: number): Timeouts.Timeouts => {
  if (lastDefaultTimeouts?.firstByteMs !== firstByteMs) {
    lastDefaultTimeouts = { ...Timeouts.defaultTimeouts, firstByteMs }
  }
  return lastDefaultTimeouts
}

const clientGone = new GatewayError({
  status: 499,
  type: "api_error",
  message: "The client closed the request"
})
