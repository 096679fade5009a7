/**
 * Responses are accounted exactly like chat, through the router as main.ts builds it (AppLayer over
 * real PostgreSQL, the batching ledger writer): the same `usage_events` row as a chat request given
 * the same upstream answer, token classes and cost included; a streamed Response from OpenAI's own
 * endpoint with cached and reasoning tokens; a stream the client leaves, billed for what was sent;
 * the stored response in `responses`. Then limits and budgets, which admit a Responses request on
 * its `max_output_tokens` as chat's on `max_tokens`.
 */
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { ApiKeys, authMigrations, ChangeFeed } from "@switchyard/auth"
import { responsesMigrations } from "@switchyard/db"
import { TestDatabase } from "@switchyard/db/testing"
import { ledgerMigrations } from "@switchyard/ledger"
import { Vault, vaultMigrations } from "@switchyard/vault"
import { ConfigProvider, Effect, Layer, ManagedRuntime, Redacted } from "effect"
import * as AppLayer from "../src/AppLayer.ts"
import * as Router from "../src/Router.ts"
import type { Listening as Server } from "../src/Server.ts"
import * as AppServer from "../src/Server.ts"
import { type FakeUpstream, json, startFake } from "./FakeUpstream.ts"
import { startRouter, TEST_KEY, type TestRouter } from "./Harness.ts"
import {
  anthropicMessage,
  openaiResponse,
  openaiResponseStream,
  openaiUsage,
  outputMessage,
  parseSse,
  validateStream
} from "./ResponsesWire.ts"

const masterKey = Buffer.alloc(32, 7).toString("base64")
const userId = "user-responses-accounting"

const controlLayer = Layer.mergeAll(ApiKeys.layerPg, Vault.layerPg).pipe(
  Layer.provideMerge(ChangeFeed.layerPg),
  Layer.provideMerge(
    TestDatabase.layer("router_responses_accounting", [
      authMigrations,
      vaultMigrations,
      ledgerMigrations,
      responsesMigrations
    ])
  ),
  Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["VAULT_TOKEN_KEY", masterKey]]))))
)

let control: ManagedRuntime.ManagedRuntime<Layer.Layer.Success<typeof controlLayer>, unknown>
let router: ManagedRuntime.ManagedRuntime<Layer.Layer.Success<typeof AppLayer.layer>, unknown>
let server: Server
let url: string
let anthropicFake: FakeUpstream
let openaiFake: FakeUpstream
let key: string

/** claude-sonnet-4-5: input 3, output 15, cache read 0.3 USD per million tokens. */
const ANTHROPIC_USAGE = { input_tokens: 100, output_tokens: 50, cache_read_input_tokens: 2000 }
const ANTHROPIC_COST = 100 * 3 + 50 * 15 + 2000 * 0.3

beforeAll(async () => {
  anthropicFake = await startFake(
    json(200, anthropicMessage([{ type: "text", text: "Counted." }], "end_turn", ANTHROPIC_USAGE))
  )
  openaiFake = await startFake(json(200, {}))
  control = ManagedRuntime.make(controlLayer)
  const databaseUrl = await control.runPromise(
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* sql`INSERT INTO "user" ("id", "name", "email", "emailVerified") VALUES (${userId}, 'Acc', 'responses@example.com', true)`
      return Redacted.value(yield* TestDatabase.TestDatabaseUrl)
    })
  )
  key = Redacted.value((await control.runPromise(Effect.flatMap(ApiKeys, (keys) => keys.create(userId)))).key)
  const env = new Map([
    ["POSTGRES_CONNECTION_STRING", databaseUrl],
    ["VAULT_TOKEN_KEY", masterKey],
    ["ALLOW_PRIVATE_UPSTREAMS", "true"],
    ["ANTHROPIC_BASE_URL", anthropicFake.url],
    ["ANTHROPIC_API_KEY", "sk-ant"],
    ["OPENAI_BASE_URL", `${openaiFake.url}/v1`],
    ["OPENAI_API_KEY", "sk-openai"],
    ["LEDGER_FLUSH_INTERVAL_MS", "20"]
  ])
  router = ManagedRuntime.make(
    AppLayer.layer.pipe(Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(env))))
  )
  const handler = await router.runPromise(Router.make)
  server = await AppServer.start(handler, { port: 0, hostname: "127.0.0.1", maxBodyBytes: 1024 * 1024 })
  url = server.url!.replace(/\/$/, "")
})

afterAll(async () => {
  await server?.close(true)
  await router?.dispose()
  await control?.dispose()
  await anthropicFake?.close()
  await openaiFake?.close()
})

const call = (path: string, body: unknown, signal?: AbortSignal) =>
  fetch(`${url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
    ...(signal === undefined ? {} : { signal })
  })

interface Row {
  readonly requestedModel: string
  readonly provider: string
  readonly outcome: string
  readonly status: number
  readonly stream: boolean
  readonly inputTokens: string
  readonly outputTokens: string
  readonly cachedInputTokens: string
  readonly cacheCreationTokens: string
  readonly reasoningTokens: string
  readonly estimated: boolean
  readonly costMicros: string
}

/** The `usage_events` row of a request (waits for the writer's batch). */
const rowOf = (requestId: string) =>
  control.runPromise(
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      for (let i = 0; i < 150; i++) {
        const found = yield* sql<Row>`
          SELECT requested_model, provider, outcome, status, stream, input_tokens, output_tokens,
                 cached_input_tokens, cache_creation_tokens, reasoning_tokens, estimated, cost_micros
          FROM usage_events WHERE request_id = ${requestId} AND user_id = ${userId}`
        if (found.length > 0) return found[0]!
        yield* Effect.sleep("20 millis")
      }
      throw new Error(`no usage row for ${requestId}`)
    })
  )

const classes = (r: Row) => ({
  input: Number(r.inputTokens),
  output: Number(r.outputTokens),
  cached: Number(r.cachedInputTokens),
  cacheWrite: Number(r.cacheCreationTokens),
  reasoning: Number(r.reasoningTokens),
  estimated: r.estimated,
  cost: Number(r.costMicros)
})

describe("Responses accounting over PostgreSQL", () => {
  it("the same ledger row as chat for the same upstream answer; the response stored for its user", async () => {
    const chat = await call("/v1/chat/completions", {
      model: "claude-sonnet-4-5",
      messages: [{ role: "user", content: "Count me" }]
    })
    expect(chat.status).toBe(200)
    await chat.text()
    const responses = await call("/v1/responses", { model: "claude-sonnet-4-5", input: "Count me" })
    expect(responses.status).toBe(200)
    const answer = (await responses.json()) as { id: string; usage: Record<string, unknown> }
    const viaChat = await rowOf(chat.headers.get("x-request-id")!)
    const viaResponses = await rowOf(responses.headers.get("x-request-id")!)
    const expected = {
      input: 100,
      output: 50,
      cached: 2000,
      cacheWrite: 0,
      reasoning: 0,
      estimated: false,
      cost: ANTHROPIC_COST
    }
    expect(classes(viaChat)).toEqual(expected)
    expect(classes(viaResponses)).toEqual(expected)
    expect(viaResponses).toMatchObject({
      requestedModel: "claude-sonnet-4-5",
      provider: "anthropic",
      outcome: "success",
      status: 200,
      stream: false
    })
    expect(answer.usage).toMatchObject({ input_tokens: 2100, output_tokens: 50, total_tokens: 2150 })

    const stored = await control.runPromise(
      Effect.flatMap(
        SqlClient.SqlClient,
        (sql) =>
          sql<{ userId: string; body: string }>`SELECT user_id, body FROM responses WHERE id = ${answer.id}`
      )
    )
    expect(stored).toHaveLength(1)
    expect(stored[0]!.userId).toBe(userId)
    expect(JSON.parse(stored[0]!.body)).toEqual(answer)
  })

  it("a streamed Response from OpenAI's endpoint: cached and reasoning tokens in the row, priced", async () => {
    const final = openaiResponse(
      "resp_acc_stream",
      [outputMessage("msg_acc", "Streamed and counted.")],
      openaiUsage(400, 300, 60, 20),
      { model: "o4-mini-2025-04-16" }
    )
    openaiFake.script = async (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" })
      res.end(openaiResponseStream(final))
    }
    const res = await call("/v1/responses", { model: "o4-mini", input: "Think", stream: true })
    expect(res.status).toBe(200)
    expect(validateStream(parseSse(await res.text()))).toEqual([])
    const row = await rowOf(res.headers.get("x-request-id")!)
    expect(row).toMatchObject({ provider: "openai", outcome: "success", stream: true })
    const c = classes(row)
    expect(c).toMatchObject({ input: 100, cached: 300, output: 60, reasoning: 20, estimated: false })
    expect(c.cost).toBeGreaterThan(0)
  })

  it("a stream the client leaves is recorded as such, billed for what was sent", async () => {
    const final = openaiResponse(
      "resp_acc_left",
      [outputMessage("msg_left", "x".repeat(4000))],
      openaiUsage(10, 0, 1000)
    )
    const events = openaiResponseStream(final, 40).split("\r\n\r\n")
    openaiFake.script = async (req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" })
      // The beginning of the answer, then nothing until the client leaves.
      res.write(`${events.slice(0, 8).join("\r\n\r\n")}\r\n\r\n`)
      await req.aborted
    }
    const controller = new AbortController()
    const res = await call(
      "/v1/responses",
      { model: "gpt-4o-mini", input: "Write", stream: true },
      controller.signal
    )
    expect(res.status).toBe(200)
    const reader = res.body!.getReader()
    let seen = ""
    const decoder = new TextDecoder()
    while (!seen.includes("response.output_text.delta")) seen += decoder.decode((await reader.read()).value)
    controller.abort()
    await reader.cancel().catch(() => undefined)
    const row = await rowOf(res.headers.get("x-request-id")!)
    expect(row).toMatchObject({ outcome: "client_abort", status: 499, stream: true, estimated: true })
    expect(classes(row).output).toBeGreaterThan(0)
  })
})

// ---------------------------------------------------------------------------------------------

describe("Responses under limits and budgets", () => {
  let fake: FakeUpstream
  let limited: TestRouter
  beforeAll(async () => {
    fake = await startFake(
      json(
        200,
        anthropicMessage([{ type: "text", text: "ok" }], "end_turn", { input_tokens: 5, output_tokens: 1 })
      )
    )
    limited = await startRouter({
      env: { ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_API_KEY: "sk-ant" },
      // About 6 700 output tokens of claude-sonnet-4-5 a day.
      routing: { limits: { user: { rpm: 2, budget: { amountMicros: 100_000, period: "day" } } } }
    })
  })
  afterAll(async () => {
    await limited.close()
    await fake.close()
  })

  const post = (body: unknown) =>
    fetch(`${limited.url}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_KEY}`, "content-type": "application/json" },
      body: JSON.stringify(body)
    })

  it("reserves max_output_tokens (or the model's maximum) against the budget, and counts requests per minute", async () => {
    const small = await post({ model: "claude-sonnet-4-5", input: "hi", max_output_tokens: 1000 })
    expect(small.status).toBe(200)
    expect(small.headers.get("x-ratelimit-limit-requests")).toBe("2")
    // No max_output_tokens: the model's maximum output would overspend the budget (refused
    // before it counts as a request).
    const unbounded = await post({ model: "claude-sonnet-4-5", input: "hi" })
    expect(unbounded.status).toBe(429)
    expect(((await unbounded.json()) as { error: { code: string } }).error.code).toBe("insufficient_quota")
    const again = await post({ model: "claude-sonnet-4-5", input: "hi", max_output_tokens: 1000 })
    expect(again.status).toBe(200)
    const over = await post({ model: "claude-sonnet-4-5", input: "hi", max_output_tokens: 1000 })
    expect(over.status).toBe(429)
    expect(((await over.json()) as { error: { type: string } }).error.type).toBe("rate_limit_error")
    const events = await limited.waitForEvents(4)
    expect(events.map((e) => e.outcome)).toEqual(["success", "rate_limited", "success", "rate_limited"])
  })
})
