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
export const runWithFallbacks = <D extends Deployment>(options: FallbackOptions<D>): Promise<Answer<D>> =>
  new Run(options).start()

/**
 * One request's way through the deployments. A class rather than closures over the options: this
 * runs for every request, and a closure per helper was a good part of what each request left for
 * the serving thread's collector (measured with `bun:jsc` heap statistics, bench/README.md).
 */
class Run<D extends Deployment> {
  readonly policy: RetryPolicy
  readonly timeouts: Timeouts
  readonly timers: Timers.Timers
  readonly random: () => number
  readonly deadline: number
  readonly attempts: Array<AttemptRecord> = []
  attemptNumber = 0
  kept: { response: Response; deployment: D; controller: AbortController } | undefined
  lastFailure: AttemptRecord | undefined
  /**
   * What the client going away cuts now: the exchange in flight, or, once answered, the answer's
   * upstream request (its body may still be streaming). Neither while waiting to retry: the sleep
   * listens for itself.
   */
  inFlight: Exchange<D> | undefined
  answering: AbortController | undefined

  constructor(readonly options: FallbackOptions<D>) {
    this.policy = options.policy ?? defaultPolicy
    this.timeouts = options.timeouts ?? defaultTimeouts
    this.timers = options.timers ?? Timers.system
    this.random = options.random ?? Math.random
    this.deadline = this.timers.now() + this.timeouts.totalMs
  }

  /**
   * The client's abort: one listener for the whole request (adding and removing one per attempt
   * shows in the hot path's profile), this object itself (an `EventListener` object, so no
   * function is made for it).
   */
  handleEvent(): void {
    if (this.inFlight !== undefined) this.inFlight.cut("client")
    else this.answering?.abort(new Cut("client"))
  }

  letGoOfClient(): void {
    this.options.signal?.removeEventListener("abort", this)
  }

  keyOf(deployment: D): string {
    return this.options.breakerKey === undefined ? deployment.id : this.options.breakerKey(deployment)
  }

  /**
   * Only what says something about the provider opens its breaker: a timeout, a connection error,
   * a retryable status (as `statusCounts` decides). An attempt that failed on our side (an
   * `AttemptFailure`: no credential, a body we could not build) says nothing about it.
   */
  countsAgainst(deployment: D, record: AttemptRecord): boolean {
    return (
      record.outcome === "timeout" ||
      record.outcome === "connection_error" ||
      (record.outcome === "retryable_status" &&
        (this.options.statusCounts === undefined ||
          this.options.statusCounts(deployment, record.status ?? 0)))
    )
  }

  fail(reason: UpstreamUnavailable["reason"], message: string, cause?: unknown): UpstreamUnavailable {
    discard(this.kept?.response)
    return new UpstreamUnavailable({
      reason,
      message,
      attempts: this.attempts,
      ...(cause === undefined ? {} : { cause })
    })
  }

  cancelled(): UpstreamUnavailable {
    return this.fail("cancelled", "the client closed the request")
  }

  classifyResponse(deployment: D, response: Response): Outcome {
    if (!this.policy.retryOn.includes(response.status)) return { _tag: "Answered", response }
    return {
      _tag: "Retryable",
      record: { deploymentId: deployment.id, outcome: "retryable_status", status: response.status },
      response,
      retryAfterMs: RetryAfter.parse(response.headers, this.timers.now())
    }
  }

  classify(deployment: D, cause: unknown): Outcome {
    const deploymentId = deployment.id
    if (cause instanceof Cut) {
      const message =
        cause.why === "first_byte"
          ? `no response within ${this.timeouts.firstByteMs} ms`
          : cause.why === "total"
            ? `no response within the total timeout of ${this.timeouts.totalMs} ms`
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

  answer(response: Response, deployment: D, controller: AbortController, exhausted: boolean): Answer<D> {
    this.answering = controller
    const timer = this.timers.setTimeout(
      () => controller.abort(new Cut("total")),
      Math.max(0, this.deadline - this.timers.now())
    )
    return new Answered(response, deployment, this.attempts, exhausted, this, timer)
  }

  async start(): Promise<Answer<D>> {
    this.options.signal?.addEventListener("abort", this, { once: true })
    // Every way out but an answer lets go of the client's signal here; an answer does in `done`.
    try {
      return await this.attemptAll()
    } catch (error) {
      this.letGoOfClient()
      throw error
    }
  }

  async attemptAll(): Promise<Answer<D>> {
    const { breaker, signal: client } = this.options
    for (const group of this.options.groups) {
      const ordered = group.length > 1 ? weightedOrder(group, weightOf, this.random) : group
      for (const deployment of ordered) {
        const key = this.keyOf(deployment)
        let gate = breaker.acquire(key)
        if (gate === "blocked") {
          this.attempts.push({ deploymentId: deployment.id, outcome: "cooling_down" })
          continue
        }
        for (let retry = 0; ; retry++) {
          if (client?.aborted) {
            if (gate === "probe") breaker.abandon(key)
            throw this.cancelled()
          }
          if (this.timers.now() >= this.deadline) {
            if (gate === "probe") breaker.abandon(key)
            throw this.fail("timeout", `no response within the total timeout of ${this.timeouts.totalMs} ms`)
          }
          const controller = new AbortController()
          const outcome = await new Exchange(this, deployment, controller).start()
          if (outcome._tag === "Answered") {
            breaker.success(key)
            this.attempts.push({
              deploymentId: deployment.id,
              outcome: "answered",
              status: outcome.response.status
            })
            discard(this.kept?.response)
            return this.answer(outcome.response, deployment, controller, false)
          }
          this.attempts.push(outcome.record)
          if (outcome._tag === "Fatal") {
            if (gate === "probe") breaker.abandon(key)
            if (outcome.cause instanceof Cut) throw this.cancelled()
            throw this.fail("failed", outcome.record.message ?? "upstream request failed", outcome.cause)
          }
          if (this.countsAgainst(deployment, outcome.record)) breaker.failure(key)
          else if (gate === "probe") breaker.abandon(key)
          this.lastFailure = outcome.record
          if (outcome.response !== undefined) {
            discard(this.kept?.response)
            this.kept = { response: outcome.response, deployment, controller }
          }
          if (gate === "probe" || retry >= this.policy.maxRetries) break
          const wait = delayFor(this.policy, retry, outcome.retryAfterMs, this.random)
          // Asked to wait longer than we will, or longer than the request may take: move on.
          if (wait === undefined || this.timers.now() + wait >= this.deadline) break
          if (wait > 0) {
            try {
              await Timers.sleep(this.timers, wait, client)
            } catch {
              throw this.cancelled()
            }
          }
          gate = breaker.acquire(key)
          if (gate === "blocked") break
        }
      }
    }
    if (this.kept !== undefined) {
      const { controller, deployment, response } = this.kept
      this.kept = undefined
      return this.answer(response, deployment, controller, true)
    }
    const lastFailure = this.lastFailure
    if (lastFailure === undefined) {
      throw this.fail(
        "cooling_down",
        "every deployment for this model is cooling down after repeated failures"
      )
    }
    throw this.fail(
      lastFailure.outcome === "timeout" ? "timeout" : "connection_error",
      `no deployment answered: ${lastFailure.message ?? lastFailure.outcome}`
    )
  }
}

/** One attempt, raced against the first-byte timeout, the total deadline and the client. */
class Exchange<D extends Deployment> {
  settled = false
  resolve: ((outcome: Outcome) => void) | undefined
  timer: Timers.TimerHandle

  constructor(
    readonly run: Run<D>,
    readonly deployment: D,
    readonly controller: AbortController
  ) {}

  start(): Promise<Outcome> {
    const { run } = this
    const promise = new Promise<Outcome>((resolve) => {
      this.resolve = resolve
    })
    run.inFlight = this
    const remaining = run.deadline - run.timers.now()
    const total = remaining <= run.timeouts.firstByteMs
    this.timer = run.timers.setTimeout(
      () => this.cut(total ? "total" : "first_byte"),
      Math.max(0, Math.min(remaining, run.timeouts.firstByteMs))
    )
    let pending: Promise<Response>
    try {
      pending = run.options.attempt(this.deployment, {
        signal: this.controller.signal,
        attempt: ++run.attemptNumber,
        timeouts: run.timeouts
      })
    } catch (cause) {
      pending = Promise.reject(cause)
    }
    pending.then(
      (response) => {
        // An answer that arrives after we gave up on it is not forwarded.
        if (this.settled) discard(response)
        else this.finish(run.classifyResponse(this.deployment, response))
      },
      (cause) => this.finish(run.classify(this.deployment, cause))
    )
    return promise
  }

  finish(outcome: Outcome): void {
    if (this.settled) return
    this.settled = true
    this.run.timers.clearTimeout(this.timer)
    if (this.run.inFlight === this) this.run.inFlight = undefined
    this.resolve?.(outcome)
  }

  cut(why: Cut["why"]): void {
    const reason = new Cut(why)
    this.controller.abort(reason)
    this.finish(this.run.classify(this.deployment, reason))
  }
}

/** The answer handed back; `done` stops the total-timeout timer and lets go of the client. */
class Answered<D extends Deployment> implements Answer<D> {
  constructor(
    readonly response: Response,
    readonly deployment: D,
    readonly attempts: ReadonlyArray<AttemptRecord>,
    readonly exhausted: boolean,
    private readonly run: Run<D>,
    private readonly timer: Timers.TimerHandle
  ) {}

  done(): void {
    this.run.timers.clearTimeout(this.timer)
    this.run.answering = undefined
    this.run.letGoOfClient()
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
