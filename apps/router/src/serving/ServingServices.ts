/**
 * The serving thread's services: only what a model request needs. The caches are the same code as
 * the owning thread's (`ApiKeyVerifier`, `UserTokenVerifier`, `Credentials`), built over lookups
 * that ask the owning thread on a miss and a change feed in memory that the owning thread feeds
 * with every change it hears. Routing, pricing, the settings and the limiter are built here from
 * the same environment (the routing file is watched here too). Usage events leave in batches; budget
 * alerts are handed to the owning thread's publisher.
 *
 * Nothing here opens a database pool, listens on a feed or writes the ledger: that garbage stays in
 * the owning thread's heap, whose collections then no longer pause the serving thread.
 */
import { ApiKeyRepo, ApiKeyVerifier, ChangeFeed, type LiveSession, UserTokenVerifier } from "@switchyard/auth"
import type { ServiceUnavailable } from "@switchyard/domain"
import { Pricing, UsageRecorder } from "@switchyard/ledger"
import { BudgetTap, Publisher } from "@switchyard/realtime"
import { type Credentials, Limiter, Providers, Routing } from "@switchyard/router-core"
import { Effect, Layer, Option, Redacted } from "effect"
import * as CallerAuth from "../CallerAuth.ts"
import * as CredentialsLive from "../CredentialsLive.ts"
import * as GatewayConfig from "../GatewayConfig.ts"
import type { Answer, Asker } from "./Link.ts"
import type { Answers, FromServing, SecretData, ServingAsks } from "./Protocol.ts"
import { UsageBatchBuilder } from "./UsageBatch.ts"

/** The link to the owning thread, as the services use it. */
export interface Owner {
  readonly asker: Asker<ServingAsks>
  /** Copies `message` before it returns (`postMessage`): the usage outbox reuses what it posted. */
  readonly post: (message: FromServing) => void
}

/** Asks the owning thread, as an effect failing with what it answered. */
const ask = <K extends ServingAsks["_tag"], E>(
  owner: Owner,
  question: Extract<ServingAsks, { _tag: K }>
): Effect.Effect<Answers[K], E> =>
  Effect.flatMap(
    Effect.promise(() => owner.asker.ask<Answers[K]>(question)),
    (answer: Answer<Answers[K]>) =>
      answer.ok ? Effect.succeed(answer.value) : Effect.fail(answer.error as E)
  )

const notHere = (what: string) => Effect.dieMessage(`${what} is not available in the serving thread`)

/** API keys read through the owning thread (only `findByHash`: the verifier's one read). */
const remoteKeys = (owner: Owner) =>
  Layer.succeed(ApiKeyRepo, {
    findByHash: (keyHash) =>
      Effect.map(
        ask<"FindKey", ServiceUnavailable>(owner, { _tag: "FindKey", keyHash }),
        Option.fromNullable
      ),
    findByUser: () => notHere("ApiKeyRepo.findByUser"),
    insert: () => notHere("ApiKeyRepo.insert"),
    replace: () => notHere("ApiKeyRepo.replace"),
    update: () => notHere("ApiKeyRepo.update"),
    remove: () => notHere("ApiKeyRepo.remove"),
    markUsed: () => notHere("ApiKeyRepo.markUsed")
  })

const remoteSessions = (owner: Owner) => (sessionToken: string) =>
  Effect.map(
    ask<"FindSession", ServiceUnavailable>(owner, { _tag: "FindSession", sessionToken }),
    (session): Option.Option<LiveSession> => Option.fromNullable(session)
  )

const remoteSecrets =
  (owner: Owner): Credentials.SecretLookup =>
  (userId, provider) =>
    Effect.map(ask<"LookupSecret", never>(owner, { _tag: "LookupSecret", userId, provider }), (found) =>
      Option.map(
        Option.fromNullable(found),
        (data: SecretData): Credentials.UserSecret => ({
          enabled: data.enabled,
          baseUrl: data.baseUrl,
          secret: Redacted.make(data.secret),
          refusal: data.refusal
        })
      )
    )

/** Usage events in batches: at most `BATCH` per message, at least every `FLUSH_MS`. */
const BATCH = 256
const FLUSH_MS = 20

/** The recorder's face in the serving thread: `record` queues, `flush` posts what is queued. */
export interface UsageOutbox {
  readonly flush: () => void
}

const remoteRecorder = (owner: Owner) => {
  // Each event is copied into the batch's columns at once (UsageBatch.ts), not held until posted.
  const batch = new UsageBatchBuilder(BATCH)
  let timer: ReturnType<typeof setTimeout> | undefined
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    if (batch.count === 0) return
    batch.send((usage) => owner.post({ _tag: "Usage", batch: usage }))
  }
  const recorder: UsageRecorder["Type"] = {
    record: (event) => {
      batch.append(event)
      if (batch.count >= BATCH) flush()
      else timer ??= setTimeout(flush, FLUSH_MS)
    },
    stats: notHere("UsageRecorder.stats")
  }
  return { recorder, outbox: { flush } satisfies UsageOutbox }
}

const remotePublisher = (owner: Owner) =>
  Layer.succeed(Publisher, {
    publish: (userId, event, data) => owner.post({ _tag: "Publish", userId, event, data }),
    stats: () => ({ transport: "none", queued: 0, sent: 0, dropped: 0, failedBatches: 0 }),
    // The owning thread's publisher decides; budget alerts are all that cross, and they are rare.
    delivers: true
  })

/** The serving thread's layer, and the outbox its usage events leave by. */
export const make = (owner: Owner) => {
  const feed = ChangeFeed.layerMemory
  const { recorder, outbox } = remoteRecorder(owner)
  const auth = CallerAuth.layer.pipe(
    Layer.provide(
      Layer.mergeAll(
        ApiKeyVerifier.layerWithRepo().pipe(Layer.provide(remoteKeys(owner))),
        Layer.scoped(UserTokenVerifier, UserTokenVerifier.make(remoteSessions(owner)))
      )
    )
  )
  const layer = Layer.mergeAll(
    auth,
    CredentialsLive.layerWithLookup(Effect.succeed(remoteSecrets(owner))).pipe(
      Layer.provide(Providers.layer)
    ),
    Routing.layer,
    Pricing.layer,
    GatewayConfig.layer,
    BudgetTap.layer().pipe(Layer.provide(Layer.merge(Limiter.layer, remotePublisher(owner)))),
    Layer.succeed(UsageRecorder, recorder)
  ).pipe(Layer.provideMerge(feed))
  return { layer, outbox }
}
