/**
 * Retries, fallbacks, timeouts and circuit breaking over real HTTP, with fault-injecting fake
 * upstreams and the engine on manual timers: time moves only when the test advances it, so
 * `Retry-After`, backoff, timeouts and cooldowns are asserted by counting attempts, not by clocks.
 */
import type * as http from "node:http"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { RoutingConfig, Timers } from "@switchyard/router-core"
import { Schema } from "effect"
import { type FakeUpstream, json, type Received, startFake } from "./FakeUpstream.ts"
import { chat, type Running, start } from "./ReliabilityHarness.ts"

const timers = Timers.manual(Date.now())
let openai: FakeUpstream
let anthropic: FakeUpstream
let router: Running
/** Per upstream model: how it answers. */
const behaviour = new Map<string, (req: Received, res: http.ServerResponse) => void>()

const completion = (model: string, content = "ok") => ({
  id: "c1",
  object: "chat.completion",
  created: 1,
  model,
  choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 }
})

const modelOf = (req: Received) => (JSON.parse(req.body) as { model: string }).model
const hits = (model: string) => openai.received.filter((r) => modelOf(r) === model).length

const realSleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Waits (in real time, briefly) until `condition` holds. */
const until = async (condition: () => boolean) => {
  for (let i = 0; i < 500 && !condition(); i++) await realSleep(5)
  expect(condition()).toBe(true)
}

/** Moves the engine's time in `step`s until `pending` settles. */
const drive = async <A>(pending: Promise<A>, step: number): Promise<A> => {
  let done = false
  const watched = pending.finally(() => {
    done = true
  })
  for (let i = 0; i < 400 && !done; i++) {
    await realSleep(3)
    if (!done) await timers.advance(step)
  }
  return watched
}

beforeAll(async () => {
  openai = await startFake((req, res) => {
    const answer = behaviour.get(modelOf(req))
    if (answer === undefined) return json(404, { error: { message: "unknown model" } })(req, res)
    answer(req, res)
  })
  anthropic = await startFake(
    json(200, {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "claude-fallback",
      content: [{ type: "text", text: "from anthropic" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 3, output_tokens: 2 }
    })
  )
  router = await start({
    timers,
    env: {
      OPENAI_BASE_URL: `${openai.url}/v1`,
      OPENAI_API_KEY: "sk-platform",
      ANTHROPIC_BASE_URL: anthropic.url,
      ANTHROPIC_API_KEY: "sk-ant-platform"
    },
    routing: Schema.decodeUnknownSync(RoutingConfig.RoutingConfigFile)({
      aliases: {
        failover: {
          deployments: [{ provider: "openai", model: "m-500" }],
          fallbacks: ["anthropic/claude-fallback"]
        },
        cooled: { deployments: [{ provider: "openai", model: "m-cool" }], fallbacks: ["openai/m-backup"] }
      },
      retry: { maxRetries: 2, baseDelayMs: 100, maxDelayMs: 100 },
      timeouts: { firstByteMs: 5000, totalMs: 600_000 },
      circuitBreaker: { failureThreshold: 3, cooldownMs: 10_000 }
    })
  })
})

afterAll(async () => {
  await router.close()
  await openai.close()
  await anthropic.close()
})

const ask = (model: string, extra: Record<string, unknown> = {}) =>
  chat(router.url, { model, messages: [{ role: "user", content: "hi" }], ...extra })

describe("retries", () => {
  it("retries a 429 after its Retry-After, not before", async () => {
    let calls = 0
    behaviour.set("m-429", (req, res) => {
      calls++
      if (calls === 1) {
        res.writeHead(429, { "content-type": "application/json", "retry-after": "3" })
        res.end(JSON.stringify({ error: { message: "slow down", type: "rate_limit_error" } }))
      } else json(200, completion("m-429"))(req, res)
    })
    const pending = ask("openai/m-429")
    await until(() => hits("m-429") === 1)
    await timers.advance(2999)
    await realSleep(50)
    expect(hits("m-429")).toBe(1)
    await timers.advance(1)
    await until(() => hits("m-429") === 2)
    const res = await pending
    expect(res.status).toBe(200)
    expect((await res.json()).choices[0].message.content).toBe("ok")
  })

  it("retries 500s, then fails over to the Anthropic fallback, translated, with its headers", async () => {
    behaviour.set("m-500", json(500, { error: { message: "boom", type: "server_error" } }))
    const before = (await router.events()).length
    const res = await drive(ask("failover"), 100)
    expect(res.status).toBe(200)
    expect(hits("m-500")).toBe(3)
    expect(res.headers.get("x-switchyard-provider")).toBe("anthropic")
    expect(res.headers.get("x-switchyard-model")).toBe("claude-fallback")
    const body = await res.json()
    expect(body.object).toBe("chat.completion")
    expect(body.choices[0].message.content).toBe("from anthropic")
    expect(anthropic.received.at(-1)!.url).toBe("/v1/messages")
    const events = await router.waitForEvents(before + 1)
    expect(events.length).toBe(before + 1)
    expect(events.at(-1)).toMatchObject({
      provider: "anthropic",
      upstreamModel: "claude-fallback",
      outcome: "success"
    })
  })

  it("a connection reset mid-stream ends the client's stream with an error event, one usage event, no retry", async () => {
    behaviour.set("m-break", (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" })
      const chunk = {
        id: "c",
        object: "chat.completion.chunk",
        created: 1,
        model: "m-break",
        choices: [{ index: 0, delta: { content: "partial" }, finish_reason: null }]
      }
      res.write(`data: ${JSON.stringify(chunk)}\n\n`)
      setTimeout(() => res.socket?.destroy(), 20)
    })
    const before = (await router.events()).length
    const res = await ask("openai/m-break", { stream: true })
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text).toContain("partial")
    expect(text).toContain('"error"')
    const events = await router.waitForEvents(before + 1)
    await realSleep(50)
    expect((await router.events()).length).toBe(before + 1)
    expect(events.at(-1)).toMatchObject({ outcome: "provider_error", upstreamModel: "m-break" })
    expect(hits("m-break")).toBe(1)
  })

  it("a stalled first byte times out (retried, then 504)", async () => {
    behaviour.set("m-stall", () => {})
    const before = (await router.events()).length
    const res = await drive(ask("openai/m-stall"), 1000)
    expect(res.status).toBe(504)
    expect((await res.json()).error.code).toBe("upstream_timeout")
    expect(hits("m-stall")).toBe(3)
    const events = await router.waitForEvents(before + 1)
    expect(events.at(-1)).toMatchObject({ outcome: "timeout", status: 504 })
  })
})

describe("circuit breaker", () => {
  it("a cooled-down deployment gets no traffic until its probe succeeds", async () => {
    behaviour.set("m-cool", json(500, { error: { message: "down" } }))
    behaviour.set("m-backup", json(200, completion("m-backup", "backup")))
    // Three failures in a row (first try + 2 retries) cool m-cool down; the fallback answers.
    const first = await drive(ask("cooled"), 100)
    expect(first.headers.get("x-switchyard-model")).toBe("m-backup")
    expect(hits("m-cool")).toBe(3)
    // Repaired, but cooling down: no traffic at all.
    behaviour.set("m-cool", json(200, completion("m-cool", "cool")))
    for (let i = 0; i < 3; i++) {
      const res = await ask("cooled")
      expect(res.headers.get("x-switchyard-model")).toBe("m-backup")
      await res.arrayBuffer()
    }
    expect(hits("m-cool")).toBe(3)
    // After the cooldown one probe goes through; it succeeds and closes the breaker.
    await timers.advance(10_000)
    const probe = await ask("cooled")
    expect(probe.headers.get("x-switchyard-model")).toBe("m-cool")
    expect((await probe.json()).choices[0].message.content).toBe("cool")
    expect(hits("m-cool")).toBe(4)
    const after = await ask("cooled")
    expect(after.headers.get("x-switchyard-model")).toBe("m-cool")
    expect(hits("m-cool")).toBe(5)
  })
})
