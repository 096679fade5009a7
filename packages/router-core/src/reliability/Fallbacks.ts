/**
 * Sends one request upstream with retries, fallbacks, circuit breaking and timeouts, around the
 * router's own `fetch`:
 *
 * ```ts
 * const answer = await Fallbacks.runWithFallbacks({
 *   groups: [aliasDeployments, fallbackDeployments], // each group spread by weight, groups in order
 *   attempt: (deployment, { signal }) => fetch(urlOf(deployment), { ...init, signal }),
 *   breaker, policy, timeouts,
 *   signal: request.signal                           // the client's: gone → stop retrying
 * })
 * // answer.response: the upstream response (head received, body not read yet)
 * // answer.deployment: who answered (x-switchyard-provider / x-switchyard-model)
 * // answer.done() once the body has been forwarded or abandoned
 * ```
 * (`run` is the same as an Effect, taking the breaker from the context.)
 *
 * Retries happen only here, before the response is handed back: once the router starts sending
 * the body to the client nothing is retried (a broken stream ends with an error for the client).
 * A deployment is tried `1 + maxRetries` times with backoff (honouring `Retry-After`), then the
 * next deployment of its group, then the next group. Deployments cooling down are skipped; a
 * deployment whose cooldown has passed gets one probe request, without retries.
 *
 * When every deployment failed: if any of them answered (a 429 or 5xx), the last such response is
 * returned (`exhausted: true`) so the client sees the upstream's own status and `Retry-After`;
 * otherwise the promise rejects with `UpstreamUnavailable`.
 *
 * Plain Promises and timers, not Effect: this runs for every request (see `Timers.ts`).
 */
import { GatewayError } from "@switchyard/domain"
import { type Context, Data, Effect } from "effect"
import { CircuitBreaker } from "./CircuitBreaker.ts"
import * as RetryAfter from "./RetryAfter.ts"
import { defaultPolicy, delayFor, type RetryPolicy } from "./RetryPolicy.ts"
import { defaultTimeouts, type Timeouts } from "./Timeouts.ts"
import * as Timers from "./Timers.ts"
import { weightedOrder } from "./WeightedPicker.ts"

/** What the engine needs of a deployment; the router's own type carries the rest. */
export interface Deployment {
  /** Stable identity for the circuit breaker, e.g. `openai/gpt-4o-mini#platform`. */
  readonly id: string
  /** Share of its group's traffic (default 1; 0: only when every other one failed). */
  readonly weight?: number | undefined
}

/** Passed to each attempt. */
export interface AttemptContext {
  /**
   * Aborted on the first-byte timeout, when the client goes away, and, after the response has
   * been handed back, when the total timeout passes while the body is still streaming.
   */
  readonly signal: AbortSignal
  /** 1 for the request's first attempt, counting across deployments. */
  readonly attempt: number
  /** For the HTTP client's connect timeout (`timeouts.connectMs`). */
  readonly timeouts: Timeouts
}

/**
 * One try against one deployment: resolves with the upstream response as soon as its head has
 * arrived (body unread), or rejects on a network error. Throw `AttemptFailure` to say whether a
 * failure of your own (e.g. translating the request) should be retried elsewhere.
 */
export type Attempt<D> = (deployment: D, context: AttemptContext) => Promise<Response>

/** A failure an attempt reports itself. `retryable: false` stops at once (no fallback). */
export class AttemptFailure extends Data.TaggedError("AttemptFailure")<{
  readonly retryable: boolean
  readonly message: string
  readonly cause?: unknown
}> {}

/** How one attempt went, in order, for logs and usage events. */
export interface AttemptRecord {
  readonly deploymentId: string
  readonly outcome:
    | "answered"
    | "retryable_status"
    | "timeout"
    | "connection_error"
    | "failed"
    | "cooling_down"
  readonly status?: number
  readonly message?: string
}

/** The response that goes to the client. */
export interface Answer<D> {
  readonly response: Response
  readonly deployment: D
  readonly attempts: ReadonlyArray<AttemptRecord>
  /** Every deployment failed; this is the last failing upstream response, passed on as is. */
  readonly exhausted: boolean
  /**
   * Call once the body has been forwarded or abandoned: stops the total-timeout timer and lets go
   * of the client's signal. Forgetting it keeps a timer per request alive until `totalMs`.
   */
  readonly done: () => void
}

/** No deployment produced a response. */
export class UpstreamUnavailable extends Data.TaggedError("UpstreamUnavailable")<{
  /**
   * `cooling_down`: every deployment skipped by its breaker; `failed`: an attempt failed with
   * `retryable: false`; `cancelled`: the client went away.
   */
  readonly reason: "cooling_down" | "timeout" | "connection_error" | "failed" | "cancelled"
  readonly message: string
  readonly attempts: ReadonlyArray<AttemptRecord>
  readonly cause?: unknown
}> {}

/** Options of `runWithFallbacks`. */
export interface FallbackOptions<D extends Deployment> {
  /** Deployments in groups: each group is ordered by weight, groups are tried in order. */
  readonly groups: ReadonlyArray<ReadonlyArray<D>>
  readonly attempt: Attempt<D>
  readonly breaker: Pick<Context.Tag.Service<CircuitBreaker>, "acquire" | "success" | "failure" | "abandon">
  readonly policy?: RetryPolicy | undefined
  readonly timeouts?: Timeouts | undefined
  /** The client's signal: when it aborts, stop (no more attempts) and abort the upstream request. */
  readonly signal?: AbortSignal | undefined
  /** Default: the system's. Tests pass `Timers.manual()`. */
  readonly timers?: Timers.Timers | undefined
  /** For weights and jitter; default `Math.random`. Tests pass a seeded generator. */
  readonly random?: (() => number) | undefined
  /**
   * The breaker a deployment's attempts count against; default its `id`. The router adds the
   * credential, so one tenant's exhausted or revoked key cannot cool a model down for the others.
   */
  readonly breakerKey?: ((deployment: D) => string) | undefined
  /**
   * Whether a retryable status says something about the provider (and so counts against the
   * breaker); default: every retryable status. The router does not count a 429 on a user's own key.
   */
  readonly statusCounts?: ((deployment: D, status: number) => boolean) | undefined
}

type Outcome =
  | { readonly _tag: "Answered"; readonly response: Response }
  | {
      readonly _tag: "Retryable"
      readonly record: AttemptRecord
      readonly response?: Response | undefined
      readonly retryAfterMs?: number | undefined
    }
  | { readonly _tag: "Fatal"; readonly record: AttemptRecord; readonly cause: unknown }

/** Why an exchange was cut short by us. */
class Cut {
  constructor(readonly why: "first_byte" | "total" | "client") {}
}

const messageOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/** Frees the connection of a response we will not forward. */
const discard = (response: Response | undefined) => {
  response?.body?.cancel().catch(() => {})
}

const weightOf = (deployment: Deployment) => deployment.weight ?? 1

/** Sends the request, retrying and falling back; see the module documentation. */
export const runWithFallbacks = async <D extends Deployment>(
  options: FallbackOptions<D>
): Promise<Answer<D>> => {
  const { attempt, breaker, signal: client } = options
  const keyOf = options.breakerKey ?? ((deployment: D) => deployment.id)
  const statusCounts = options.statusCounts
  /**
   * Only what says something about the provider opens its breaker: a timeout, a connection error,
   * a retryable status (as `statusCounts` decides). An attempt that failed on our side (an
   * `AttemptFailure`: no credential, a body we could not build) says nothing about it.
   */
  const countsAgainst = (deployment: D, record: AttemptRecord) =>
    record.outcome === "timeout" ||
    record.outcome === "connection_error" ||
    (record.outcome === "retryable_status" &&
      (statusCounts === undefined || statusCounts(deployment, record.status ?? 0)))
  const policy = options.policy ?? defaultPolicy
  const timeouts = options.timeouts ?? defaultTimeouts
  const timers = options.timers ?? Timers.system
  const random = options.random ?? Math.random
  const deadline = timers.now() + timeouts.totalMs
  const attempts: Array<AttemptRecord> = []
  let attemptNumber = 0
  let kept: { response: Response; deployment: D; controller: AbortController } | undefined
  let lastFailure: AttemptRecord | undefined

  const fail = (reason: UpstreamUnavailable["reason"], message: string, cause?: unknown) => {
    discard(kept?.response)
    return new UpstreamUnavailable({ reason, message, attempts, ...(cause === undefined ? {} : { cause }) })
  }

  const cancelled = () => fail("cancelled", "the client closed the request")

  // One listener on the client's signal for the whole request (adding and removing listeners per
  // attempt shows in the hot path's profile); it does what the current step needs.
  let onClientAbort: (() => void) | undefined
  const clientAborted = () => onClientAbort?.()
  client?.addEventListener("abort", clientAborted, { once: true })
  const letGoOfClient = () => client?.removeEventListener("abort", clientAborted)

  /** One attempt, raced against the first-byte timeout, the total deadline and the client. */
  const exchange = (deployment: D, controller: AbortController) =>
    new Promise<Outcome>((resolve) => {
      const remaining = deadline - timers.now()
      const total = remaining <= timeouts.firstByteMs
      let settled = false
      const finish = (outcome: Outcome) => {
        if (settled) return
        settled = true
        timers.clearTimeout(timer)
        onClientAbort = undefined
        resolve(outcome)
      }
      const cut = (why: Cut["why"]) => {
        const reason = new Cut(why)
        controller.abort(reason)
        finish(classify(deployment, reason))
      }
      onClientAbort = () => cut("client")
      const timer = timers.setTimeout(
        () => cut(total ? "total" : "first_byte"),
        Math.max(0, Math.min(remaining, timeouts.firstByteMs))
      )
      let pending: Promise<Response>
      try {
        pending = attempt(deployment, { signal: controller.signal, attempt: ++attemptNumber, timeouts })
      } catch (cause) {
        pending = Promise.reject(cause)
      }
      pending.then(
        (response) => {
          // An answer that arrives after we gave up on it is not forwarded.
          if (settled) discard(response)
          else finish(classifyResponse(deployment, response))
        },
        (cause) => finish(classify(deployment, cause))
      )
    })

  const classifyResponse = (deployment: D, response: Response): Outcome => {
    if (!policy.retryOn.includes(response.status)) return { _tag: "Answered", response }
    return {
      _tag: "Retryable",
      record: { deploymentId: deployment.id, outcome: "retryable_status", status: response.status },
      response,
      retryAfterMs: RetryAfter.parse(response.headers, timers.now())
    }
  }

  const classify = (deployment: D, cause: unknown): Outcome => {
    const deploymentId = deployment.id
    if (cause instanceof Cut) {
      const message =
        cause.why === "first_byte"
          ? `no response within ${timeouts.firstByteMs} ms`
          : cause.why === "total"
            ? `no response within the total timeout of ${timeouts.totalMs} ms`
            : "the client closed the request"
      return cause.why === "client"
        ? { _tag: "Fatal", record: { deploymentId, outcome: "failed", message }, cause }
        : { _tag: "Retryable", record: { deploymentId, outcome: "timeout", message } }
    }
    if (cause instanceof AttemptFailure) {
      const record: AttemptRecord = { deploymentId, outcome: "failed", message: cause.message }
      return cause.retryable ? { _tag: "Retryable", record } : { _tag: "Fatal", record, cause }
    }
    return {
      _tag: "Retryable",
      record: { deploymentId, outcome: "connection_error", message: messageOf(cause) }
    }
  }

  const answer = (
    response: Response,
    deployment: D,
    controller: AbortController,
    exhausted: boolean
  ): Answer<D> => {
    onClientAbort = () => controller.abort(new Cut("client"))
    const timer = timers.setTimeout(
      () => controller.abort(new Cut("total")),
      Math.max(0, deadline - timers.now())
    )
    return {
      response,
      deployment,
      attempts,
      exhausted,
      done: () => {
        timers.clearTimeout(timer)
        onClientAbort = undefined
        letGoOfClient()
      }
    }
  }

  // Every way out but an answer lets go of the client's signal here; an answer does in `done`.
  try {
    for (const group of options.groups) {
      const ordered = group.length > 1 ? weightedOrder(group, weightOf, random) : group
      for (const deployment of ordered) {
        const key = keyOf(deployment)
        let gate = breaker.acquire(key)
        if (gate === "blocked") {
          attempts.push({ deploymentId: deployment.id, outcome: "cooling_down" })
          continue
        }
        for (let retry = 0; ; retry++) {
          if (client?.aborted) {
            if (gate === "probe") breaker.abandon(key)
            throw cancelled()
          }
          if (timers.now() >= deadline) {
            if (gate === "probe") breaker.abandon(key)
            throw fail("timeout", `no response within the total timeout of ${timeouts.totalMs} ms`)
          }
          const controller = new AbortController()
          const outcome = await exchange(deployment, controller)
          if (outcome._tag === "Answered") {
            breaker.success(key)
            attempts.push({
              deploymentId: deployment.id,
              outcome: "answered",
              status: outcome.response.status
            })
            discard(kept?.response)
            return answer(outcome.response, deployment, controller, false)
          }
          attempts.push(outcome.record)
          if (outcome._tag === "Fatal") {
            if (gate === "probe") breaker.abandon(key)
            if (outcome.cause instanceof Cut) throw cancelled()
            throw fail("failed", outcome.record.message ?? "upstream request failed", outcome.cause)
          }
          if (countsAgainst(deployment, outcome.record)) breaker.failure(key)
          else if (gate === "probe") breaker.abandon(key)
          lastFailure = outcome.record
          if (outcome.response !== undefined) {
            discard(kept?.response)
            kept = { response: outcome.response, deployment, controller }
          }
          if (gate === "probe" || retry >= policy.maxRetries) break
          const wait = delayFor(policy, retry, outcome.retryAfterMs, random)
          // Asked to wait longer than we will, or longer than the request may take: move on.
          if (wait === undefined || timers.now() + wait >= deadline) break
          if (wait > 0) {
            try {
              await Timers.sleep(timers, wait, client)
            } catch {
              throw cancelled()
            }
          }
          gate = breaker.acquire(key)
          if (gate === "blocked") break
        }
      }
    }
    if (kept !== undefined) {
      const { controller, deployment, response } = kept
      kept = undefined
      return answer(response, deployment, controller, true)
    }
    if (lastFailure === undefined) {
      throw fail("cooling_down", "every deployment for this model is cooling down after repeated failures")
    }
    throw fail(
      lastFailure.outcome === "timeout" ? "timeout" : "connection_error",
      `no deployment answered: ${lastFailure.message ?? lastFailure.outcome}`
    )
  } catch (error) {
    letGoOfClient()
    throw error
  }
}

/**
 * `runWithFallbacks` as an Effect, with the breaker from the context and interruption (the
 * client went away) as the client's signal. Uses the system timers.
 */
export const run = <D extends Deployment>(
  options: Omit<FallbackOptions<D>, "breaker" | "signal">
): Effect.Effect<Answer<D>, UpstreamUnavailable, CircuitBreaker> =>
  Effect.flatMap(CircuitBreaker, (breaker) =>
    Effect.async<Answer<D>, UpstreamUnavailable>((resume, signal) => {
      runWithFallbacks({ ...options, breaker, signal }).then(
        (answer) => resume(Effect.succeed(answer)),
        (error) => resume(error instanceof UpstreamUnavailable ? Effect.fail(error) : Effect.die(error))
      )
    })
  )

/** As the data plane's error: 504 on timeout, 503 while every deployment cools down, else 502. */
export const toGatewayError = (error: UpstreamUnavailable): GatewayError =>
  error.reason === "timeout"
    ? new GatewayError({
        status: 504,
        type: "timeout_error",
        code: "upstream_timeout",
        message: error.message
      })
    : error.reason === "cooling_down"
      ? new GatewayError({
          status: 503,
          type: "server_error",
          code: "upstream_cooling_down",
          message: error.message
        })
      : new GatewayError({
          status: 502,
          type: "api_error",
          code: "upstream_unavailable",
          message: error.message
        })
