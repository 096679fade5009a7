/**
 * The fallback engine around real `fetch` calls to fault-injecting HTTP servers on 127.0.0.1:
 * connection resets, 500s, stalls and a body that outlives the total timeout. System timers with
 * short timeouts; the assertions are about what happened, never how long it took.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import * as CircuitBreaker from "../../src/reliability/CircuitBreaker.ts"
import * as Fallbacks from "../../src/reliability/Fallbacks.ts"
import * as RetryPolicy from "../../src/reliability/RetryPolicy.ts"

interface Upstream {
  readonly id: string
  readonly path: string
}

const hits = new Map<string, number>()
let server: Server
let base = ""

const chat = (res: ServerResponse, model: string) => {
  res.writeHead(200, { "content-type": "application/json" })
  res.end(JSON.stringify({ id: "chatcmpl-1", object: "chat.completion", model, choices: [] }))
}

const routes: Record<string, (req: IncomingMessage, res: ServerResponse, n: number) => void> = {
  "/ok": (_, res) => chat(res, "ok"),
  "/flaky": (_, res, n) => {
    if (n <= 2) {
      res.writeHead(500, { "content-type": "application/json" })
      res.end(JSON.stringify({ error: { message: "boom", type: "server_error" } }))
    } else chat(res, "flaky")
  },
  "/reset": (req) => req.socket.destroy(),
  "/stall": () => {},
  "/limited": (_, res) => {
    res.writeHead(429, { "retry-after": "120", "content-type": "application/json" })
    res.end(JSON.stringify({ error: { message: "slow down", type: "rate_limit_error" } }))
  },
  "/slow-stream": (_, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" })
    res.write('data: {"n":1}\n\n')
    const timer = setInterval(() => res.write('data: {"n":2}\n\n'), 20)
    res.on("close", () => clearInterval(timer))
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? "/"
    const n = (hits.get(path) ?? 0) + 1
    hits.set(path, n)
    routes[path]?.(req, res, n)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

const attempt: Fallbacks.Attempt<Upstream> = (upstream, { signal }) =>
  fetch(`${base}${upstream.path}`, { method: "POST", body: "{}", signal })

const policy = Schema.decodeSync(RetryPolicy.RetryPolicy)({ maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5 })
const up = (path: string): Upstream => ({ id: path, path })

describe("runWithFallbacks over HTTP", () => {
  it("500s are retried on the same upstream until it answers", async () => {
    const breaker = CircuitBreaker.make(CircuitBreaker.defaultConfig, Date.now)
    const answer = await Fallbacks.runWithFallbacks({ groups: [[up("/flaky")]], attempt, breaker, policy })
    expect(answer.response.status).toBe(200)
    expect(await answer.response.json()).toMatchObject({ model: "flaky" })
    answer.done()
    expect(answer.attempts.map((a) => a.status)).toEqual([500, 500, 200])
  })

  it("a connection reset is retried, then falls back to the next provider", async () => {
    const breaker = CircuitBreaker.make(CircuitBreaker.defaultConfig, Date.now)
    const before = hits.get("/reset") ?? 0
    const answer = await Fallbacks.runWithFallbacks({
      groups: [[up("/reset")], [up("/ok")]],
      attempt,
      breaker,
      policy
    })
    expect(answer.deployment.path).toBe("/ok")
    expect(await answer.response.json()).toMatchObject({ model: "ok" })
    answer.done()
    expect((hits.get("/reset") ?? 0) - before).toBe(3)
    expect(answer.attempts.map((a) => a.outcome)).toEqual([
      "connection_error",
      "connection_error",
      "connection_error",
      "answered"
    ])
  })

  it("a stalled upstream hits the first-byte timeout and the request moves on", async () => {
    const breaker = CircuitBreaker.make(CircuitBreaker.defaultConfig, Date.now)
    const answer = await Fallbacks.runWithFallbacks({
      groups: [[up("/stall")], [up("/ok")]],
      attempt,
      breaker,
      policy: { ...policy, maxRetries: 0 },
      // /stall never answers; /ok answers at once, but a loaded machine can take a while: 1 s.
      timeouts: { connectMs: 1000, firstByteMs: 1000, totalMs: 10_000 }
    })
    expect(answer.deployment.path).toBe("/ok")
    expect(answer.attempts[0]).toMatchObject({ deploymentId: "/stall", outcome: "timeout" })
    answer.done()
  })

  it("a long Retry-After with nowhere else to go passes the upstream's 429 through", async () => {
    const breaker = CircuitBreaker.make(CircuitBreaker.defaultConfig, Date.now)
    const answer = await Fallbacks.runWithFallbacks({ groups: [[up("/limited")]], attempt, breaker, policy })
    expect(answer.exhausted).toBe(true)
    expect(answer.response.status).toBe(429)
    expect(answer.response.headers.get("retry-after")).toBe("120")
    expect(await answer.response.json()).toMatchObject({ error: { type: "rate_limit_error" } })
    answer.done()
  })

  it("the total timeout cuts a stream in progress: the body errors, nothing is retried", async () => {
    const breaker = CircuitBreaker.make(CircuitBreaker.defaultConfig, Date.now)
    const before = hits.get("/slow-stream") ?? 0
    const okBefore = hits.get("/ok") ?? 0
    const answer = await Fallbacks.runWithFallbacks({
      groups: [[up("/slow-stream")], [up("/ok")]],
      attempt,
      breaker,
      policy,
      timeouts: { connectMs: 1000, firstByteMs: 1000, totalMs: 300 }
    })
    expect(answer.response.status).toBe(200)
    const reader = answer.response.body!.getReader()
    const decoder = new TextDecoder()
    let text = ""
    const error = await (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read()
          if (done) return undefined
          text += decoder.decode(value)
        }
      } catch (cause) {
        return cause
      }
    })()
    expect(error).toBeDefined()
    expect(text.startsWith('data: {"n":1}')).toBe(true)
    expect((hits.get("/slow-stream") ?? 0) - before).toBe(1)
    expect(hits.get("/ok") ?? 0).toBe(okBefore)
    answer.done()
  })
})
