import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import type { TokenUsage } from "@switchyard/domain"
import { ConfigProvider, Effect, Exit, Layer, Option } from "effect"
import { Pricing, PricingFileError } from "../src/index.ts"
import { costAt, costAtExact, make } from "../src/Pricing.ts"

const usage = (u: Partial<TokenUsage>): TokenUsage => ({
  inputTokens: 0,
  outputTokens: 0,
  cachedInputTokens: 0,
  cacheCreationTokens: 0,
  reasoningTokens: 0,
  estimated: false,
  ...u
})

const shipped = make({})

describe("Pricing", () => {
  it("prices every token class at its own rate, in exact micro-dollars", () => {
    // Sonnet 4.5: $3 in, $0.30 cache read, $3.75 cache write, $15 out per million tokens.
    // 1000×3 + 2000×0.30 + 3000×3.75 + 500×15 = 3000 + 600 + 11250 + 7500 = 22350 µ$.
    expect(
      shipped.cost(
        "anthropic",
        "claude-sonnet-4-5-20250929",
        usage({
          inputTokens: 1000,
          cachedInputTokens: 2000,
          cacheCreationTokens: 3000,
          outputTokens: 500,
          reasoningTokens: 100
        })
      )
    ).toEqual({ costMicros: 22_350, priced: true })
    // gpt-4o-mini: 1234×0.15 + 1000×0.075 + 567×0.60 = 185.1 + 75 + 340.2 = 600.3 → 600 µ$.
    expect(
      shipped.cost(
        "openai",
        "gpt-4o-mini-2024-07-18",
        usage({ inputTokens: 1234, cachedInputTokens: 1000, outputTokens: 567 })
      )
    ).toEqual({ costMicros: 600, priced: true })
  })

  it("bills reasoning tokens as output unless the model lists a reasoning rate", () => {
    // o3-mini: 100×1.10 + 1000×4.40 (800 of them reasoning, same rate) = 110 + 4400 = 4510 µ$.
    expect(
      shipped.cost("openai", "o3-mini", usage({ inputTokens: 100, outputTokens: 1000, reasoningTokens: 800 }))
        .costMicros
    ).toBe(4510)
    // A model with its own reasoning rate: 1000×1 + 750×2 + 250×8 = 1000 + 1500 + 2000 = 4500 µ$.
    const custom = make({ "acme/thinker": { input: 1, output: 2, reasoning: 8 } })
    expect(
      custom.cost("acme", "thinker", usage({ inputTokens: 1000, outputTokens: 1000, reasoningTokens: 250 }))
        .costMicros
    ).toBe(4500)
  })

  it("falls back to the input rate for cache reads and writes when a model lists no cache rate", () => {
    // gemini-2.0-flash-lite lists no cache rates: 1000 read + 1000 written at $0.075 = 75 + 75 µ$.
    expect(
      shipped.cost(
        "google",
        "gemini-2.0-flash-lite",
        usage({ cachedInputTokens: 1000, cacheCreationTokens: 1000 })
      ).costMicros
    ).toBe(150)
    // gpt-4o lists a cache-read rate but no cache-write rate: writes at $2.50, reads at $1.25.
    expect(
      shipped.cost("openai", "gpt-4o", usage({ cachedInputTokens: 1000, cacheCreationTokens: 1000 }))
        .costMicros
    ).toBe(1250 + 2500)
    const rates = Option.getOrThrow(shipped.rates("google", "gemini-2.0-flash-lite"))
    expect([rates.cachedInput, rates.cacheWrite]).toEqual([rates.input, rates.input])
  })

  it("rounds half up once per request and stays exact for large counts", () => {
    // gpt-5-nano input $0.05: 10 tokens = 0.5 µ$ → 1; 9 tokens = 0.45 µ$ → 0.
    expect(shipped.cost("openai", "gpt-5-nano", usage({ inputTokens: 10 })).costMicros).toBe(1)
    expect(shipped.cost("openai", "gpt-5-nano", usage({ inputTokens: 9 })).costMicros).toBe(0)
    // o1-pro, 10 M input + 10 M output: $1500 + $6000.
    expect(
      shipped.cost(
        "openai",
        "o1-pro-2025-03-19",
        usage({ inputTokens: 10_000_000, outputTokens: 10_000_000 })
      ).costMicros
    ).toBe(7_500_000_000)
  })

  it("matches dated, prefixed and re-spelled model names to the right family", () => {
    const key = (provider: string, model: string) =>
      Option.getOrUndefined(Option.map(shipped.rates(provider, model), (r) => r.key))
    expect(key("anthropic", "claude-sonnet-4-5-20250929")).toBe("anthropic/claude-sonnet-4-5")
    expect(key("anthropic", "claude-sonnet-4-5@20250929")).toBe("anthropic/claude-sonnet-4-5")
    expect(key("anthropic", "claude-opus-4-1-20250805")).toBe("anthropic/claude-opus-4-1")
    expect(key("anthropic", "claude-opus-4-20250514")).toBe("anthropic/claude-opus-4")
    expect(key("openai-compatible", "anthropic/claude-3.5-sonnet")).toBe("anthropic/claude-3-5-sonnet")
    expect(key("openai", "gpt-4o-2024-08-06")).toBe("openai/gpt-4o")
    expect(key("openai", "gpt-4.1-mini-2025-04-14")).toBe("openai/gpt-4.1-mini")
    expect(key("openai", "GPT-4o-Mini")).toBe("openai/gpt-4o-mini")
    expect(key("openai", "o1-preview")).toBe("openai/o1")
    expect(key("google", "models/gemini-2.5-flash-preview-09-2025")).toBe("google/gemini-2.5-flash")
    expect(key("gemini", "gemini-2.5-flash-lite-preview-06-17")).toBe("google/gemini-2.5-flash-lite")
    expect(key("xai", "grok-4-fast-reasoning")).toBe("xai/grok-4-fast")
    expect(key("xai", "grok-4-0709")).toBe("xai/grok-4")
    // A dot is not a family boundary: gpt-4.5-preview is priced as itself, never as gpt-4.
    expect(key("openai", "gpt-4.5-preview")).toBe("openai/gpt-4.5-preview")
    expect(shipped.cost("openai-compatible", "llama-3.1-70b", usage({ inputTokens: 5 }))).toEqual({
      costMicros: 0,
      priced: false
    })
  })

  it("charges nothing for requests that never reached a provider", () => {
    expect(shipped.cost(null, null, usage({}))).toEqual({ costMicros: 0, priced: true })
    expect(shipped.cost(null, null, usage({ inputTokens: 3 }))).toEqual({ costMicros: 0, priced: false })
  })

  describe("PRICING_FILE", () => {
    const dir = mkdtempSync(join(tmpdir(), "sy-pricing-"))
    const withFile = (path: string) =>
      Pricing.layer.pipe(
        Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["PRICING_FILE", path]]))))
      )

    it.effect("a YAML file overrides shipped prices and adds models", () =>
      Effect.gen(function* () {
        const path = join(dir, "prices.yaml")
        writeFileSync(
          path,
          [
            "models:",
            "  openai/gpt-4o: { input: 2, output: 8, cachedInput: 0.5 }",
            "  openai-compatible/llama-3.1-70b:",
            "    input: 0.59",
            "    output: 0.79"
          ].join("\n")
        )
        const pricing = yield* Effect.provide(Pricing, withFile(path))
        expect(
          pricing.cost("openai", "gpt-4o", usage({ inputTokens: 1000, cachedInputTokens: 1000 })).costMicros
        ).toBe(2000 + 500)
        expect(pricing.cost("openai-compatible", "llama-3.1-70b", usage({ outputTokens: 1000 }))).toEqual({
          costMicros: 790,
          priced: true
        })
        // Untouched entries keep shipped prices.
        expect(pricing.cost("openai", "gpt-4o-mini", usage({ inputTokens: 1000 })).costMicros).toBe(150)
      })
    )

    it.effect("a JSON file works too; an invalid one fails the layer with PricingFileError", () =>
      Effect.gen(function* () {
        const good = join(dir, "prices.json")
        writeFileSync(good, JSON.stringify({ models: { "xai/grok-4": { input: 1, output: 1 } } }))
        const pricing = yield* Effect.provide(Pricing, withFile(good))
        expect(
          pricing.cost("xai", "grok-4", usage({ inputTokens: 1000, outputTokens: 1000 })).costMicros
        ).toBe(2000)

        const bad = join(dir, "bad.json")
        writeFileSync(bad, JSON.stringify({ models: { "xai/grok-4": { input: -1, output: 1 } } }))
        const exit = yield* Effect.exit(Effect.provide(Pricing, withFile(bad)))
        expect(Exit.isFailure(exit)).toBe(true)
        if (Exit.isFailure(exit)) expect(String(exit.cause)).toContain("PricingFileError")
        const missing = yield* Effect.flip(Effect.provide(Pricing, withFile(join(dir, "nope.yaml"))))
        expect(missing).toBeInstanceOf(PricingFileError)
      })
    )
  })
})

describe("costAt (the double fast path)", () => {
  // A seeded generator, so a failure names inputs that can be replayed.
  const seeded = (seed: number) => () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
    return seed / 2_147_483_648
  }
  const random = seeded(20261123)
  const tokens = (max: number) => Math.floor(random() * max)
  const models: Array<[string, string]> = [
    ["anthropic", "claude-sonnet-4-5"],
    ["openai", "gpt-4o-mini"],
    ["openai", "o3"],
    ["google", "gemini-2.5-pro"]
  ]
  const ratesOf = ([provider, model]: [string, string]) => Option.getOrThrow(shipped.rates(provider, model))

  it("agrees with the bigint computation on every usage, rounding halves up", () => {
    for (const model of models) {
      const rates = ratesOf(model)
      for (let i = 0; i < 20_000; i++) {
        // Small and huge counts alike: totals past 2^53 take the bigint path and must agree too.
        const scale = [1_000, 1_000_000, 1e9, 1e12][i % 4]!
        const u = usage({
          inputTokens: tokens(scale),
          outputTokens: tokens(scale),
          cachedInputTokens: tokens(scale),
          cacheCreationTokens: tokens(scale),
          reasoningTokens: tokens(scale)
        })
        expect(costAt(rates, u)).toBe(costAtExact(rates, u))
      }
    }
  })

  it("rounds exactly at the half micro-dollar and next to 2^53", () => {
    // gpt-4o-mini input: $0.15 per million tokens = 0.15 µ$ per token.
    const rates = ratesOf(["openai", "gpt-4o-mini"])
    expect(costAt(rates, usage({ inputTokens: 3 }))).toBe(0) // 0.45 µ$
    expect(costAt(rates, usage({ inputTokens: 4 }))).toBe(1) // 0.60 µ$
    expect(costAt(rates, usage({ inputTokens: 10 }))).toBe(2) // 1.50 µ$: half rounds up
    for (let tokensIn = 2 ** 53 / 150_000 - 20; tokensIn < 2 ** 53 / 150_000 + 20; tokensIn++) {
      const u = usage({ inputTokens: Math.floor(tokensIn) })
      expect(costAt(rates, u)).toBe(costAtExact(rates, u))
    }
  })
})
