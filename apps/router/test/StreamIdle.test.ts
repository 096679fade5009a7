/**
 * A streaming upstream that goes silent: within `UPSTREAM_IDLE_TIMEOUT_MS` the pause is carried
 * through; past it, we cut the stream, the client gets an error event in its own format (OpenAI
 * SSE error chunk, Anthropic `event: error`), and the usage event says why (504,
 * `upstream_idle_timeout`).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type FakeUpstream, sseText, startFake } from "./FakeUpstream.ts"
import { startRouter, TEST_KEY, type TestRouter } from "./Harness.ts"

const chunk = (content: string) => ({
  id: "c",
  object: "chat.completion.chunk",
  created: 1,
  model: "gpt-4o-mini",
  choices: [{ index: 0, delta: { content }, finish_reason: null }]
})

/** Writes the first event, pauses `pauseMs`, then finishes the stream. */
const pausing = (pauseMs: number) => async (_req: unknown, res: import("node:http").ServerResponse) => {
  res.writeHead(200, { "content-type": "text/event-stream" })
  res.write(sseText([{ data: chunk("Hello") }], { done: false }))
  await new Promise((resolve) => setTimeout(resolve, pauseMs))
  if (res.destroyed) return
  res.end(sseText([{ data: chunk(" world") }]))
}

let fake: FakeUpstream
let router: TestRouter
beforeAll(async () => {
  fake = await startFake(pausing(2_000))
  router = await startRouter({
    env: { OPENAI_BASE_URL: `${fake.url}/v1`, OPENAI_API_KEY: "sk-platform" },
    settings: { upstreamIdleTimeoutMs: 300 }
  })
})
afterAll(async () => {
  await router.close()
  await fake.close()
})

const stream = (path: string, body: Record<string, unknown>) =>
  fetch(`${router.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({
      model: "gpt-4o-mini",
      stream: true,
      messages: [{ role: "user", content: "hi" }],
      ...body
    })
  })

describe("streams that go silent", () => {
  it("OpenAI client: an error chunk after what was sent, and the ledger says why", async () => {
    const res = await stream("/v1/chat/completions", { stream_options: { include_usage: true } })
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text).toContain("Hello")
    expect(text).not.toContain(" world")
    const last = text
      .split(/\r?\n/)
      .filter((line) => line.startsWith("data: "))
      .at(-1)!
    const error = JSON.parse(last.slice("data: ".length)) as { error: { code: string; message: string } }
    expect(error.error.code).toBe("upstream_idle_timeout")
    expect(error.error.message).toContain("300 ms")
    const events = await router.waitForEvents(1)
    expect(events.at(-1)).toMatchObject({
      status: 504,
      outcome: "timeout",
      errorType: "upstream_idle_timeout"
    })
  })

  it("Anthropic client: `event: error` in Anthropic's format", async () => {
    const res = await stream("/v1/messages", { max_tokens: 50 })
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text).toContain("Hello")
    expect(text).toMatch(
      /event: error\r?\ndata: \{"type":"error","error":\{"type":"(api_error|timeout_error)"/
    )
    const events = await router.waitForEvents(2)
    expect(events.at(-1)).toMatchObject({ status: 504, errorType: "upstream_idle_timeout" })
  })

  it("a pause shorter than the setting is carried through to the end", async () => {
    fake.script = pausing(100)
    const res = await stream("/v1/chat/completions", {})
    const text = await res.text()
    expect(text).toContain("Hello")
    expect(text).toContain(" world")
    expect(text).toContain("[DONE]")
    fake.script = pausing(2_000)
  })
})
