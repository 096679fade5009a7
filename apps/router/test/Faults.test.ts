/**
 * Every bad input and upstream fault, with the status, the client-format body and exactly one
 * usage event for each authenticated request.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Routing } from "@switchyard/router-core"
import { type FakeUpstream, json, sseText, startFake } from "./FakeUpstream.ts"
import { startRouter, TEST_KEY, type TestRouter } from "./Harness.ts"

let fake: FakeUpstream
let router: TestRouter

beforeAll(async () => {
  fake = await startFake(json(200, {}))
  router = await startRouter({
    env: {
      OPENAI_BASE_URL: `${fake.url}/v1`,
      OPENAI_API_KEY: "sk-platform",
      ANTHROPIC_BASE_URL: fake.url
    },
    settings: { maxBodyBytes: 64 * 1024, upstreamTimeoutMs: 300 }
  })
})

afterAll(async () => {
  await router.close()
  await fake.close()
})

const post = (
  path: string,
  body: string,
  headers: Record<string, string> = { authorization: `Bearer ${TEST_KEY}` }
) =>
  fetch(`${router.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body
  })

const chat = (body: unknown) => post("/v1/chat/completions", JSON.stringify(body))

const hello = { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }

/** Runs `act` and returns the one event it recorded. */
const oneEvent = async (act: () => Promise<unknown>) => {
  const before = (await router.events()).length
  await act()
  const after = await router.waitForEvents(before + 1)
  // Give a stray second event the chance to show up.
  await new Promise((resolve) => setTimeout(resolve, 30))
  expect((await router.events()).length).toBe(before + 1)
  return after.at(-1)!
}

describe("authentication", () => {
  it("401 without a key, in each client's format", async () => {
    const openai = await post("/v1/chat/completions", JSON.stringify(hello), {})
    expect(openai.status).toBe(401)
    expect(await openai.json()).toMatchObject({ error: { type: "authentication_error" } })
    const anthropic = await post("/v1/messages", "{}", {})
    expect(anthropic.status).toBe(401)
    expect(await anthropic.json()).toMatchObject({ type: "error", error: { type: "authentication_error" } })
  })

  it("401 with an unknown key, records nothing", async () => {
    const before = (await router.events()).length
    const res = await post("/v1/chat/completions", JSON.stringify(hello), { authorization: "Bearer ef_nope" })
    expect(res.status).toBe(401)
    expect((await router.events()).length).toBe(before)
  })

  it("accepts x-api-key", async () => {
    fake.script = json(200, { id: "x", object: "chat.completion", created: 1, model: "m", choices: [] })
    const res = await post("/v1/chat/completions", JSON.stringify(hello), { "x-api-key": TEST_KEY })
    expect(res.status).toBe(200)
  })
})

describe("bad input", () => {
  it("400 for invalid JSON", async () => {
    const event = await oneEvent(async () => {
      const res = await post("/v1/chat/completions", "{not json")
      expect(res.status).toBe(400)
      const body = await res.json()
      expect(body.error.type).toBe("invalid_request_error")
      expect(body.error.message).toContain("not valid JSON")
    })
    expect(event).toMatchObject({ outcome: "invalid_request", status: 400, userId: "u1" })
  })

  it("400 naming the missing or ill-typed field", async () => {
    const missing = await chat({ model: "gpt-4o-mini" })
    expect(missing.status).toBe(400)
    expect((await missing.json()).error.param).toBe("messages")
    const typed = await chat({ model: "gpt-4o-mini", messages: [{ role: "user", content: 42 }] })
    expect(typed.status).toBe(400)
    expect((await typed.json()).error.param).toBe("messages[0].content")
    const noModel = await post("/v1/messages", JSON.stringify({ max_tokens: 5, messages: [] }))
    expect(noModel.status).toBe(400)
    expect((await noModel.json()).error.message).toContain("model")
  })

  it("an unknown model goes to OpenAI unchanged by default (seed 000's rule)", async () => {
    fake.script = json(200, {
      id: "c1",
      object: "chat.completion",
      created: 1,
      model: "llama-unknown",
      choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }
    })
    const event = await oneEvent(async () => {
      const res = await chat({ ...hello, model: "llama-unknown" })
      expect(res.status).toBe(200)
      expect(res.headers.get("x-switchyard-provider")).toBe("openai")
    })
    expect(JSON.parse(fake.received.at(-1)!.body).model).toBe("llama-unknown")
    expect(event).toMatchObject({ requestedModel: "llama-unknown", provider: "openai", status: 200 })
  })

  it("404 model_not_found for an unknown model with UNKNOWN_MODELS=refuse", async () => {
    const refusing = await startRouter({
      env: { OPENAI_BASE_URL: `${fake.url}/v1`, OPENAI_API_KEY: "sk-platform" },
      unknownModels: Routing.refuseUnknown
    })
    try {
      const before = fake.received.length
      const res = await fetch(`${refusing.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${TEST_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ ...hello, model: "llama-unknown" })
      })
      expect(res.status).toBe(404)
      expect((await res.json()).error).toMatchObject({ code: "model_not_found", param: "model" })
      const [event] = await refusing.waitForEvents(1)
      expect(event).toMatchObject({ requestedModel: "llama-unknown", status: 404, provider: null })
      expect(fake.received.length).toBe(before)
    } finally {
      await refusing.close()
    }
  })

  it("413 over the body limit, declared or not", async () => {
    const big = JSON.stringify({ ...hello, messages: [{ role: "user", content: "x".repeat(70 * 1024) }] })
    const res = await chat(JSON.parse(big))
    expect(res.status).toBe(413)
    expect((await res.json()).error.type).toBe("request_too_large")
    // Chunked upload without Content-Length.
    const chunked = await fetch(`${router.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_KEY}`, "content-type": "application/json" },
      body: new Blob([big]).stream(),
      duplex: "half"
    } as RequestInit)
    expect(chunked.status).toBe(413)
  })

  it("401 naming the provider when there is no key for it", async () => {
    const res = await chat({ ...hello, model: "claude-3-5-haiku-latest" })
    expect(res.status).toBe(401)
    expect((await res.json()).error).toMatchObject({
      type: "authentication_error",
      message: "No API key configured for provider: anthropic"
    })
  })
})

describe("upstream faults", () => {
  it("passes a 4xx through with the provider's message", async () => {
    const upstream = {
      error: {
        message: "Invalid 'temperature'",
        type: "invalid_request_error",
        param: "temperature",
        code: null
      }
    }
    fake.script = json(400, upstream)
    const event = await oneEvent(async () => {
      const res = await chat(hello)
      expect(res.status).toBe(400)
      expect(await res.json()).toEqual(upstream)
    })
    expect(event).toMatchObject({ outcome: "provider_error", status: 400 })
  })

  it("answers 502 for a 5xx", async () => {
    fake.script = json(503, { error: { message: "overloaded", type: "server_error" } })
    const event = await oneEvent(async () => {
      const res = await chat(hello)
      expect(res.status).toBe(502)
      const body = await res.json()
      expect(body.error.message).toContain("503")
      expect(body.error.message).toContain("overloaded")
    })
    expect(event).toMatchObject({ outcome: "provider_error", status: 502 })
  })

  it("answers 502 for a malformed answer", async () => {
    fake.script = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" })
      res.end("<html>oops</html>")
    }
    const res = await chat(hello)
    expect(res.status).toBe(502)
    expect((await res.json()).error.message).toContain("could not be read")
  })

  it("answers 502 when the upstream is unreachable", async () => {
    const dead = await startRouter({ env: { OPENAI_BASE_URL: "http://127.0.0.1:9/v1", OPENAI_API_KEY: "k" } })
    try {
      const res = await fetch(`${dead.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${TEST_KEY}`, "content-type": "application/json" },
        body: JSON.stringify(hello)
      })
      expect(res.status).toBe(502)
      expect((await res.json()).error.code).toBe("upstream_unreachable")
    } finally {
      await dead.close()
    }
  })

  it("answers 504 when the upstream does not answer in time", async () => {
    fake.script = () => {
      // Never answers.
    }
    const event = await oneEvent(async () => {
      const res = await chat(hello)
      expect(res.status).toBe(504)
      expect((await res.json()).error.type).toBe("timeout_error")
    })
    expect(event).toMatchObject({ outcome: "timeout", status: 504 })
    // The stalled upstream request was abandoned.
    await fake.received.at(-1)!.aborted
  })

  it("ends a stream that breaks mid-way with an error event", async () => {
    fake.script = (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" })
      res.write(
        sseText(
          [
            {
              data: {
                id: "c",
                object: "chat.completion.chunk",
                created: 1,
                model: "m",
                choices: [{ index: 0, delta: { content: "par" }, finish_reason: null }]
              }
            }
          ],
          { done: false }
        )
      )
      setTimeout(() => res.destroy(), 30)
    }
    const event = await oneEvent(async () => {
      const res = await chat({ ...hello, stream: true, stream_options: { include_usage: true } })
      expect(res.status).toBe(200)
      const text = await res.text()
      expect(text).toContain('"par"')
      const last = text.trim().split("\n").at(-1)!
      expect(JSON.parse(last.slice("data: ".length)).error.type).toBe("api_error")
    })
    expect(event).toMatchObject({ outcome: "provider_error", stream: true })
  })

  it("aborts the upstream when the client disconnects mid-stream", async () => {
    fake.script = (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" })
      const tick = setInterval(() => {
        res.write(
          `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content: "." }, finish_reason: null }] })}\n\n`
        )
      }, 10)
      res.on("close", () => clearInterval(tick))
    }
    const event = await oneEvent(async () => {
      const controller = new AbortController()
      const res = await fetch(`${router.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${TEST_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ ...hello, stream: true, stream_options: { include_usage: true } }),
        signal: controller.signal
      })
      const reader = res.body!.getReader()
      await reader.read()
      controller.abort()
      await fake.received.at(-1)!.aborted
    })
    expect(event).toMatchObject({ outcome: "client_abort", stream: true })
  })

  it("answers unknown routes with a JSON 404", async () => {
    const res = await fetch(`${router.url}/nope`)
    expect(res.status).toBe(404)
    expect((await res.json()).error.type).toBe("not_found_error")
  })
})
