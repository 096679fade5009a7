/**
 * The router documents itself from its contract (`RouterApi`): `/openapi.json`, Swagger UI at
 * `/docs` and ReDoc at `/redoc` (seed 003's pair), public like the health check.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { startRouter, type TestRouter } from "./Harness.ts"

let router: TestRouter
beforeAll(async () => {
  router = await startRouter()
})
afterAll(() => router.close())

describe("the router's documentation", () => {
  it("serves its OpenAPI document with every route a client of the seeds uses", async () => {
    const response = await fetch(`${router.url}/openapi.json`)
    expect(response.status).toBe(200)
    const spec = await response.json()
    expect(spec.openapi).toMatch(/^3\./)
    for (const path of [
      "/v1/chat/completions",
      "/v1/messages",
      "/v1/embeddings",
      "/v1/models",
      "/api/chat",
      "/auth/register",
      "/auth/login",
      "/auth/me",
      "/api/v1/chat/completions",
      "/api/v1/user/ai-keys",
      "/api/v1/sync/failed-request",
      "/v1/health"
    ])
      expect(Object.keys(spec.paths), path).toContain(path)
    expect(spec.paths["/api/v1/chat/completions"].post.responses["422"]).toBeDefined()
  })

  it("serves Swagger UI at /docs and ReDoc at /redoc, both reading that document", async () => {
    const docs = await fetch(`${router.url}/docs`)
    expect(docs.status).toBe(200)
    expect(docs.headers.get("content-type")).toContain("text/html")
    const page = await docs.text()
    expect(page).toContain("SwaggerUIBundle")
    expect(page).toContain("/api/chat")
    const redoc = await fetch(`${router.url}/redoc`)
    expect(redoc.status).toBe(200)
    const html = await redoc.text()
    expect(html).toContain('<redoc spec-url="/openapi.json">')
    expect(html).toContain("redoc.standalone.js")
  })

  it("answers /auth/* with a clear 503 when the router runs without a database", async () => {
    const response = await fetch(`${router.url}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "a@b.c", password: "x" })
    })
    expect(response.status).toBe(503)
    expect((await response.json()).error.message).toContain("accounts")
  })
})
