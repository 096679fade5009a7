/**
 * Fields the upstream cannot carry: dropped and listed in `x-switchyard-dropped` (and the usage
 * event), or refused with a 400 naming them in strict mode.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type FakeUpstream, json, startFake } from "./FakeUpstream.ts"
import { startRouter, TEST_KEY, type TestRouter } from "./Harness.ts"

let fake: FakeUpstream
let lenient: TestRouter
let strict: TestRouter

const completion = {
  id: "c",
  object: "chat.completion",
  created: 1,
  model: "gpt-4o-mini",
  choices: [
    { index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop", logprobs: null }
  ],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }
}

beforeAll(async () => {
  fake = await startFake(json(200, completion))
  const env = { OPENAI_BASE_URL: `${fake.url}/v1`, OPENAI_API_KEY: "sk" }
  lenient = await startRouter({ env })
  strict = await startRouter({ env, settings: { strict: true } })
})

afterAll(async () => {
  await lenient.close()
  await strict.close()
  await fake.close()
})

const withTopK = (router: TestRouter) =>
  fetch(`${router.url}/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": TEST_KEY, "content-type": "application/json" },
    body: JSON.stringify({
      model: "gpt-4o-mini",
      max_tokens: 10,
      top_k: 5,
      messages: [{ role: "user", content: "hi" }]
    })
  })

describe("fields an upstream cannot carry", () => {
  it("are dropped and listed by default", async () => {
    const res = await withTopK(lenient)
    expect(res.status).toBe(200)
    expect(res.headers.get("x-switchyard-dropped")).toContain("top_k")
    expect(JSON.parse(fake.received.at(-1)!.body).top_k).toBeUndefined()
    const event = (await lenient.events()).find((e) => e.requestId === res.headers.get("x-request-id"))
    expect(event?.droppedFields).toContain("top_k")
  })

  it("are refused with a 400 naming them in strict mode", async () => {
    const before = fake.received.length
    const res = await withTopK(strict)
    expect(res.status).toBe(400)
    const body = await res.json()
    expect(body).toMatchObject({ type: "error", error: { type: "invalid_request_error" } })
    expect(body.error.message).toContain("top_k")
    expect(fake.received.length).toBe(before)
    const event = (await strict.events()).find((e) => e.requestId === res.headers.get("x-request-id"))
    expect(event).toMatchObject({ outcome: "invalid_request", status: 400 })
    expect(event?.droppedFields).toContain("top_k")
  })
})
