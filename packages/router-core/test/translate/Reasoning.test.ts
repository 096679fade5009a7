/**
 * Reasoning parameters go only to models that take them (the capability tables): elsewhere they
 * are dropped and reported under the client's own field name, or refused in strict mode.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { anthropicCapabilities } from "../../src/providers/anthropic/capabilities.ts"
import type { ModelCapabilities } from "../../src/providers/Capabilities.ts"
import { geminiCapabilities } from "../../src/providers/google/capabilities.ts"
import { openaiCapabilities } from "../../src/providers/openai/capabilities.ts"
import { xaiCapabilities } from "../../src/providers/xai/capabilities.ts"
import { parseClientRequest } from "../../src/translate/ClientRequest.ts"
import type { ClientFormat, UpstreamFormat } from "../../src/translate/Formats.ts"
import { translateRequest } from "../../src/translate/Request.ts"

const translate = (
  format: ClientFormat,
  body: unknown,
  to: UpstreamFormat,
  capabilities: ModelCapabilities,
  strict = false
) => {
  const parsed = parseClientRequest(format, body)
  if (Either.isLeft(parsed)) throw new Error(parsed.left.message)
  return translateRequest(parsed.right, to, { upstreamModel: "up", strict, capabilities })
}

const ok = (e: ReturnType<typeof translate>) => {
  if (Either.isLeft(e)) throw new Error(e.left.message)
  return e.right as { body: Record<string, unknown>; dropped: ReadonlyArray<string> }
}

const messages = [{ role: "user", content: "think" }]
const thinking = {
  model: "m",
  max_tokens: 4000,
  messages,
  thinking: { type: "enabled", budget_tokens: 2048 }
}
const effort = (e: string) => ({ model: "m", messages, reasoning_effort: e })

describe("Anthropic thinking → OpenAI-family models", () => {
  it("a reasoning model gets reasoning_effort", () => {
    const out = ok(translate("anthropic", thinking, "openai", openaiCapabilities("o4-mini")))
    expect(out.body.reasoning_effort).toBe("low")
    expect(out.dropped).toEqual([])
  })

  it("a model without reasoning gets none: dropped and reported as `thinking`, refused when strict", () => {
    const out = ok(translate("anthropic", thinking, "openai", openaiCapabilities("gpt-4o-mini")))
    expect(out.body.reasoning_effort).toBeUndefined()
    expect(out.dropped).toEqual(["thinking"])
    const strict = translate("anthropic", thinking, "openai", openaiCapabilities("gpt-4o-mini"), true)
    expect(Either.isLeft(strict) && strict.left.field).toBe("thinking")
  })

  it("xAI: grok-3-mini takes it, grok-4 does not", () => {
    expect(
      ok(translate("anthropic", thinking, "openai", xaiCapabilities("grok-3-mini"))).body.reasoning_effort
    ).toBe("low")
    expect(ok(translate("anthropic", thinking, "openai", xaiCapabilities("grok-4"))).dropped).toEqual([
      "thinking"
    ])
  })

  it("output_config.effort alone is reported under its own name", () => {
    const body = { model: "m", max_tokens: 100, messages, output_config: { effort: "high" } }
    expect(
      ok(translate("anthropic", body, "openai", openaiCapabilities("gpt-5"))).body.reasoning_effort
    ).toBe("high")
    expect(ok(translate("anthropic", body, "openai", openaiCapabilities("gpt-4.1"))).dropped).toEqual([
      "output_config.effort"
    ])
  })

  it("adaptive thinking (the Anthropic SDK's recommended form) is carried as an effort", () => {
    const body = { model: "m", max_tokens: 100, messages, thinking: { type: "adaptive" } }
    expect(ok(translate("anthropic", body, "openai", openaiCapabilities("o3"))).body.reasoning_effort).toBe(
      "medium"
    )
    const gemini = ok(translate("anthropic", body, "gemini", geminiCapabilities("gemini-2.5-flash")))
    expect(gemini.body.generationConfig).toMatchObject({
      thinkingConfig: { thinkingBudget: 4096, includeThoughts: true }
    })
  })
})

describe("OpenAI reasoning_effort → Claude and Gemini", () => {
  it("a thinking Claude gets a budget; Claude 3.5 none, reported as reasoning_effort", () => {
    expect(
      ok(translate("openai", effort("high"), "anthropic", anthropicCapabilities("claude-sonnet-4-5"))).body
        .thinking
    ).toEqual({
      type: "enabled",
      budget_tokens: 16384
    })
    const old = ok(
      translate("openai", effort("high"), "anthropic", anthropicCapabilities("claude-3-5-haiku-latest"))
    )
    expect(old.body.thinking).toBeUndefined()
    expect(old.dropped).toEqual(["reasoning_effort"])
  })

  it("an adaptive-only Claude gets adaptive thinking with the effort", () => {
    const out = ok(
      translate("openai", effort("minimal"), "anthropic", anthropicCapabilities("claude-opus-5-5"))
    )
    expect(out.body.thinking).toEqual({ type: "adaptive" })
    expect(out.body.output_config).toEqual({ effort: "low" })
  })

  it("effort `none` asks for nothing: never reported", () => {
    const out = ok(
      translate("openai", effort("none"), "anthropic", anthropicCapabilities("claude-3-5-haiku-latest"))
    )
    expect(out.dropped).toEqual([])
    expect(out.body.thinking).toBeUndefined()
  })

  it("Gemini 2.0 takes no thinkingConfig; 2.5 does", () => {
    const old = ok(translate("openai", effort("low"), "gemini", geminiCapabilities("gemini-2.0-flash")))
    expect(old.body.generationConfig).toBeUndefined()
    expect(old.dropped).toEqual(["reasoning_effort"])
    const current = ok(translate("openai", effort("low"), "gemini", geminiCapabilities("gemini-2.5-pro")))
    expect(current.body.generationConfig).toEqual({
      thinkingConfig: { thinkingBudget: 1024, includeThoughts: true }
    })
  })
})
