/**
 * `/metrics` is behind a setting (`METRICS_TOKEN`, else `METRICS_PUBLIC`), and its model labels are
 * only models the router knows: names a client makes up are counted under their known family or
 * as `other`, so they cannot fill the series and fold real models away.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Redacted } from "effect"
import { type FakeUpstream, json, startFake } from "./FakeUpstream.ts"
import { startRouter, TEST_KEY, type TestRouter } from "./Harness.ts"

let fake: FakeUpstream
beforeAll(async () => {
  fake = await startFake(
    json(200, {
      id: "c",
      object: "chat.completion",
      created: 1,
      model: "x",
      choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }
    })
  )
})
afterAll(() => fake.close())

describe("access", () => {
  let withToken: TestRouter
  let closed: TestRouter
  beforeAll(async () => {
    withToken = await startRouter({ settings: { metricsToken: Redacted.make("scrape-secret") } })
    closed = await startRouter({ settings: { metricsPublic: false } })
  })
  afterAll(async () => {
    await withToken.close()
    await closed.close()
  })

  it("with METRICS_TOKEN: 401 without it or with another, 200 with it", async () => {
    expect((await fetch(`${withToken.url}/metrics`)).status).toBe(401)
    const wrong = await fetch(`${withToken.url}/metrics`, { headers: { authorization: "Bearer nope" } })
    expect(wrong.status).toBe(401)
    expect((await wrong.json()).error.type).toBe("authentication_error")
    const right = await fetch(`${withToken.url}/metrics`, {
      headers: { authorization: "Bearer scrape-secret" }
    })
    expect(right.status).toBe(200)
    expect(await right.text()).toContain("switchyard_requests_total")
  })

  it("without a token and not public: 404", async () => {
    expect((await fetch(`${closed.url}/metrics`)).status).toBe(404)
  })
})

describe("labels", () => {
  let router: TestRouter
  beforeAll(async () => {
    router = await startRouter({ env: { OPENAI_BASE_URL: `${fake.url}/v1`, OPENAI_API_KEY: "sk-platform" } })
  })
  afterAll(() => router.close())

  const ask = (model: string) =>
    fetch(`${router.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] })
    }).then((res) => res.arrayBuffer())

  it("made-up model names never become label values", async () => {
    await ask("gpt-4o")
    for (let i = 0; i < 40; i++) await ask(`openai/made-up-${i}`)
    for (let i = 0; i < 10; i++) await ask(`gpt-4o-mini-made-up-${i}`)
    const text = await (await fetch(`${router.url}/metrics`)).text()
    expect(text).not.toContain("made-up")
    expect(text).toMatch(/switchyard_requests_total\{provider="openai",model="gpt-4o",status="200"/)
    expect(text).toMatch(
      /switchyard_requests_total\{provider="openai",model="other",status="200",outcome="success"\} 40/
    )
    expect(text).toMatch(
      /switchyard_requests_total\{provider="openai",model="gpt-4o-mini",status="200",outcome="success"\} 10/
    )
  })
})
