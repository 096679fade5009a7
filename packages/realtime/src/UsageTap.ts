/**
 * Switchyard's live usage feed: a `UsageRecorder` that hands every event to the recorder it wraps
 * (the ledger) and also publishes it to the user's room as a `usage` event. Wired by the router
 * around its ledger layer; the publish is the `Publisher`'s fire-and-forget queue, so the request
 * that produced the event never waits for the hub and never fails because of it. With no hub
 * configured (`Publisher.layerNone`) it stands aside: the ledger's recorder is used as it is.
 */
import type { UsageEvent } from "@switchyard/domain"
import { UsageRecorder } from "@switchyard/ledger"
import { Effect, Layer } from "effect"
import type { UsageLive } from "./Events.ts"
import { Publisher } from "./Publisher.ts"

/** The `usage` event the dashboard receives for one recorded request. */
export const toUsageLive = (event: UsageEvent): UsageLive => ({
  requestId: event.requestId,
  model: event.requestedModel,
  provider: event.provider,
  upstreamModel: event.upstreamModel,
  apiKeyId: event.apiKeyId,
  status: event.status,
  outcome: event.outcome,
  inputTokens: event.usage.inputTokens,
  outputTokens: event.usage.outputTokens,
  cachedInputTokens: event.usage.cachedInputTokens,
  costMicros: event.costMicros,
  latencyMs: Math.round(event.latencyMs * 100) / 100,
  ttftMs: event.ttftMs === null ? null : Math.round(event.ttftMs * 100) / 100,
  stream: event.stream,
  createdAt: event.createdAt.toISOString()
})

/**
 * Wraps the `UsageRecorder` below it: `Layer.provide` the ledger's recorder (and a `Publisher`)
 * to this layer and it provides the recorder the rest of the app uses.
 */
export const layer: Layer.Layer<UsageRecorder, never, UsageRecorder | Publisher> = Layer.effect(
  UsageRecorder,
  Effect.gen(function* () {
    const inner = yield* UsageRecorder
    const publisher = yield* Publisher
    // No hub configured: the ledger's recorder as it is, with no event built per request for a
    // publisher that only counts it (an object, two roundings and an ISO date each).
    if (!publisher.delivers) return inner
    const tap = (event: UsageEvent) => {
      try {
        publisher.publish(event.userId, "usage", toUsageLive(event))
      } catch {
        // The publisher never throws; this guards the request against a future one that does.
      }
    }
    return {
      record: (event) => {
        inner.record(event)
        tap(event)
      },
      stats: inner.stats
    }
  })
)
