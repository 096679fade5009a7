/**
 * One tenant cannot open the circuit breaker for everyone. Breakers are keyed by the credential
 * too (a user's own key has a breaker of its own), and only failures that say something about the
 * provider count: not a 429 on the user's own key, not a body we refuse (100 000 levels deep), not
 * a stored key that cannot be sent. Tenant A does all of that, repeatedly; tenant B, on the same
 * model, is still answered.
 */

import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { RoutingConfig } from "@switchyard/router-core"
import { Schema } from "effect"
import { type FakeUpstream, startFake } from "./FakeUpstream.ts"
import { secret, startRouter, type TestRouter } from "./Harness.ts"

let fake: FakeUpstream
let router: TestRouter

const ok = {
  id: "c",
  object: "chat.completion",
  created: 1,
  model: "gpt-4o-mini",
  choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }
}

beforeAll(async () => {
  fake = await startFake((req, res) => {
    const auth = req.headers.authorization
    if (auth === "Bearer sk-a-exhausted") {
      res.writeHead(429, { "content-type": "application/json" })
      res.end(
        JSON.stringify({ error: { message: "You exceeded your current quota", type: "insufficient_quota" } })
      )
      return
    }
    if (auth === "Bearer sk-c-broken") {
      res.writeHead(500, { "content-type": "text/html" })
      res.end("<html><body>Internal Server Error</body></html>")
      return
    }
    res.writeHead(200, { "content-type": "application/json" })
    res.end(JSON.stringify(ok))
  })
  const base = `${fake.url}/v1`
  router = await startRouter({
    callers: new Map([
      ["ef_a", { userId: "a", apiKeyId: "ka" }],
      ["ef_b", { userId: "b", apiKeyId: "kb" }],
      ["ef_c", { userId: "c", apiKeyId: "kc" }],
      ["ef_d", { userId: "d", apiKeyId: "kd" }]
    ]),
    secrets: new Map([
      ["a/openai", secret("sk-a-exhausted")],
      ["b/openai", secret("sk-b-fine")],
      ["c/openai", secret("sk-c-broken")],
      ["d/openai", secret("sk-d\r\nx-injected: 1")]
    ]),
    env: { OPENAI_BASE_URL: base },
    routing: Schema.decodeUnknownSync(RoutingConfig.RoutingConfigFile)({ retry: { maxRetries: 0 } })
  })
})
afterAll(async () => {
  await router.close()
  await fake.close()
})

const send = (key: string, body: string) =>
  fetch(`${router.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body
  })

const chat = (key: string) =>
  send(key, JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }))

describe("circuit breakers and tenants", () => {
  it("tenant A's exhausted key (429) never puts tenant B in cooling down", async () => {
    for (let i = 0; i < 12; i++) {
      const res = await chat("ef_a")
      expect(res.status).toBe(429)
      await res.arrayBuffer()
    }
    const b = await chat("ef_b")
    expect(b.status).toBe(200)
  })

  it("a 100 000-deep body is a 400 from parsing, and counts against no breaker", async () => {
    const deep = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"x":${"[".repeat(100_000)}${"]".repeat(100_000)}}`
    for (let i = 0; i < 8; i++) {
      const res = await send("ef_a", deep)
      expect(res.status).toBe(400)
      expect((await res.json()).error.type).toBe("invalid_request_error")
    }
    expect((await chat("ef_b")).status).toBe(200)
  })

  it("a stored key that cannot be sent in a header is the user's 400, not a provider failure", async () => {
    for (let i = 0; i < 8; i++) {
      const res = await chat("ef_d")
      expect(res.status).toBe(400)
      const body = await res.json()
      expect(body.error.message).toContain("stored openai key")
      expect(JSON.stringify(body)).not.toContain("sk-d")
    }
    expect((await chat("ef_b")).status).toBe(200)
  })

  it("tenant C's key answered by 5xx cools down C's own breaker only; the HTML is not echoed", async () => {
    for (let i = 0; i < 5; i++) {
      const res = await chat("ef_c")
      expect(res.status).toBe(502)
      const text = await res.text()
      expect(text).not.toContain("<html>")
      expect(JSON.parse(text).error.message).toMatch(/OpenAI.*status 500/)
    }
    // After five failures C's deployment cools down: C is told so, without an upstream call.
    const before = fake.received.length
    const cooled = await chat("ef_c")
    expect(cooled.status).toBe(503)
    expect((await cooled.json()).error.code).toBe("upstream_cooling_down")
    expect(fake.received.length).toBe(before)
    expect((await chat("ef_b")).status).toBe(200)
  })
})
