/**
 * Seed 004's whole workflow over HTTP (create → details → write → history → status → delete),
 * once per kind of credential, with generation through the real router to a fake Anthropic
 * upstream; ownership between callers; versions and revert; the API's docs.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { appFor, EXPLANATION } from "./FakeAnthropic.ts"
import { SERVICE_KEY, type Stack, startStack, type TestUser } from "./Harness.ts"

let stack: Stack
let alice: TestUser
let bob: TestUser

beforeAll(async () => {
  stack = await startStack("vibe_workflow")
  alice = await stack.newUser("alice")
  bob = await stack.newUser("bob")
})

afterAll(async () => {
  await stack?.close()
})

/** The seed's six calls in order, with `headers` as the credential. */
const workflow = async (headers: Record<string, string>, prompt: string, userId?: string) => {
  const created = await stack.call("POST", "/api/create", {
    headers,
    json: { prompt, ...(userId ? { user_id: userId } : {}) }
  })
  expect(created.status, created.text).toBe(200)
  expect(created.body).toEqual({ app_id: expect.stringMatching(/^sb-[a-z0-9]{20}$/), status: "created" })
  const appId: string = created.body.app_id

  const details = await stack.call("GET", `/api/app/${appId}`, { headers })
  expect(details.status).toBe(200)
  expect(details.body).toEqual({
    app_id: appId,
    status: "active",
    url: `http://${appId}.apps.localhost:${stack.appsPort}/`,
    created_at: expect.any(String),
    updated_at: expect.any(String)
  })
  const served = await stack.viewApp(appId)
  expect(served.status).toBe(200)
  expect(served.text).toBe(appFor(prompt))

  const written = await stack.call("POST", `/api/app/${appId}/write`, {
    headers,
    json: { text: "make the background blue", ...(userId ? { user_id: userId } : {}) }
  })
  expect(written.status, written.text).toBe(200)
  expect(written.body).toEqual({ status: "ok", app_id: appId })
  // The edit is what is served now (the fake shows the last request it was given).
  expect((await stack.viewApp(appId)).text).toContain("make the background blue")

  const history = await stack.call("GET", `/api/app/${appId}/history`, { headers })
  expect(history.status).toBe(200)
  expect(history.body).toEqual({
    message_history: [
      { content: prompt, type: "user" },
      { content: EXPLANATION, type: "assistant" },
      { content: "make the background blue", type: "user" },
      { content: EXPLANATION, type: "assistant" }
    ]
  })

  const status = await stack.call("GET", `/api/app/${appId}/status`, { headers })
  expect(status.body).toEqual({ status: "active" })

  const deleted = await stack.call("DELETE", `/api/app/${appId}`, { headers })
  expect(deleted.status).toBe(200)
  expect(deleted.body).toEqual({ status: "deleted", app_id: appId })
  expect((await stack.call("GET", `/api/app/${appId}`, { headers })).status).toBe(404)
  expect((await stack.viewApp(appId)).status).toBe(404)
  return appId
}

describe("the seed's workflow", () => {
  it("with a service key from VALID_API_KEYS (X-API-Key, any case) and user_id, generated with VIBE_ROUTER_KEY", async () => {
    const before = stack.fake.received.length
    await workflow({ "x-api-key": SERVICE_KEY }, "A meditation timer with sparkles", "user123")
    // Two generations and two explanations reached the provider through the router.
    expect(stack.fake.received.length - before).toBe(4)
    expect(stack.fake.received.at(-4)?.model).toBe("claude-sonnet-4-5")
    expect(stack.fake.received.at(-3)?.model).toBe("claude-haiku-4-5")
    // Accounted in the ledger to the operator whose key the service's generations use.
    const accounted = await stack.eventually(async () => {
      const rows = await stack.query<{ count: number }>(
        "SELECT count(*)::int AS count FROM usage_events WHERE user_id = $1 AND status = 200",
        stack.operator.userId
      )
      return (rows[0]?.count ?? 0) >= 4
    })
    expect(accounted).toBe(true)
    const rows = await stack.query<{ requestedModel: string; costMicros: string; inputTokens: string }>(
      "SELECT requested_model, cost_micros, input_tokens FROM usage_events WHERE user_id = $1 ORDER BY created_at",
      stack.operator.userId
    )
    expect(rows.map((r) => r.requestedModel)).toEqual([
      "claude-sonnet-4-5",
      "claude-haiku-4-5",
      "claude-sonnet-4-5",
      "claude-haiku-4-5"
    ])
    // claude-sonnet-4-5: 120 input tokens at $3/M + 80 output at $15/M = 1 560 µ$.
    expect(Number(rows[0]?.costMicros)).toBe(1560)
  })

  it("with a Switchyard ef_ key, in X-API-Key or as a bearer, accounted to the key's owner", async () => {
    await workflow({ "X-Api-Key": alice.key }, "A todo list")
    await workflow({ authorization: `Bearer ${alice.key}` }, "A pomodoro clock")
    const accounted = await stack.eventually(async () => {
      const rows = await stack.query<{ count: number }>(
        "SELECT count(*)::int AS count FROM usage_events WHERE user_id = $1 AND api_key_id IS NOT NULL",
        alice.userId
      )
      return (rows[0]?.count ?? 0) >= 8
    })
    expect(accounted).toBe(true)
  })

  it("with a Switchyard session token as a bearer, accounted to the session's user", async () => {
    await workflow({ authorization: `Bearer ${bob.session}` }, "A weather widget")
    const accounted = await stack.eventually(async () => {
      const rows = await stack.query<{ count: number }>(
        "SELECT count(*)::int AS count FROM usage_events WHERE user_id = $1",
        bob.userId
      )
      return (rows[0]?.count ?? 0) >= 4
    })
    expect(accounted).toBe(true)
  })

  it("with an HS256 JWT signed with JWT_SECRET", async () => {
    await workflow({ authorization: `Bearer ${await stack.jwtFor("jwt-user-1")}` }, "A dice roller")
  })
})

describe("ownership", () => {
  it("someone else's app is not found, for every route, with every credential", async () => {
    const created = await stack.call("POST", "/api/create", {
      headers: { "x-api-key": alice.key },
      json: { prompt: "Alice's private app" }
    })
    const appId = created.body.app_id
    // Alice's session is the same owner as her key.
    expect(
      (
        await stack.call("GET", `/api/app/${appId}`, {
          headers: { authorization: `Bearer ${alice.session}` }
        })
      ).status
    ).toBe(200)
    const strangers = [
      { "x-api-key": bob.key },
      { authorization: `Bearer ${bob.session}` },
      { "x-api-key": SERVICE_KEY },
      { authorization: `Bearer ${await stack.jwtFor(alice.userId)}` }
    ]
    for (const headers of strangers) {
      for (const [method, path, json] of [
        ["GET", `/api/app/${appId}`],
        ["GET", `/api/app/${appId}/history`],
        ["GET", `/api/app/${appId}/status`],
        ["GET", `/api/app/${appId}/versions`],
        ["POST", `/api/app/${appId}/write`, { text: "steal it" }],
        ["POST", `/api/app/${appId}/revert`, { version: 1 }],
        ["DELETE", `/api/app/${appId}`]
      ] as const) {
        const reply = await stack.call(method, path, { headers, ...(json ? { json } : {}) })
        expect(reply.status, `${method} ${path}`).toBe(404)
        expect(reply.body._tag).toBe("VibeAppNotFound")
      }
    }
    // Still there, untouched.
    const history = await stack.call("GET", `/api/app/${appId}/history`, {
      headers: { "x-api-key": alice.key }
    })
    expect(history.body.message_history).toHaveLength(2)
  })

  it("a service's app is its end user's: another user_id cannot edit it", async () => {
    const created = await stack.call("POST", "/api/create", {
      headers: { "x-api-key": SERVICE_KEY },
      json: { prompt: "Carol's app", user_id: "carol" }
    })
    const appId = created.body.app_id
    const other = await stack.call("POST", `/api/app/${appId}/write`, {
      headers: { "x-api-key": SERVICE_KEY },
      json: { text: "mine now", user_id: "mallory" }
    })
    expect(other.status).toBe(404)
    const own = await stack.call("POST", `/api/app/${appId}/write`, {
      headers: { "x-api-key": SERVICE_KEY },
      json: { text: "a bigger font", user_id: "carol" }
    })
    expect(own.status).toBe(200)
  })
})

describe("versions and revert", () => {
  it("lists every version and serves an earlier one again", async () => {
    const headers = { "x-api-key": alice.key }
    const appId = (await stack.call("POST", "/api/create", { headers, json: { prompt: "Version one" } })).body
      .app_id
    await stack.call("POST", `/api/app/${appId}/write`, { headers, json: { text: "Version two" } })
    const versions = await stack.call("GET", `/api/app/${appId}/versions`, { headers })
    expect(versions.status).toBe(200)
    expect(versions.body.current_version).toBe(2)
    expect(
      versions.body.versions.map((v: { version: number; prompt: string }) => [v.version, v.prompt])
    ).toEqual([
      [1, "Version one"],
      [2, "Version two"]
    ])
    expect(versions.body.versions[0].bytes).toBe(Buffer.byteLength(appFor("Version one")))
    expect((await stack.viewApp(appId)).text).toContain("Version two")

    const reverted = await stack.call("POST", `/api/app/${appId}/revert`, { headers, json: { version: 1 } })
    expect(reverted.body).toEqual({ status: "ok", app_id: appId, current_version: 1 })
    expect((await stack.viewApp(appId)).text).toBe(appFor("Version one"))

    const missing = await stack.call("POST", `/api/app/${appId}/revert`, { headers, json: { version: 9 } })
    expect(missing.status).toBe(422)
    expect(missing.body).toMatchObject({ _tag: "VibeInvalidRequest", field: "version" })
  })
})

describe("the apps origin", () => {
  it("serves each app under a strict policy, with no cookie, and nothing else", async () => {
    const headers = { "x-api-key": alice.key }
    const appId = (await stack.call("POST", "/api/create", { headers, json: { prompt: "Headers" } })).body
      .app_id
    const page = await stack.viewApp(appId)
    expect(page.status).toBe(200)
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8")
    const csp = page.headers.get("content-security-policy") ?? ""
    for (const directive of [
      "default-src 'none'",
      "connect-src 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'"
    ])
      expect(csp).toContain(directive)
    expect(page.headers.get("x-content-type-options")).toBe("nosniff")
    expect(page.headers.get("set-cookie")).toBeNull()
    expect(page.headers.get("access-control-allow-origin")).toBeNull()
    // One document per app, at its root; no other path, no unknown or foreign host.
    expect((await stack.viewApp(appId, "/index.html")).status).toBe(200)
    expect((await stack.viewApp(appId, "/api/create")).status).toBe(404)
    expect((await stack.viewApp("sb-zzzzzzzzzzzzzzzzzzzz")).status).toBe(404)
    expect((await stack.viewApp("localhost")).status).toBe(404)
  })

  it("two edits at once both land, as versions 2 and 3", async () => {
    const headers = { "x-api-key": alice.key }
    const appId = (await stack.call("POST", "/api/create", { headers, json: { prompt: "Racing" } })).body
      .app_id
    const edits = await Promise.all(
      ["left", "right"].map((text) =>
        stack.call("POST", `/api/app/${appId}/write`, { headers, json: { text } })
      )
    )
    expect(edits.map((edit) => edit.status)).toEqual([200, 200])
    const versions = await stack.call("GET", `/api/app/${appId}/versions`, { headers })
    expect(versions.body.versions.map((v: { version: number }) => v.version)).toEqual([1, 2, 3])
    expect(
      versions.body.versions
        .slice(1)
        .map((v: { prompt: string }) => v.prompt)
        .sort()
    ).toEqual(["left", "right"])
  })
})

describe("health and docs", () => {
  it("GET / and /health answer healthy with the number of active apps", async () => {
    const count = await stack.query<{ count: number }>(
      "SELECT count(*)::int AS count FROM vibe_apps WHERE status = 'active' AND deleted_at IS NULL"
    )
    for (const path of ["/", "/health"]) {
      const reply = await stack.call("GET", path)
      expect(reply.status).toBe(200)
      expect(reply.body).toEqual({
        status: "healthy",
        active_apps: count[0]?.count,
        timestamp: expect.any(String)
      })
      expect(Number.isNaN(Date.parse(reply.body.timestamp))).toBe(false)
    }
  })

  it("serves Swagger UI at /docs and ReDoc at /redoc over the contract's OpenAPI", async () => {
    const openapi = await stack.call("GET", "/openapi.json")
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining([
        "/",
        "/health",
        "/api/create",
        "/api/app/{app_id}",
        "/api/app/{app_id}/write",
        "/api/app/{app_id}/revert"
      ])
    )
    const docs = await stack.call("GET", "/docs")
    expect(docs.headers.get("content-type")).toContain("text/html")
    expect(docs.text).toContain("SwaggerUIBundle")
    const redoc = await stack.call("GET", "/redoc")
    expect(redoc.text).toContain('<redoc spec-url="/openapi.json">')
  })

  it("allows MODAL_VIBE_ALLOWED_ORIGINS, and no other origin, in CORS preflights", async () => {
    const preflight = (origin: string) =>
      stack.call("OPTIONS", "/api/create", {
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "x-api-key"
        }
      })
    const allowed = await preflight("http://dashboard.example.test")
    expect(allowed.headers.get("access-control-allow-origin")).toBe("http://dashboard.example.test")
    const refused = await preflight("http://evil.example.test")
    expect(refused.headers.get("access-control-allow-origin")).not.toBe("http://evil.example.test")
    expect(refused.headers.get("access-control-allow-credentials")).toBeNull()
  })
})
