/**
 * Every bad input and upstream fault, with the status, the client-format body and exactly one
 * usage event for each authenticated request.
 */
import { gzipSync } from "node:zlib"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Routing } from "@switchyard/router-core"
import { type FakeUpstream, json, type Script, sseText, startFake } from "./FakeUpstream.ts"
import { secret, startRouter, TEST_KEY, type TestRouter } from "./Harness.ts"

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
    settings: { maxBodyBytes: 64 * 1024, upstreamTimeoutMs: 300, upstreamMaxBodyBytes: 256 * 1024 }
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

  it("answers 502 to an upstream answer larger than UPSTREAM_MAX_BODY_BYTES, without reading it all", async () => {
    // A user's own base URL may point at any server: one that answers without end must not make
    // the router hold it all. Declared or not (chunked), past the limit it is cut.
    const sentBytes: Array<number> = []
    const endless =
      (declared: boolean): Script =>
      (_req, res) => {
        const piece = Buffer.alloc(64 * 1024, "x")
        res.writeHead(200, {
          "content-type": "application/json",
          ...(declared ? { "content-length": String(64 * 1024 * 1024) } : {})
        })
        let sent = 0
        const more = () => {
          while (sent < 64 * 1024 * 1024 && !res.destroyed) {
            sent += piece.length
            if (!res.write(piece)) return res.once("drain", more)
          }
          sentBytes.push(sent)
          res.end()
        }
        res.on("close", () => sentBytes.push(sent))
        more()
      }
    for (const declared of [false, true]) {
      fake.script = endless(declared)
      for (const [path, body] of [
        ["/v1/chat/completions", hello],
        ["/v1/embeddings", { model: "text-embedding-3-small", input: "hi" }]
      ] as const) {
        const event = await oneEvent(async () => {
          const res = await post(path, JSON.stringify(body))
          expect(res.status).toBe(502)
          expect((await res.json()).error).toMatchObject({ code: "upstream_too_large" })
        })
        expect(event).toMatchObject({ outcome: "provider_error", status: 502 })
      }
    }
    // The router stopped reading long before the 64 MiB were sent.
    expect(Math.min(...sentBytes)).toBeLessThan(64 * 1024 * 1024)
    // A small declared length is not a small answer when it is compressed: 8 MiB inflated from a
    // few kilobytes is cut all the same.
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024, "x"))
    expect(bomb.length).toBeLessThan(256 * 1024)
    fake.script = (_req, res) => {
      res.writeHead(200, {
        "content-type": "application/json",
        "content-encoding": "gzip",
        "content-length": String(bomb.length)
      })
      res.end(bomb)
    }
    const res = await chat(hello)
    expect(res.status).toBe(502)
    expect((await res.json()).error).toMatchObject({ code: "upstream_too_large" })
  })

  it("breaks a stream whose upstream never ends its event, instead of holding it all", async () => {
    // One SSE line without end: every parser would buffer it until the process ran out of memory.
    const endless: Script = (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" })
      res.write(
        'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"'
      )
      const piece = "x".repeat(256 * 1024)
      let sent = 0
      const more = () => {
        // Up to 64 MiB, well past the 16 Mi characters an event may hold.
        while (sent < 256 && !res.destroyed) {
          sent++
          if (!res.write(piece)) return res.once("drain", more)
        }
      }
      more()
    }
    fake.script = endless
    // Translated: nothing reached the client yet, so a 502. Passed through: the bytes went on as
    // they came, so the stream ends with an error event.
    for (const [body, streamed] of [
      [{ ...hello, stream: true }, false],
      [{ ...hello, stream: true, stream_options: { include_usage: true } }, true]
    ] as const) {
      const event = await oneEvent(async () => {
        const res = await chat(body)
        expect(res.status).toBe(streamed ? 200 : 502)
        const text = await res.text()
        if (streamed) expect(text.trimEnd().split("\n").at(-1)).toMatch(/^data: \{"error":\{/)
        expect(text).toContain("longer than 16777216 characters")
        // The router hung up on the upstream rather than reading on.
        await fake.received.at(-1)!.aborted
      })
      expect(event).toMatchObject({ outcome: "provider_error", status: 502, stream: true })
    }
  }, 60_000)

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

  it("ends an untouched stream the upstream closed cleanly before its end with an error event", async () => {
    // The connection ends properly (chunked terminator), but the stream's own end never came.
    const cut =
      (events: ReadonlyArray<{ event?: string; data: unknown }>, partial = "") =>
      (_req: unknown, res: import("node:http").ServerResponse) => {
        res.writeHead(200, { "content-type": "text/event-stream" })
        res.end(sseText(events, { done: false }) + partial)
      }
    const cases = [
      {
        path: "/v1/chat/completions",
        body: { ...hello, stream: true, stream_options: { include_usage: true } },
        script: cut(
          [
            {
              data: {
                id: "c",
                object: "chat.completion.chunk",
                created: 1,
                model: "gpt-4o-mini",
                choices: [{ index: 0, delta: { content: "par" }, finish_reason: null }]
              }
            }
            // Broken off mid-event: the error event must still be an event of its own.
          ],
          'data: {"id":"c","obj'
        )
      },
      {
        path: "/v1/messages",
        body: { model: "claude-3-5-haiku-latest", max_tokens: 5, stream: true, messages: hello.messages },
        script: cut([
          {
            event: "message_start",
            data: {
              type: "message_start",
              message: {
                id: "msg_1",
                type: "message",
                role: "assistant",
                model: "claude-3-5-haiku-latest",
                content: [],
                stop_reason: null,
                stop_sequence: null,
                usage: { input_tokens: 3, output_tokens: 1 }
              }
            }
          },
          {
            event: "content_block_start",
            data: { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }
          },
          {
            event: "content_block_delta",
            data: { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "par" } }
          }
        ])
      },
      {
        path: "/v1/responses",
        body: { model: "gpt-4o-mini", stream: true, input: "hi" },
        // Not even an SSE event: what a broken proxy in between might answer.
        script: (_req: unknown, res: import("node:http").ServerResponse) => {
          res.writeHead(200, { "content-type": "text/event-stream" })
          res.end("<html>Bad gateway</html>")
        }
      }
    ]
    const keyed = await startRouter({
      env: {
        OPENAI_BASE_URL: `${fake.url}/v1`,
        OPENAI_API_KEY: "sk-platform",
        ANTHROPIC_BASE_URL: fake.url,
        ANTHROPIC_API_KEY: "sk-ant-platform"
      }
    })
    try {
      for (const [i, { path, body, script }] of cases.entries()) {
        fake.script = script
        const res = await fetch(`${keyed.url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${TEST_KEY}` },
          body: JSON.stringify(body)
        })
        expect(res.status).toBe(200)
        const lines = (await res.text()).trim().split("\n")
        // OpenAI's `{"error":…}`, Anthropic's and the Responses API's `{"type":"error",…}`.
        expect(lines.at(-1)).toMatch(/^data: \{"(error"|type":"error")/)
        const events = await keyed.waitForEvents(i + 1)
        expect(events.at(-1)).toMatchObject({ outcome: "provider_error", status: 502, stream: true })
      }
      // Seed 003's `/api/chat` stream says so too, before its `[DONE]`.
      fake.script = cases[0]!.script
      const seed = await fetch(`${keyed.url}/api/chat`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${TEST_KEY}` },
        body: JSON.stringify({ model: "gpt-4o-mini", stream: true, messages: hello.messages })
      })
      const seedEvents = (await seed.text()).trim().split("\n\n")
      expect(seedEvents.slice(-3)).toEqual([
        'data: {"content":"par"}',
        expect.stringMatching(/^data: \{"error":\{/),
        "data: [DONE]"
      ])
    } finally {
      await keyed.close()
    }
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

  it("never passes on the platform key an upstream echoes in its error", async () => {
    // Some servers quote the key in their errors; a 4xx error body goes on to the client. (A
    // refused key, 401/403, is answered 424 without the provider's message at all.)
    fake.script = (req, res) => {
      const key = req.headers.authorization ?? req.headers["x-api-key"]
      res.writeHead(400, { "content-type": "application/json" })
      res.end(JSON.stringify({ error: { message: `Invalid key: ${key}`, type: "invalid_request_error" } }))
    }
    const keyed = await startRouter({
      env: {
        OPENAI_BASE_URL: `${fake.url}/v1`,
        OPENAI_API_KEY: "sk-platform-0123456789",
        ANTHROPIC_BASE_URL: fake.url,
        ANTHROPIC_API_KEY: "sk-ant-platform-0123456789"
      },
      // The other user's own key: not to be echoed back either.
      secrets: new Map([["u2/openai", secret("sk-own-0123456789")]])
    })
    const send = async (path: string, body: unknown, key = TEST_KEY) => {
      const res = await fetch(`${keyed.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify(body)
      })
      return { status: res.status, text: await res.text() }
    }
    const bodies = [
      await send("/v1/chat/completions", hello),
      await send("/v1/chat/completions", { ...hello, model: "claude-3-5-haiku-latest" }),
      await send("/v1/messages", { model: "gpt-4o-mini", max_tokens: 5, messages: hello.messages }),
      await send("/v1/responses", { model: "claude-3-5-haiku-latest", input: "hi" }),
      await send("/v1/responses", { model: "gpt-4o-mini", input: "hi" }),
      await send("/v1/embeddings", { model: "text-embedding-3-small", input: "hi" }),
      await send("/v1/messages/count_tokens", { model: "claude-3-5-haiku-latest", messages: hello.messages }),
      await send("/v1/chat/completions", hello, "ef_other_key")
    ]
    await keyed.close()
    expect(fake.received.at(-1)?.headers.authorization).toBe("Bearer sk-own-0123456789")
    expect(bodies.map((res) => res.status)).toEqual([400, 400, 400, 400, 400, 400, 400, 400])
    for (const { text } of bodies) {
      expect(text).toContain("Invalid key")
      expect(text).not.toContain("0123456789")
    }
  })

  it("records an embeddings call the client left before the upstream answered as client_abort", async () => {
    let arrived: () => void = () => undefined
    const waiting = new Promise<void>((resolve) => {
      arrived = resolve
    })
    // Answers nothing: the client gives up first.
    fake.script = () => arrived()
    const event = await oneEvent(async () => {
      const controller = new AbortController()
      const res = fetch(`${router.url}/v1/embeddings`, {
        method: "POST",
        headers: { authorization: `Bearer ${TEST_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "text-embedding-3-small", input: "hi" }),
        signal: controller.signal
      })
      await waiting
      controller.abort()
      await res.catch(() => undefined)
      await fake.received.at(-1)!.aborted
    })
    expect(event).toMatchObject({ outcome: "client_abort", status: 499 })
  })

  it("answers unknown routes with a JSON 404", async () => {
    const res = await fetch(`${router.url}/nope`)
    expect(res.status).toBe(404)
    expect((await res.json()).error.type).toBe("not_found_error")
  })
})
