/**
 * Fuzzing the router's routes (fast-check): malformed and mistyped JSON, huge and deeply nested
 * values, bad headers, odd query strings and methods, with a real key, a bogus one or none.
 * Every answer must be a 2xx or 4xx — never a 5xx — and an error must be in the route's own format
 * (Anthropic's on `/v1/messages`, OpenAI's elsewhere). Afterwards the ledger (real PostgreSQL,
 * the batching writer) still writes. The app is the one main.ts builds (AppLayer).
 */
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { ApiKeys, authMigrations, ChangeFeed } from "@switchyard/auth"
import { TestDatabase } from "@switchyard/db/testing"
import { ledgerMigrations } from "@switchyard/ledger"
import { vaultMigrations } from "@switchyard/vault"
import { ConfigProvider, Effect, Layer, ManagedRuntime, Redacted } from "effect"
import fc from "fast-check"
import * as AppLayer from "../src/AppLayer.ts"
import * as Router from "../src/Router.ts"
import type { Listening as Server } from "../src/Server.ts"
import * as AppServer from "../src/Server.ts"

const masterKey = Buffer.alloc(32, 9).toString("base64")
const controlLayer = ApiKeys.layerPg.pipe(
  Layer.provideMerge(ChangeFeed.layerPg),
  Layer.provideMerge(TestDatabase.layer("router_fuzz", [authMigrations, vaultMigrations, ledgerMigrations]))
)

let control: ManagedRuntime.ManagedRuntime<Layer.Layer.Success<typeof controlLayer>, unknown>
let router: ManagedRuntime.ManagedRuntime<Layer.Layer.Success<typeof AppLayer.layer>, unknown>
let server: Server
let url: string
let key: string
const userId = "user-fuzz"

beforeAll(async () => {
  control = ManagedRuntime.make(controlLayer)
  const databaseUrl = await control.runPromise(
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* sql`INSERT INTO "user" ("id", "name", "email", "emailVerified") VALUES (${userId}, 'Fuzz', 'fuzz@example.com', true)`
      return Redacted.value(yield* TestDatabase.TestDatabaseUrl)
    })
  )
  key = await control.runPromise(
    Effect.map(
      Effect.flatMap(ApiKeys, (keys) => keys.create(userId)),
      (issued) => Redacted.value(issued.key)
    )
  )
  const env = new Map([
    ["POSTGRES_CONNECTION_STRING", databaseUrl],
    ["VAULT_TOKEN_KEY", masterKey],
    ["SWITCHYARD_LOCAL", "true"],
    ["LEDGER_FLUSH_INTERVAL_MS", "20"]
  ])
  router = ManagedRuntime.make(
    AppLayer.layer.pipe(Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(env))))
  )
  const handler = await router.runPromise(Router.make)
  server = await AppServer.start(handler, { port: 0, hostname: "127.0.0.1", maxBodyBytes: 1024 * 1024 })
  url = server.url.replace(/\/$/, "")
}, 60_000)

afterAll(async () => {
  await server?.close(true)
  await router?.dispose()
  await control?.dispose()
})

const PATHS = [
  "/v1/chat/completions",
  "/v1/messages",
  "/v1/embeddings",
  "/v1/responses",
  "/v1/responses/resp_123",
  "/api/chat",
  "/v1/models",
  "/v1/user/ai-keys",
  "/v1/sync/failed-request",
  "/health",
  "/v1/health",
  "/metrics",
  "/api/v1/chat/completions",
  "/api/v1/user/ai-keys",
  "/api/v1/sync/failed-request",
  "/api/v1/health",
  "/openapi.json",
  "/nowhere"
]

const headerValue = fc.stringMatching(/^[\x21-\x7e]{0,60}$/)

/** A JSON value nested `depth` levels deep. */
const nested = (depth: number) => `${"[".repeat(depth)}1${"]".repeat(depth)}`

/** Bodies: valid-looking requests with fields replaced by anything, JSON of any shape, garbage. */
const body = fc.oneof(
  fc
    .record(
      {
        model: fc.oneof(
          fc.constantFrom("mock/echo", "gpt-4o", "claude-sonnet-4-5"),
          fc.string(),
          fc.jsonValue()
        ),
        messages: fc.oneof(
          fc.constant([{ role: "user", content: "hi" }]),
          fc.constant([]),
          fc.array(fc.record({ role: fc.string(), content: fc.jsonValue() })),
          fc.jsonValue()
        ),
        max_tokens: fc.oneof(fc.integer(), fc.double(), fc.string()),
        stream: fc.oneof(fc.boolean(), fc.string()),
        input: fc.jsonValue(),
        request_id: fc.string(),
        original_timestamp: fc.string(),
        request_data: fc.jsonValue(),
        error: fc.string()
      },
      { requiredKeys: [] }
    )
    .map((o) => JSON.stringify(o)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ unit: "grapheme", maxLength: 200 }),
  fc.constantFrom(
    "",
    "{",
    "null",
    '{"model":"mock/echo","messages":[{"role":"user","content":"\\ud800"}]}',
    '{"model":"mock/echo\\u0000","messages":[{"role":"user","content":"x"}]}',
    `{"model":"mock/echo","messages":[{"role":"user","content":"x"}],"x":${nested(100_000)}}`,
    `{"model":"${"m".repeat(9000)}","messages":[{"role":"user","content":"x"}]}`,
    JSON.stringify({
      request_id: "r",
      original_timestamp: "2026-01-01",
      error: "e",
      request_data: { a: "\ud800" }
    })
  )
)

const request = fc.record({
  method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"),
  path: fc.oneof(fc.constantFrom(...PATHS), fc.webPath()),
  query: fc.option(fc.webQueryParameters(), { nil: undefined }),
  auth: fc.oneof(
    fc.constant("valid"),
    fc.constant("none"),
    headerValue.map((v) => `Bearer ${v}`),
    headerValue
  ),
  contentType: fc.oneof(fc.constant("application/json"), headerValue),
  extraHeader: fc.option(
    fc.tuple(fc.constantFrom("anthropic-beta", "x-api-key", "accept", "x-request-id"), headerValue),
    {
      nil: undefined
    }
  ),
  body
})

describe("fuzzing the router's routes", () => {
  it("answers every request with a 2xx or 4xx in the route's format, and the ledger still writes", async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const headers: Record<string, string> = { "content-type": r.contentType }
        if (r.auth === "valid") headers.authorization = `Bearer ${key}`
        else if (r.auth !== "none") headers.authorization = r.auth
        if (r.extraHeader !== undefined) headers[r.extraHeader[0]] = r.extraHeader[1]
        const target = `${url}${r.path.startsWith("/") ? r.path : `/${r.path}`}${r.query === undefined ? "" : `?${r.query}`}`
        const hasBody = r.method !== "GET"
        const res = await fetch(target, { method: r.method, headers, ...(hasBody ? { body: r.body } : {}) })
        const text = await res.text()
        expect(res.status, `${r.method} ${target} → ${res.status}: ${text.slice(0, 300)}`).toBeLessThan(500)
        if (res.status >= 400) {
          const error = JSON.parse(text) as Record<string, unknown>
          const path = new URL(target).pathname
          if (path === "/v1/messages" && r.method === "POST") {
            expect(error).toMatchObject({
              type: "error",
              error: { type: expect.any(String), message: expect.any(String) }
            })
          } else {
            expect(error).toMatchObject({ error: { message: expect.any(String), type: expect.any(String) } })
          }
        }
      }),
      { numRuns: 250, seed: 20261204 }
    )

    // The ledger still writes: a valid request's usage event reaches PostgreSQL.
    const ok = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "mock/echo", messages: [{ role: "user", content: "still writing" }] })
    })
    expect(ok.status).toBe(200)
    const requestId = ok.headers.get("x-request-id")!
    let stored = 0
    for (let i = 0; i < 200 && stored === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25))
      stored = await control.runPromise(
        Effect.flatMap(SqlClient.SqlClient, (sql) =>
          Effect.map(
            sql<{ n: number }>`SELECT count(*)::int AS n FROM usage_events WHERE request_id = ${requestId}`,
            (rows) => rows[0]!.n
          )
        )
      )
    }
    expect(stored).toBe(1)
    const [dead] = await control.runPromise(
      Effect.flatMap(
        SqlClient.SqlClient,
        (sql) => sql<{ n: number }>`SELECT count(*)::int AS n FROM usage_dead_letters`
      )
    )
    expect(dead!.n).toBe(0)
  }, 300_000)
})
