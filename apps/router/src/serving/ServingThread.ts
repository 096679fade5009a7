/**
 * The serving thread, seen from the thread that owns the Effect runtime (issue 22). Under bun the
 * router serves its public port from a `Worker` (worker.ts) whose heap holds only the hot path;
 * this thread keeps the database pools, the change feed, the ledger writer, Redis, the vault and
 * the routes off the hot path (served to the worker on a Unix socket), and answers the worker's
 * cache misses.
 *
 * - Cache misses (an API key, a session, a user's secret) are questions from the worker, answered
 *   here from the database and the vault; every change the feed hears is passed on, so the
 *   worker's caches drop what changed exactly as this thread's do.
 * - Usage events arrive in batches and go to the ledger's recorder (and the live view); budget
 *   alerts to the realtime publisher.
 * - One limiter for the whole process, in the worker: the routes served here admit through it by
 *   question (`Limiter` below), so a user's limits count every route exactly once.
 *
 * Start-up: the worker builds its services, then this thread opens its own listener, then the
 * worker listens on the public port: nothing is answered before both sides are ready.
 */
import {
  type ApiKeyRecord,
  ApiKeyRepo,
  ChangeFeed,
  type LiveSession,
  UserTokenVerifier
} from "@switchyard/auth"
import { type LimitExceeded, LimitsUnavailable } from "@switchyard/domain"
import { UsageRecorder } from "@switchyard/ledger"
import { Publisher, type SwitchyardEvents } from "@switchyard/realtime"
import { Limiter } from "@switchyard/router-core"
import { Context, Deferred, Effect, Layer, Option, Queue, Redacted, Runtime } from "effect"
import { vaultLookup } from "../CredentialsLive.ts"
import { type Answer, answer, makeAsker } from "./Link.ts"
import type {
  Answers,
  FromServing,
  OwnerAsks,
  RemoteAdmission,
  SecretData,
  ServingAsks,
  ToServing,
  WorkerData
} from "./Protocol.ts"
import * as ServingProgram from "./ServingProgram.ts"
import { decodeUsageBatch } from "./UsageBatch.ts"

/** The controls main.ts needs. */
export class ServingThread extends Context.Tag("@switchyard/router/ServingThread")<
  ServingThread,
  {
    /** Opens the public port (call once this thread's listener answers); resolves with its URL. */
    readonly listen: () => Promise<string>
    /**
     * Stops accepting, lets requests in flight finish within `graceMs`, and waits until the worker
     * has handed over its last usage events. True when everything finished in time.
     */
    readonly drain: (graceMs: number) => Promise<boolean>
    /**
     * Resolves with the reason if the serving thread stops on its own (a crash): the public port
     * is gone with it, so main.ts shuts the process down for its supervisor to restart it.
     */
    readonly died: Promise<string>
    /** Whether the worker runs the bundled program (ServingProgram.ts) or worker.ts as it is. */
    readonly program: ServingProgram.Program["kind"]
  }
>() {}

/** What the worker needs from this thread's configuration. */
export type StartOptions = WorkerData

const failure = <A>(error: unknown): Answer<A> => ({ ok: false, error: error as never })

/** Starts the worker with `options`; provides the controls and the process's one limiter. */
export const layer = (options: StartOptions) =>
  Layer.scopedContext(
    Effect.gen(function* () {
      const keys = yield* ApiKeyRepo
      const sessions = yield* UserTokenVerifier.pgLookup
      const secrets = yield* vaultLookup
      const feed = yield* ChangeFeed
      const recorder = yield* UsageRecorder
      const publisher = yield* Publisher
      const runtime = yield* Effect.runtime<never>()
      const run = Runtime.runPromise(runtime)

      const program = yield* ServingProgram.program
      const worker = new Worker(program.url)
      const post = (message: ToServing) => worker.postMessage(message)
      const asker = makeAsker<OwnerAsks>(post)
      const prepared = yield* Deferred.make<void, Error>()
      let listening: ((url: string) => void) | undefined
      let drained: ((finished: boolean) => void) | undefined
      let failed: ((error: Error) => void) | undefined

      /** Answers the worker's cache misses; an expected failure crosses as its encoded error. */
      const answerOf = async (question: ServingAsks): Promise<Answer<unknown>> => {
        const settled = <A, E>(effect: Effect.Effect<A, E>) =>
          run(Effect.either(effect)).then(
            (either): Answer<unknown> =>
              either._tag === "Right" ? { ok: true, value: either.right } : failure(either.left)
          )
        switch (question._tag) {
          case "FindKey":
            return settled(
              Effect.map(keys.findByHash(question.keyHash), (found): ApiKeyRecord | undefined =>
                Option.getOrUndefined(found)
              )
            )
          case "FindSession":
            return settled(
              Effect.map(sessions(question.sessionToken), (found): LiveSession | undefined =>
                Option.getOrUndefined(found)
              )
            )
          case "LookupSecret":
            return settled(
              Effect.map(
                secrets(question.userId, question.provider as never),
                (found): SecretData | undefined =>
                  Option.isNone(found)
                    ? undefined
                    : {
                        enabled: found.value.enabled,
                        baseUrl: found.value.baseUrl,
                        secret: Redacted.value(found.value.secret),
                        refusal: found.value.refusal
                      }
              )
            )
        }
      }

      worker.onmessage = (event: MessageEvent<FromServing>) => {
        const message = event.data
        switch (message._tag) {
          case "Ask":
            answer(post, message.id, message.question, answerOf)
            return
          case "Reply":
            asker.received(message)
            return
          case "Usage":
            for (const usage of decodeUsageBatch(message.batch)) recorder.record(usage)
            return
          case "Publish":
            publisher.publish(
              message.userId,
              message.event as keyof SwitchyardEvents,
              message.data as SwitchyardEvents[keyof SwitchyardEvents]
            )
            return
          case "Prepared":
            Deferred.unsafeDone(prepared, Effect.void)
            return
          case "Listening":
            listening?.(message.url)
            return
          case "StartFailed": {
            const error = new Error(
              `the serving thread could not start: ${message.message}${ServingProgram.hint(program)}`
            )
            Deferred.unsafeDone(prepared, Effect.fail(error))
            failed?.(error)
            return
          }
          case "Drained":
            drained?.(message.finished)
            return
        }
      }
      let stopping = false
      let died: (reason: string) => void = () => {}
      const death = new Promise<string>((resolve) => {
        died = resolve
      })
      worker.onerror = (event) => {
        const error = new Error(`the serving thread failed: ${event.message}${ServingProgram.hint(program)}`)
        Deferred.unsafeDone(prepared, Effect.fail(error))
        failed?.(error)
        asker.abandon("The router's serving thread stopped")
        died(error.message)
      }
      worker.addEventListener("close", () => {
        asker.abandon("The router's serving thread stopped")
        if (!stopping) died("the serving thread exited")
      })

      // Every change from now on reaches the worker's caches (subscribed before it can ask anything).
      const changes = yield* feed.subscribe
      yield* Effect.forkScoped(
        Effect.forever(Effect.map(Queue.take(changes), (change) => post({ _tag: "Change", change })))
      )
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => {
          stopping = true
          worker.terminate()
        })
      )

      post({ _tag: "Start", data: options })
      yield* Deferred.await(prepared)
      // Loaded and started: the bundle's blob (the program and its source map) is not read again.
      ServingProgram.release(program)

      const controls = ServingThread.of({
        listen: () =>
          new Promise<string>((resolve, reject) => {
            listening = resolve
            failed = reject
            post({ _tag: "Listen" })
          }),
        drain: (graceMs) =>
          new Promise<boolean>((resolve) => {
            stopping = true
            drained = resolve
            post({ _tag: "Drain", graceMs })
          }),
        died: death,
        program: program.kind
      })

      const unavailable = new LimitsUnavailable({
        message: "Usage limits cannot be checked right now; try again shortly."
      })
      const limiter = Limiter.Limiter.of({
        admit: (subject, limits, estimate) =>
          asker
            .ask<Answers["Admit"]>({ _tag: "Admit", subject, limits, estimate })
            .then((answered): Limiter.AdmitResult => {
              if (!answered.ok) {
                const error = answered.error
                return error._tag === "LimitExceeded" || error._tag === "LimitsUnavailable"
                  ? (error as LimitExceeded | LimitsUnavailable)
                  : unavailable
              }
              const admitted: RemoteAdmission = answered.value
              let settled = false
              return {
                rateLimit: admitted.rateLimit,
                degraded: admitted.degraded,
                settle: (actual) => {
                  if (settled) return
                  settled = true
                  post({ _tag: "Settle", id: admitted.id, actual })
                }
              }
            }),
        health: Effect.flatMap(
          Effect.promise(() => asker.ask<Answers["LimiterHealth"]>({ _tag: "LimiterHealth" })),
          (answered): Effect.Effect<Limiter.LimiterHealth> =>
            answered.ok
              ? Effect.succeed(answered.value)
              : Effect.succeed({
                  backend: "memory",
                  status: "unreachable",
                  failureMode: "open",
                  message: "the serving thread did not answer"
                })
        )
      })
      return Context.make(ServingThread, controls).pipe(Context.add(Limiter.Limiter, limiter))
    })
  )
