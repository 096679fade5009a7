/**
 * `GET /v1/models/{id}` (`models.retrieve` in both SDKs) and Anthropic-shaped model lists for
 * clients that send `anthropic-version`, paged as Anthropic pages them.
 */
import Anthropic from "@anthropic-ai/sdk"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import OpenAI from "openai"
import { validateOpenAI } from "../../../packages/router-core/test/translate/openaiSpec.ts"
import { startRouter, TEST_KEY, type TestRouter } from "./Harness.ts"

let router: TestRouter
let openai: OpenAI
let anthropic: Anthropic

beforeAll(async () => {
  router = await startRouter({
    env: { OPENAI_API_KEY: "sk-openai", GOOGLE_AI_KEY: "g-key" },
    routing: { aliases: { fast: "openai/gpt-4o-mini" } }
  })
  openai = new OpenAI({ apiKey: TEST_KEY, baseURL: `${router.url}/v1`, maxRetries: 0 })
  anthropic = new Anthropic({ apiKey: TEST_KEY, baseURL: router.url, maxRetries: 0 })
})

afterAll(async () => {
  await router.close()
})

describe("openai models.retrieve", () => {
  it("a listed model, an alias, a slashed id, and any name that routes to a reachable provider", async () => {
    const model = await openai.models.retrieve("gpt-4o-mini")
    expect(model).toMatchObject({ id: "gpt-4o-mini", object: "model", owned_by: "openai" })
    expect(validateOpenAI("Model", model)).toEqual([])
    expect(await openai.models.retrieve("fast")).toMatchObject({ id: "fast", owned_by: "openai" })
    expect(await openai.models.retrieve("mock/echo")).toMatchObject({ id: "mock/echo", owned_by: "mock" })
    expect(await openai.models.retrieve("gpt-4o-2024-08-06")).toMatchObject({ owned_by: "openai" })
    expect(await openai.models.retrieve("google/gemini-2.5-pro")).toMatchObject({ owned_by: "google" })
  })

  it("a model the caller cannot reach is a 404 in OpenAI's format", async () => {
    const error = await openai.models.retrieve("claude-sonnet-4-5").catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.NotFoundError)
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe("model_not_found")
    const res = await fetch(`${router.url}/v1/models/nope`)
    expect(res.status).toBe(401)
  })
})

describe("Anthropic models.list and models.retrieve", () => {
  it("lists in Anthropic's shape, every page walked by the SDK", async () => {
    const all: Array<Anthropic.ModelInfo> = []
    for await (const model of anthropic.models.list({ limit: 2 })) all.push(model)
    const ids = all.map((m) => m.id)
    expect(ids).toContain("gpt-4o-mini")
    expect(ids).toContain("gemini-2.5-flash")
    expect(ids).toContain("fast")
    expect(new Set(ids).size).toBe(ids.length)
    const openaiIds = (await openai.models.list()).data.map((m) => m.id)
    expect(ids).toEqual(openaiIds)
    for (const m of all) {
      expect(m).toMatchObject({ type: "model", display_name: m.id })
      expect(new Date(m.created_at).toISOString()).toBe(m.created_at)
    }
  })

  it("pages with has_more, first_id and last_id, forwards and back", async () => {
    const first = await anthropic.models.list({ limit: 2 })
    expect(first.data).toHaveLength(2)
    expect(first.has_more).toBe(true)
    expect(first.first_id).toBe(first.data[0]!.id)
    expect(first.last_id).toBe(first.data[1]!.id)
    const second = await anthropic.models.list({ limit: 2, after_id: first.last_id! })
    expect(second.data[0]!.id).not.toBe(first.data[1]!.id)
    const back = await anthropic.models.list({ limit: 2, before_id: second.first_id! })
    expect(back.data.map((m) => m.id)).toEqual(first.data.map((m) => m.id))
    expect(back.has_more).toBe(false)
    const everything = await anthropic.models.list({ limit: 1000 })
    expect(everything.has_more).toBe(false)
  })

  it("retrieves one model, and answers 404 and bad paging in Anthropic's format", async () => {
    const model = await anthropic.models.retrieve("gemini-2.5-flash")
    expect(model).toMatchObject({ type: "model", id: "gemini-2.5-flash", display_name: "gemini-2.5-flash" })
    const missing = await anthropic.models.retrieve("claude-sonnet-4-5").catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError)
    expect((missing as InstanceType<typeof Anthropic.NotFoundError>).error).toMatchObject({
      type: "error",
      error: { type: "not_found_error" }
    })
    const bad = await anthropic.models.list({ limit: 0 }).catch((e: unknown) => e)
    expect(bad).toBeInstanceOf(Anthropic.BadRequestError)
  })
})
