/**
 * Usage events cross from the serving thread to the owning thread in columns (UsageBatch.ts). These
 * tests send batches the way the router does (a structured clone, which `postMessage` makes) and
 * require every event back exactly as it was recorded: each field its own distinct value, so a field
 * read from another's column fails, and nulls, zeros and `false`s kept apart.
 */
import { describe, expect, it } from "@effect/vitest"
import type { UsageEvent } from "@switchyard/domain"
import { decodeUsageBatch, type UsageBatch, UsageBatchBuilder } from "../src/serving/UsageBatch.ts"

/** Sends the builder's batch as `postMessage` does: copied before `send` returns. */
const cross = (builder: UsageBatchBuilder): UsageBatch => {
  let arrived: UsageBatch | undefined
  builder.send((batch) => {
    arrived = structuredClone(batch)
  })
  return arrived!
}

const event = (overrides: Partial<UsageEvent> = {}): UsageEvent => ({
  requestId: "019aa8d2-7c1e-7a3b-9f00-4d2c1b0a9e87",
  userId: "user-1",
  apiKeyId: "key-1",
  requestedModel: "gpt-4o-mini",
  provider: "openai",
  upstreamModel: "gpt-4o-mini-2024-07-18",
  outcome: "success",
  status: 200,
  errorType: null,
  usage: {
    inputTokens: 11,
    outputTokens: 22,
    cachedInputTokens: 33,
    cacheCreationTokens: 44,
    reasoningTokens: 5,
    estimated: false
  },
  costMicros: 66,
  latencyMs: 7.25,
  ttftMs: null,
  stream: false,
  droppedFields: [],
  createdAt: new Date("2026-12-07T04:41:09.123Z"),
  ...overrides
})

const varied: ReadonlyArray<UsageEvent> = [
  event(),
  // Every nullable field null, a stream cut with a time to first byte of exactly 0, an estimate.
  event({
    requestId: "short",
    userId: "user-2",
    apiKeyId: null,
    requestedModel: "",
    provider: null,
    upstreamModel: null,
    outcome: "client_abort",
    status: 499,
    errorType: null,
    usage: {
      inputTokens: 0,
      outputTokens: 0,
      cachedInputTokens: 0,
      cacheCreationTokens: 0,
      reasoningTokens: 0,
      estimated: true
    },
    costMicros: 0,
    latencyMs: -0,
    ttftMs: 0,
    stream: true
  }),
  // Values at the edges of what a double holds exactly, strings that need escaping, dropped fields.
  event({
    requestId: 'req-ünïcødé-🙂-"quoted"',
    userId: "user-1",
    apiKeyId: "key-2",
    requestedModel: "anthropic/claude-sonnet-4-5",
    provider: "anthropic",
    upstreamModel: "claude-sonnet-4-5",
    outcome: "rate_limited",
    status: 429,
    errorType: "rate_limit_error",
    usage: {
      inputTokens: Number.MAX_SAFE_INTEGER,
      outputTokens: 2 ** 40 + 1,
      cachedInputTokens: 1,
      cacheCreationTokens: 2,
      reasoningTokens: 3,
      estimated: false
    },
    costMicros: Number.MAX_SAFE_INTEGER - 1,
    latencyMs: 0.1 + 0.2,
    ttftMs: 1234.5678,
    stream: true,
    droppedFields: ["logit_bias", "a, b", 'quote "x"', "ünï\u0000code", "lone \uD800 surrogate"],
    createdAt: new Date(0)
  }),
  event({
    requestId: "019aa8d2-7c1e-7a3b-9f00-000000000004",
    outcome: "provider_error",
    status: 502,
    errorType: "api_error",
    droppedFields: ["seed"],
    createdAt: new Date("1999-12-31T23:59:59.999Z")
  })
]

describe("usage batches between the router's threads", () => {
  it("carries every field of every event exactly", () => {
    const builder = new UsageBatchBuilder(8)
    for (const e of varied) builder.append(e)
    expect(builder.count).toBe(varied.length)
    expect(decodeUsageBatch(cross(builder))).toStrictEqual(varied)
  })

  it("sends each repeated string once per batch", () => {
    const builder = new UsageBatchBuilder(256)
    for (let i = 0; i < 200; i++) builder.append(event({ requestId: `req-${i}` }))
    const arrived = cross(builder)
    // user, key, requested model, provider, upstream model, outcome: nothing per event.
    expect(arrived.values).toStrictEqual([
      "user-1",
      "key-1",
      "gpt-4o-mini",
      "openai",
      "gpt-4o-mini-2024-07-18",
      "success"
    ])
    const events = decodeUsageBatch(arrived)
    expect(events.map((e) => e.requestId)).toStrictEqual(Array.from({ length: 200 }, (_, i) => `req-${i}`))
  })

  it("starts each batch afresh in the same arrays once sent", () => {
    const builder = new UsageBatchBuilder(2)
    builder.append(varied[2]!)
    builder.append(varied[0]!)
    expect(builder.count).toBe(2)
    const first = cross(builder)
    expect(builder.count).toBe(0)
    // The second batch repeats the first one's strings in other places: stale indexes would show.
    builder.append(varied[1]!)
    builder.append(varied[0]!)
    const second = cross(builder)
    // The first batch's copy is untouched by the second written over the same arrays.
    expect(decodeUsageBatch(first)).toStrictEqual([varied[2], varied[0]])
    expect(decodeUsageBatch(second)).toStrictEqual([varied[1], varied[0]])
    expect(second.values).not.toContain("anthropic")
    expect(decodeUsageBatch(cross(builder))).toStrictEqual([])
  })

  it("drops a batch whose send failed, as the object path did, and carries on", () => {
    const builder = new UsageBatchBuilder(2)
    builder.append(varied[0]!)
    builder.append(varied[1]!)
    expect(() =>
      builder.send(() => {
        throw new Error("the owning thread is gone")
      })
    ).toThrow("the owning thread is gone")
    expect(builder.count).toBe(0)
    builder.append(varied[2]!)
    expect(decodeUsageBatch(cross(builder))).toStrictEqual([varied[2]])
  })

  it("grows when more is appended than it was made for, losing nothing", () => {
    const builder = new UsageBatchBuilder(1)
    for (const e of varied) builder.append(e)
    builder.append(varied[0]!)
    expect(builder.count).toBe(varied.length + 1)
    expect(decodeUsageBatch(cross(builder))).toStrictEqual([...varied, varied[0]])
  })
})
