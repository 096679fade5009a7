/**
 * The serving thread (a bun `Worker` started by ServingThread.ts): `Bun.serve` on the public port,
 * the model routes run here over ServingServices' caches and limiter, and every other route passed
 * to the owning thread's listener on a Unix socket. Its heap holds the hot path and little else,
 * so its garbage collections stay short (see NOTES.md, "The tail").
 */
import { ChangeFeed, CLIENT_IP_HEADER } from "@switchyard/auth"
import { GatewayError, LimitExceeded, LimitsUnavailable } from "@switchyard/domain"
import type { Limiter } from "@switchyard/router-core"
import { Effect, ManagedRuntime } from "effect"
import { errorResponse } from "../ClientError.ts"
import { withCors } from "../Cors.ts"
import * as Router from "../Dispatch.ts"
import * as GatewayContext from "../GatewayContext.ts"
import * as Server from "../Server.ts"
import { type Answer, answer, makeAsker } from "./Link.ts"
import type { FromServing, OwnerAsks, ServingAsks, ToServing, WorkerData } from "./Protocol.ts"
import * as ServingServices from "./ServingServices.ts"

declare const self: Worker

const post = (message: FromServing) => self.postMessage(message)
const asker = makeAsker<ServingAsks>(post)

const ownerUnreachable = new GatewayError({
  status: 503,
  type: "api_error",
  message: "The router is starting or stopping; try again shortly"
})

/** Passes a request the serving thread does not serve to the owning thread's listener. */
const toOwner =
  (socket: string): Router.Handler =>
  async (request) => {
    const start = request.url.indexOf("/", request.url.indexOf("//") + 2)
    const path = start < 0 ? "/" : request.url.slice(start)
    // The owner sees a Unix socket, not the client: it learns the client's address from here
    // (better-auth's per-address sign-in limits), never from what the client sent.
    const headers = new Headers(request.headers)
    const address = Server.clientAddress(request)
    if (address === undefined) headers.delete(CLIENT_IP_HEADER)
    else headers.set(CLIENT_IP_HEADER, address)
    try {
      const answered = await fetch(`http://router${path}`, {
        method: request.method,
        headers,
        body: request.body,
        signal: request.signal,
        redirect: "manual",
        unix: socket
      })
      // A streamed answer (SSE) may pause longer than Bun's idle timeout.
      if (answered.headers.get("content-type")?.startsWith("text/event-stream"))
        Server.exemptFromIdleTimeout(request)
      return answered
    } catch (cause) {
      if (request.signal.aborted) return errorResponse("openai", ownerUnreachable)
      console.error(
        "router: the owning thread did not answer:",
        cause instanceof Error ? cause.message : cause
      )
      return errorResponse("openai", ownerUnreachable)
    }
  }

interface Started {
  readonly runtime: ManagedRuntime.ManagedRuntime<unknown, unknown>
  readonly handler: Router.Handler
  readonly limiter: Limiter.Limiter["Type"]
  readonly publishChange: (
    change: ChangeFeed["Type"] extends { publish: (c: infer C) => unknown } ? C : never
  ) => void
  readonly outbox: ServingServices.UsageOutbox
  readonly data: WorkerData
  readonly maxBodyBytes: number
}

let started: Started | undefined
let server: Server.Listening | undefined
/** Admissions of the owning thread's routes, until it settles them. */
const admissions = new Map<number, Limiter.Admission>()
let admissionSequence = 0

const start = async (data: WorkerData): Promise<void> => {
  const { layer, outbox } = ServingServices.make({ asker, post })
  const runtime = ManagedRuntime.make(layer)
  const built = await runtime.runPromise(
    Effect.gen(function* () {
      const ctx = yield* GatewayContext.make
      const feed = yield* ChangeFeed
      return { ctx, feed, limiter: ctx.limiter }
    })
  )
  const { ctx, feed, limiter } = built
  const handler = withCors(
    Router.dispatch(ctx, Router.servingRoutes(ctx), toOwner(data.ownerSocket)),
    data.corsOrigins
  )
  started = {
    runtime: runtime as ManagedRuntime.ManagedRuntime<unknown, unknown>,
    handler,
    limiter,
    publishChange: (change) => runtime.runFork(feed.publish(change)),
    outbox,
    data,
    maxBodyBytes: ctx.settings.maxBodyBytes
  }
}

const ask = async (question: OwnerAsks): Promise<Answer<unknown>> => {
  if (started === undefined) throw new Error("asked before the serving thread started")
  const { limiter } = started
  switch (question._tag) {
    case "Admit": {
      const result = await limiter.admit(question.subject, question.limits, question.estimate)
      if (result instanceof LimitExceeded || result instanceof LimitsUnavailable) {
        return { ok: false as const, error: result }
      }
      const id = ++admissionSequence
      admissions.set(id, result)
      return { ok: true as const, value: { id, rateLimit: result.rateLimit, degraded: result.degraded } }
    }
    case "LimiterHealth":
      return { ok: true as const, value: await started.runtime.runPromise(limiter.health) }
  }
}

const drain = async (graceMs: number) => {
  const finished = server === undefined ? true : await Server.drain(server, graceMs)
  try {
    started?.outbox.flush()
  } catch (error) {
    // The owning thread waits for `Drained`: say what was lost and answer all the same.
    console.error("router: the last usage events could not be handed over:", error)
  }
  post({ _tag: "Drained", finished })
  await started?.runtime.dispose()
}

self.onmessage = (event: MessageEvent<ToServing>) => {
  const message = event.data
  switch (message._tag) {
    case "Start":
      start(message.data).then(
        () => post({ _tag: "Prepared" }),
        (error: unknown) =>
          post({ _tag: "StartFailed", message: error instanceof Error ? error.message : String(error) })
      )
      return
    case "Listen": {
      if (started === undefined) return
      const { data, handler, maxBodyBytes } = started
      Server.start(handler, {
        port: data.port,
        maxBodyBytes,
        ...(data.hostname === undefined ? {} : { hostname: data.hostname })
      }).then(
        (listening) => {
          server = listening
          post({ _tag: "Listening", url: listening.url })
        },
        (error: unknown) =>
          post({ _tag: "StartFailed", message: error instanceof Error ? error.message : String(error) })
      )
      return
    }
    case "Reply":
      asker.received(message)
      return
    case "Ask":
      answer(post, message.id, message.question, ask)
      return
    case "Settle": {
      const admission = admissions.get(message.id)
      admissions.delete(message.id)
      admission?.settle(message.actual)
      return
    }
    case "Change":
      started?.publishChange(message.change)
      return
    case "Drain":
      void drain(message.graceMs)
      return
  }
}
