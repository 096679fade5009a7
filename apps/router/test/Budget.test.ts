/**
 * Budgets that hold: a model without a price is refused under a budget (never charged $0), and a
 * request without `max_tokens` reserves the model's maximum output, so 100 concurrent requests
 * under a small budget spend no more than it even when every answer is as long as the model
 * allows (the documented bound: `packages/router-core/src/limits/README.md`).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Pricing } from "@switchyard/ledger"
import { MaxOutput, Routing } from "@switchyard/router-core"
import { Effect, Option } from "effect"
import { unpricedModels } from "../src/UnpricedModels.ts"
import { type FakeUpstream, startFake } from "./FakeUpstream.ts"
import { chat, type Running, start } from "./ReliabilityHarness.ts"

const GPT_4O_MINI_MAX_OUTPUT = MaxOutput.maxOutputTokens("gpt-4o-mini")

/** Answers after a pause (so the requests overlap), as long an answer as the model allows. */
const longAnswers = (): Promise<FakeUpstream> =>
  startFake(async (req, res) => {
    await new Promise((resolve) => setTimeout(resolve, 50))
    const model = (JSON.parse(req.body) as { model: string }).model
    res.writeHead(200, { "content-type": "application/json" })
    res.end(
      JSON.stringify({
        id: "c",
        object: "chat.completion",
        created: 1,
        model,
        choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "length" }],
        usage: {
          prompt_tokens: 8,
          completion_tokens: GPT_4O_MINI_MAX_OUTPUT,
          total_tokens: 8 + GPT_4O_MINI_MAX_OUTPUT
        }
      })
    )
  })

describe("budgets", () => {
  let fake: FakeUpstream
  let router: Running
  let unlimited: Running
  // About five worst-case gpt-4o-mini answers (16 384 output tokens at $0.60/M ≈ 9 830 µ$ each).
  const budgetMicros = 50_000
  beforeAll(async () => {
    fake = await longAnswers()
    const env = { OPENAI_BASE_URL: `${fake.url}/v1`, OPENAI_API_KEY: "sk-platform" }
    router = await start({
      env,
      routing: { limits: { user: { budget: { amountMicros: budgetMicros, period: "day" } } } }
    })
    unlimited = await start({ env })
  })
  afterAll(async () => {
    await router.close()
    await unlimited.close()
    await fake.close()
  })

  it("100 concurrent requests without max_tokens spend no more than the budget", async () => {
    const body = { model: "gpt-4o-mini", messages: [{ role: "user", content: "write at length" }] }
    const answers = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const res = await chat(router.url, body)
        return { status: res.status, body: (await res.json()) as { error?: { code?: string } } }
      })
    )
    const ok = answers.filter((a) => a.status === 200)
    const refused = answers.filter((a) => a.status === 429)
    expect(ok.length).toBeGreaterThan(0)
    expect(ok.length + refused.length).toBe(100)
    expect(refused.every((a) => a.body.error?.code === "insufficient_quota")).toBe(true)
    const events = await router.waitForEvents(100)
    const spent = events.reduce((sum, e) => sum + e.costMicros, 0)
    expect(spent).toBeGreaterThan(0)
    expect(spent).toBeLessThanOrEqual(budgetMicros)
  })

  it("a model without a price is refused under a budget, naming the model, and not forwarded", async () => {
    const before = fake.received.length
    const res = await chat(router.url, {
      model: "openai/brand-new-model",
      max_tokens: 10,
      messages: [{ role: "user", content: "hi" }]
    })
    expect(res.status).toBe(403)
    const body = (await res.json()) as { error: { code: string; param: string; message: string } }
    expect(body.error).toMatchObject({ code: "model_not_priced", param: "model" })
    expect(body.error.message).toContain("openai/brand-new-model")
    expect(fake.received.length).toBe(before)
    const anthropic = await chat(
      router.url,
      { model: "openai/brand-new-model", max_tokens: 10, messages: [{ role: "user", content: "hi" }] },
      "ef_test_key",
      "/v1/messages"
    )
    expect(anthropic.status).toBe(403)
    expect(await anthropic.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } })
  })

  it("without a budget the unpriced model is served", async () => {
    const res = await chat(unlimited.url, {
      model: "openai/brand-new-model",
      max_tokens: 10,
      messages: [{ role: "user", content: "hi" }]
    })
    expect(res.status).toBe(200)
  })
})

describe("the price table", () => {
  it.effect("prices current models that used to cost $0", () =>
    Effect.gen(function* () {
      const pricing = yield* Pricing
      for (const model of ["chatgpt-4o-latest", "gpt-4.5-preview", "codex-mini-latest", "o3-deep-research"]) {
        expect(Option.isSome(pricing.rates("openai", model))).toBe(true)
      }
    }).pipe(Effect.provide(Pricing.layerShipped))
  )

  it.effect("prices every model the providers advertise; an alias to an unknown one is reported", () =>
    Effect.gen(function* () {
      const pricing = yield* Pricing
      const shipped = yield* Routing.makeTable({
        file: {},
        mockEnabled: true,
        defaultModel: undefined,
        unknownModels: Routing.refuseUnknown
      })
      expect(unpricedModels(shipped, pricing)).toEqual([])
      const withAlias = yield* Routing.makeTable({
        file: { aliases: { house: "openai/house-model-v9" } },
        mockEnabled: true,
        defaultModel: undefined,
        unknownModels: Routing.refuseUnknown
      })
      expect(unpricedModels(withAlias, pricing)).toEqual(["openai/house-model-v9"])
    }).pipe(Effect.provide(Pricing.layerShipped))
  )
})

describe("the output estimate", () => {
  it("is the model's maximum output when max_tokens is absent or larger", () => {
    expect(MaxOutput.maxOutputTokens("gpt-4o-mini")).toBe(16_384)
    expect(MaxOutput.maxOutputTokens("gpt-4o-2024-08-06")).toBe(16_384)
    expect(MaxOutput.maxOutputTokens("claude-sonnet-4-5-20250929")).toBe(64_000)
    expect(MaxOutput.maxOutputTokens("some-new-model")).toBe(MaxOutput.DEFAULT_MAX_OUTPUT_TOKENS)
  })
})
