/**
 * A user's base URL cannot steer the router inside: redirects are never followed (a 3xx is an
 * upstream error, the internal service behind it is never called), and the address connected to
 * is checked at connect time, with DNS answered by a fake resolver (the `UpstreamResolver`
 * service): a name that resolved to a public address when its secret was cached and to 127.0.0.1
 * when called (DNS rebinding) is refused, and the user's key never reaches the internal service.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type FakeUpstream, json, startFake } from "./FakeUpstream.ts"
import { secret, startRouter, TEST_KEY, type TestRouter } from "./Harness.ts"

const completion = {
  id: "c",
  object: "chat.completion",
  created: 1,
  model: "m",
  choices: [
    { index: 0, message: { role: "assistant", content: "from the upstream" }, finish_reason: "stop" }
  ],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }
}

let internal: FakeUpstream
beforeAll(async () => {
  internal = await startFake(json(200, { ...completion, secret: "INTERNAL-ONLY" }))
})
afterAll(() => internal.close())

const ask = (router: TestRouter) =>
  fetch(`${router.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "openai-compatible/m", messages: [{ role: "user", content: "hi" }] })
  })

describe("redirects", () => {
  let redirecting: FakeUpstream
  let router: TestRouter
  beforeAll(async () => {
    redirecting = await startFake((_req, res) => {
      res.writeHead(307, { location: `${internal.url}/v1/chat/completions` })
      res.end()
    })
    router = await startRouter({
      secrets: new Map([["u1/openai-compatible", secret("sk-user-secret", `${redirecting.url}/v1`)]])
    })
  })
  afterAll(async () => {
    await router.close()
    await redirecting.close()
  })

  it("a 307 to an internal address is an upstream error; the internal service is never called", async () => {
    const before = internal.received.length
    const res = await ask(router)
    expect(res.status).toBe(502)
    const text = await res.text()
    expect(JSON.parse(text).error.code).toBe("upstream_redirect")
    expect(text).not.toContain("INTERNAL-ONLY")
    expect(redirecting.received.length).toBeGreaterThan(0)
    expect(internal.received.length).toBe(before)
  })
})

describe("DNS rebinding", () => {
  let router: TestRouter
  let lookups = 0
  beforeAll(async () => {
    const port = new URL(internal.url).port
    router = await startRouter({
      allowPrivateUpstreams: false,
      // Public when the secret is checked (cached), loopback when called: a rebinding DNS.
      resolver: async (host) => {
        if (host !== "rebind.test") throw new Error("ENOTFOUND")
        lookups++
        return lookups === 1 ? ["93.184.216.34"] : ["127.0.0.1"]
      },
      secrets: new Map([["u1/openai-compatible", secret("sk-user-secret", `http://rebind.test:${port}/v1`)]])
    })
  })
  afterAll(() => router.close())

  it("the address is checked when connecting: refused, and the key never reaches the internal service", async () => {
    const before = internal.received.length
    const res = await ask(router)
    expect(res.status).toBe(502)
    const body = (await res.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe("upstream_address_refused")
    expect(body.error.message).toContain("rebind.test")
    expect(lookups).toBeGreaterThanOrEqual(2)
    expect(internal.received.length).toBe(before)
    expect(internal.received.some((r) => r.headers.authorization?.includes("sk-user-secret"))).toBe(false)
  })
})

describe("the checked address is the one connected to", () => {
  let upstream: FakeUpstream
  let router: TestRouter
  beforeAll(async () => {
    upstream = await startFake(json(200, completion))
    const port = new URL(upstream.url).port
    router = await startRouter({
      // Private addresses allowed (local mode): the name still goes through the resolver service.
      resolver: async (host) =>
        host === "pinned.test" ? ["127.0.0.1"] : Promise.reject(new Error("ENOTFOUND")),
      secrets: new Map([["u1/openai-compatible", secret("sk-user-secret", `http://pinned.test:${port}/v1`)]])
    })
  })
  afterAll(async () => {
    await router.close()
    await upstream.close()
  })

  it("a name only the resolver knows is reached at the address it gave", async () => {
    const res = await ask(router)
    expect(res.status).toBe(200)
    expect((await res.json()).choices[0].message.content).toBe("from the upstream")
    expect(upstream.received.at(-1)!.headers.authorization).toBe("Bearer sk-user-secret")
  })
})
