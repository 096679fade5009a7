/**
 * `/health`, `/v1/health` and `/api/v1/health` report each provider as seed 000's health check did
 * (`services.openai: "healthy"`…): configured or not, reachable with the platform key or not,
 * asked by listing models (no tokens spent), and cached so polling does not reach the providers.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type FakeUpstream, json, startFake } from "./FakeUpstream.ts"
import { startRouter, type TestRouter } from "./Harness.ts"

let openai: FakeUpstream
let anthropic: FakeUpstream
let vllm: FakeUpstream
let router: TestRouter

beforeAll(async () => {
  openai = await startFake(json(200, { object: "list", data: [] }))
  anthropic = await startFake(json(401, { type: "error", error: { type: "authentication_error" } }))
  vllm = await startFake(json(200, { object: "list", data: [{ id: "llama" }] }))
  router = await startRouter({
    env: {
      OPENAI_BASE_URL: `${openai.url}/v1`,
      OPENAI_API_KEY: "sk-platform",
      ANTHROPIC_BASE_URL: anthropic.url,
      ANTHROPIC_API_KEY: "sk-ant-platform",
      XAI_BASE_URL: "http://127.0.0.1:9/v1",
      XAI_API_KEY: "xai-platform",
      AI_BASE_URL: `${vllm.url}/v1`
    },
    settings: { providerHealthTtlMs: 1000 }
  })
})
afterAll(async () => {
  await router.close()
  await Promise.all([openai.close(), anthropic.close(), vllm.close()])
})

/** Waits (boundedly) for a background round to reach the fakes. */
const until = async (done: () => boolean) => {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const health = async (path: string) => {
  const response = await fetch(`${router.url}${path}`)
  return { status: response.status, body: await response.json() }
}

describe("providers in the health check", () => {
  it("names each provider's state; a provider's outage is not the router's", async () => {
    for (const path of ["/v1/health", "/api/v1/health", "/health"]) {
      const { body, status } = await health(path)
      expect(status).toBe(200)
      expect(body.status).toBe("healthy")
      expect(body.services).toMatchObject({
        database: "healthy",
        openai: "healthy",
        anthropic: "degraded: the platform key was refused (401)",
        google: "not configured",
        "openai-compatible": "healthy"
      })
      expect(body.services.xai).toMatch(/^unreachable: /)
      expect(body.providers.openai).toMatchObject({ configured: true, reachable: true, status: 200 })
      expect(body.providers.google).toEqual({ configured: false, reachable: null, checkedAt: null })
      expect(body.providers.xai).toMatchObject({ configured: true, reachable: false })
      expect(JSON.stringify(body)).not.toContain("sk-platform")
    }
  })

  it("asks by listing models with the platform key, once per TTL however often it is polled", async () => {
    // The round above expires; the next polls get its answers while one new round runs for all.
    await sleep(1100)
    const before = openai.received.length
    await Promise.all(Array.from({ length: 20 }, () => health("/v1/health")))
    await until(() => openai.received.length > before)
    await Promise.all(Array.from({ length: 20 }, () => health("/v1/health")))
    expect(openai.received.length).toBe(before + 1)
    for (const request of openai.received) {
      expect(`${request.method} ${request.url}`).toBe("GET /v1/models")
      expect(request.headers.authorization).toBe("Bearer sk-platform")
    }
    expect(anthropic.received.map((r) => `${r.method} ${r.url}`)).toContain("GET /v1/models")
    expect(anthropic.received[0]!.headers["x-api-key"]).toBe("sk-ant-platform")
    // A keyless OpenAI-compatible server gets no Authorization header at all.
    expect(vllm.received[0]!.headers.authorization).toBeUndefined()
    // After the TTL the next poll asks again.
    await sleep(1100)
    await health("/api/v1/health")
    await until(() => openai.received.length > before + 1)
    expect(openai.received.length).toBe(before + 2)
  })
})
