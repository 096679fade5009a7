/**
 * The taps the router and control plane wire in: every usage event still reaches the ledger and
 * is also published as `usage` to its user; every successful key change is published as
 * `key_changed` (with the key's id, never the key), and a failed one is not.
 */
import { describe, expect, it } from "@effect/vitest"
import { ApiKeys, ChangeFeed } from "@switchyard/auth"
import type { UsageEvent } from "@switchyard/domain"
import { RecordedUsage, UsageMetrics, UsageRecorder } from "@switchyard/ledger"
import { Effect, Layer, Redacted } from "effect"
import { KeyChangeTap, PublishedEvents, Publisher, UsageTap } from "../src/index.ts"

const event: UsageEvent = {
  requestId: "req-1",
  userId: "u1",
  apiKeyId: "k1",
  requestedModel: "gpt-4o-mini",
  provider: "openai",
  upstreamModel: "gpt-4o-mini-2024-07-18",
  outcome: "success",
  status: 200,
  errorType: null,
  usage: {
    inputTokens: 10,
    outputTokens: 4,
    cachedInputTokens: 2,
    cacheCreationTokens: 0,
    reasoningTokens: 0,
    estimated: false
  },
  costMicros: 37,
  latencyMs: 12.3456,
  ttftMs: null,
  stream: false,
  droppedFields: [],
  createdAt: new Date("2026-12-04T10:00:00Z")
}

/** Records two events through the recorder in scope; the request ids the ledger then holds. */
const recordTwo = Effect.gen(function* () {
  const recorder = yield* UsageRecorder
  recorder.record(event)
  recorder.record({ ...event, requestId: "req-2" })
  return (yield* (yield* RecordedUsage).events).map((e) => e.requestId)
})

/** The tap over the in-memory ledger and the given publisher. */
const tapOver = <ROut>(publisher: Layer.Layer<ROut>) =>
  UsageTap.layer.pipe(
    Layer.provideMerge(Layer.mergeAll(UsageRecorder.layerMemory, publisher)),
    Layer.provide(UsageMetrics.layer)
  )

describe("UsageTap", () => {
  const layer = tapOver(Publisher.layerMemory)

  it.effect("records the event in the ledger and publishes it to the user's room", () =>
    Effect.gen(function* () {
      expect(yield* recordTwo).toEqual(["req-1", "req-2"])
      const published = (yield* PublishedEvents).all()
      expect(published.map((p) => [p.userId, p.event])).toEqual([
        ["u1", "usage"],
        ["u1", "usage"]
      ])
      expect(published[0]!.data).toEqual({
        requestId: "req-1",
        model: "gpt-4o-mini",
        provider: "openai",
        upstreamModel: "gpt-4o-mini-2024-07-18",
        apiKeyId: "k1",
        status: 200,
        outcome: "success",
        inputTokens: 10,
        outputTokens: 4,
        cachedInputTokens: 2,
        costMicros: 37,
        latencyMs: 12.35,
        ttftMs: null,
        stream: false,
        createdAt: "2026-12-04T10:00:00.000Z"
      })
    }).pipe(Effect.provide(layer))
  )
})

describe("UsageTap with no hub configured", () => {
  const layer = tapOver(Publisher.layerNone)

  it.effect("records the event in the ledger and builds nothing for the publisher", () =>
    Effect.gen(function* () {
      expect(yield* recordTwo).toEqual(["req-1", "req-2"])
      // The tap stood aside: not one event reached the publisher, which counts every one it drops.
      expect((yield* Publisher).stats().dropped).toBe(0)
    }).pipe(Effect.provide(layer))
  )

  it.effect("a publisher that drops events still counts what reaches it", () =>
    Effect.gen(function* () {
      const publisher = yield* Publisher
      expect(publisher.delivers).toBe(false)
      publisher.publish("u1", "usage", UsageTap.toUsageLive(event))
      expect(publisher.stats().dropped).toBe(1)
    }).pipe(Effect.provide(Publisher.layerNone))
  )
})

describe("KeyChangeTap", () => {
  const layer = KeyChangeTap.layer.pipe(
    Layer.provideMerge(Layer.mergeAll(ApiKeys.layerMemory, Publisher.layerMemory)),
    Layer.provide(ChangeFeed.layerMemory)
  )

  it.effect("publishes each successful change of a key, never the key itself", () =>
    Effect.gen(function* () {
      const keys = yield* ApiKeys
      const issued = yield* keys.create("u7")
      yield* keys.setEnabled("u7", false)
      yield* keys.update("u7", { enabled: true })
      yield* keys.update("u7", { limits: { rpm: 5 } })
      const regenerated = yield* keys.regenerate("u7")
      yield* keys.remove("u7")
      // Fails (no key any more): nothing published.
      yield* Effect.flip(keys.remove("u7"))

      const published = (yield* PublishedEvents).all()
      expect(published.every((p) => p.userId === "u7" && p.event === "key_changed")).toBe(true)
      expect(published.map((p) => (p.data as { action: string }).action)).toEqual([
        "created",
        "disabled",
        "enabled",
        "updated",
        "regenerated",
        "deleted"
      ])
      expect((published[0]!.data as { keyId: string }).keyId).toBe(issued.record.id)
      const text = JSON.stringify(published)
      expect(text).not.toContain(Redacted.value(issued.key))
      expect(text).not.toContain(Redacted.value(regenerated.key))
    }).pipe(Effect.provide(layer))
  )
})
