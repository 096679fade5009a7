/**
 * Seed 003's desktop client, written from the seed's README alone (its paths, bodies, headers and
 * settings), against a started router and control plane: register → login → me → chat → stream on
 * ONE base URL (the router's), with the seed's settings (`OPENAI_MODEL`, `AI_PROVIDER`,
 * `AI_BASE_URL`, `AI_API_KEY`, `HOST`, its example password `test123` accepted through
 * `PASSWORD_MIN_LENGTH`) and a fake vLLM on loopback as the platform's model server. The accounts
 * and tokens are the control plane's: a token from either works on both.
 */
import * as http from "node:http"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type FakeUpstream, type Received, startFake } from "./FakeUpstream.ts"
import { type SeedStack, startSeedStack } from "./SeedStack.ts"

let vllm: FakeUpstream
let stack: SeedStack
let base: string

/** The fake vLLM: OpenAI's chat completions, streamed or not, answering with the model it was asked. */
const vllmScript = (request: Received, response: import("node:http").ServerResponse) => {
  const body = JSON.parse(request.body || "{}") as { model?: string; stream?: boolean }
  const model = body.model ?? "?"
  if (body.stream) {
    response.writeHead(200, { "content-type": "text/event-stream" })
    const chunk = (delta: Record<string, unknown>, finish: string | null) =>
      `data: ${JSON.stringify({ id: "cmpl-v", object: "chat.completion.chunk", created: 1, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`
    response.write(chunk({ role: "assistant", content: "Once" }, null))
    response.write(chunk({ content: " upon" }, null))
    response.write(chunk({ content: " a time" }, "stop"))
    response.write(
      `data: ${JSON.stringify({ id: "cmpl-v", object: "chat.completion.chunk", created: 1, model, choices: [], usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 } })}\n\n`
    )
    response.end("data: [DONE]\n\n")
    return
  }
  response.writeHead(200, { "content-type": "application/json" })
  response.end(
    JSON.stringify({
      id: "cmpl-v",
      object: "chat.completion",
      created: 1,
      model,
      choices: [
        { index: 0, message: { role: "assistant", content: "Hello! I'm doing well." }, finish_reason: "stop" }
      ],
      usage: { prompt_tokens: 9, completion_tokens: 5, total_tokens: 14 }
    })
  )
}

beforeAll(async () => {
  vllm = await startFake(vllmScript)
  stack = await startSeedStack({
    shared: {
      VAULT_TOKEN_KEY: Buffer.alloc(32, 3).toString("base64"),
      // Seed 003's `.env`, as its README writes it (JWT_SECRET is its own; Switchyard signs its
      // tokens with BETTER_AUTH_SECRET and ignores it).
      JWT_SECRET: "your-secret-key-change-this-in-production-min-32-chars",
      OPENAI_MODEL: "served-llama",
      AI_PROVIDER: "openai-compatible",
      AI_BASE_URL: `${vllm.url}/v1`,
      AI_API_KEY: "vllm-token",
      // README: "to accept seed 003's example password test123, set PASSWORD_MIN_LENGTH=7 or less".
      PASSWORD_MIN_LENGTH: "6"
    }
  })
  base = stack.routerUrl
}, 300_000)

afterAll(async () => {
  await stack?.stop()
  await vllm?.close()
})

const json = (method: string, path: string, body?: unknown, token?: string, on = base) =>
  fetch(`${on}${path}`, {
    method,
    headers: {
      "Content-Type": "application/json",
      ...(token === undefined ? {} : { Authorization: `Bearer ${token}` })
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })

describe("seed 003's desktop client on one base URL", () => {
  let token: string

  it("registers, logs in and reads its account with the seed's example credentials", async () => {
    const registered = await json("POST", "/auth/register", {
      email: "test@example.com",
      password: "test123"
    })
    expect(registered.status, stack.logs()).toBe(200)

    const login = await json("POST", "/auth/login", { email: "test@example.com", password: "test123" })
    expect(login.status).toBe(200)
    const answer = (await login.json()) as { access_token: string; token_type: string }
    expect(answer.token_type).toBe("bearer")
    expect(answer.access_token.length).toBeGreaterThan(20)
    token = answer.access_token

    const me = await json("GET", "/auth/me", undefined, token)
    expect(me.status).toBe(200)
    expect(await me.json()).toMatchObject({ email: "test@example.com" })

    const wrong = await json("POST", "/auth/login", { email: "test@example.com", password: "nope123" })
    expect(wrong.status).toBe(401)
    expect((await json("GET", "/auth/me")).status).toBe(401)
  })

  it("chats (not streamed) on the same base URL: OPENAI_MODEL on the vLLM, OPENAI_TEMPERATURE's default", async () => {
    const before = vllm.received.length
    const response = await json(
      "POST",
      "/api/chat",
      { messages: [{ role: "user", content: "Hello!" }], stream: false },
      token
    )
    expect(response.status, stack.logs()).toBe(200)
    expect(await response.json()).toEqual({ content: "Hello! I'm doing well.", model: "served-llama" })
    expect(response.headers.get("x-ratelimit-limit-requests")).toBe("60")
    const sent = vllm.received[before]!
    expect(sent.url).toBe("/v1/chat/completions")
    expect(sent.headers.authorization).toBe("Bearer vllm-token")
    expect(JSON.parse(sent.body)).toMatchObject({
      model: "served-llama",
      temperature: 1,
      messages: [{ role: "user", content: "Hello!" }]
    })
  })

  it("streams as the seed's SSE: data: {content} lines, then data: [DONE]", async () => {
    const before = vllm.received.length
    const response = await json(
      "POST",
      "/api/chat",
      {
        messages: [{ role: "user", content: "Write a short story about AI" }],
        model: "gpt-4-turbo-preview",
        temperature: 0.7,
        stream: true
      },
      token
    )
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toContain("text/event-stream")
    const text = await response.text()
    const data = text
      .split("\n")
      .filter((line) => line.startsWith("data: "))
      .map((line) => line.slice(6))
    expect(data.at(-1)).toBe("[DONE]")
    expect(data.slice(0, -1).map((d) => JSON.parse(d))).toEqual([
      { content: "Once" },
      { content: " upon" },
      { content: " a time" }
    ])
    // Seed 003 sent every model to its one backend (AI_PROVIDER): so does /api/chat.
    expect(JSON.parse(vllm.received[before]!.body)).toMatchObject({
      model: "gpt-4-turbo-preview",
      temperature: 0.7,
      stream: true
    })
  })

  it("uses the control plane's accounts and tokens: each app accepts the other's", async () => {
    const fromControlPlane = await json(
      "POST",
      "/auth/login",
      { email: "test@example.com", password: "test123" },
      undefined,
      stack.controlPlaneUrl
    )
    expect(fromControlPlane.status).toBe(200)
    const other = ((await fromControlPlane.json()) as { access_token: string }).access_token
    const chat = await json("POST", "/api/chat", { messages: [{ role: "user", content: "Hi" }] }, other)
    expect(chat.status).toBe(200)
    const me = await json("GET", "/auth/me", undefined, token, stack.controlPlaneUrl)
    expect(me.status).toBe(200)
    expect(await me.json()).toMatchObject({ email: "test@example.com" })
  })

  it("refuses a password shorter than PASSWORD_MIN_LENGTH, naming it", async () => {
    const response = await json("POST", "/auth/register", { email: "short@example.com", password: "12345" })
    expect(response.status).toBe(400)
    expect(JSON.stringify(await response.json()).toLowerCase()).toContain("password")
  })

  it("limits sign-ins per client address, the socket's, whatever a client claims", async () => {
    // better-auth allows 5 sign-ins a minute per address; the ones above count too.
    const login = (from: string, body: unknown, claimed?: string) =>
      new Promise<number>((resolve, reject) => {
        const url = new URL(`${base}/auth/login`)
        const request = http.request(
          {
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            method: "POST",
            localAddress: from,
            headers: {
              "content-type": "application/json",
              ...(claimed === undefined ? {} : { "x-switchyard-client-ip": claimed })
            }
          },
          (response) => {
            response.resume()
            response.on("end", () => resolve(response.statusCode ?? 0))
          }
        )
        request.on("error", reject)
        request.end(JSON.stringify(body))
      })
    const wrong = { email: "nobody@example.com", password: "wrong-password" }
    let status = 0
    for (let i = 0; i < 8 && status !== 429; i++) status = await login("127.0.0.1", wrong)
    expect(status).toBe(429)
    // Claiming another address changes nothing; coming from another one does.
    expect(await login("127.0.0.1", wrong, "203.0.113.7")).toBe(429)
    expect(await login("127.0.0.2", wrong)).toBe(401)
    expect(await login("127.0.0.2", { email: "test@example.com", password: "test123" })).toBe(200)
  })

  it("listens only where HOST says, both apps", async () => {
    for (const url of [base, stack.controlPlaneUrl]) {
      expect((await fetch(`${url}/health`)).status).toBe(200)
      // HOST=127.0.0.1: another loopback address of the same machine is not served.
      const elsewhere = url.replace("127.0.0.1", "127.0.0.2")
      await expect(fetch(`${elsewhere}/health`, { signal: AbortSignal.timeout(5000) })).rejects.toThrow()
    }
  })

  it("documents itself at /docs and /redoc on the same base URL", async () => {
    const docs = await fetch(`${base}/docs`)
    expect(docs.status).toBe(200)
    expect(await docs.text()).toContain("SwaggerUIBundle")
    const redoc = await fetch(`${base}/redoc`)
    expect(redoc.status).toBe(200)
    expect(await redoc.text()).toContain("/openapi.json")
  })
})
