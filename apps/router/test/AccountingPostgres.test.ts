/**
 * Accounting through the router as main.ts builds it (AppLayer over real PostgreSQL, the batching
 * ledger writer): a streamed and a non-streamed Anthropic answer with cache reads and writes land
 * in `usage_events` with the same token classes and cost, and their minute rollup keeps the classes
 * apart; a field dropped in translation is recorded in the row.
 */
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { ApiKeys, authMigrations, ChangeFeed } from "@switchyard/auth"
import { TestDatabase } from "@switchyard/db/testing"
import { ledgerMigrations } from "@switchyard/ledger"
import { Vault, vaultMigrations } from "@switchyard/vault"
import { ConfigProvider, Effect, Layer, ManagedRuntime, Redacted } from "effect"
import * as AppLayer from "../src/AppLayer.ts"
import * as Router from "../src/Router.ts"
import type { Listening as Server } from "../src/Server.ts"
import * as AppServer from "../src/Server.ts"
import { type FakeUpstream, type Script, sseText, startFake } from "./FakeUpstream.ts"

const masterKey = Buffer.alloc(32, 9).toString("base64")

const controlLayer = Layer.mergeAll(ApiKeys.layerPg, Vault.layerPg).pipe(
  Layer.provideMerge(ChangeFeed.layerPg),
  Layer.provideMerge(
    TestDatabase.layer("router_accounting_pg", [authMigrations, vaultMigrations, ledgerMigrations])
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

const userId = "user-accounting-1"

const USAGE = {
  input_tokens: 100,
  output_tokens: 50,
  cache_read_input_tokens: 2000,
  cache_creation_input_tokens: 500
}
/** claude-sonnet-4-5: input 3, output 15, cache read 0.3, cache write 3.75 USD per million tokens. */
const COST = 100 * 3 + 50 * 15 + 2000 * 0.3 + 500 * 3.75

const message = (content: Array<unknown>, stop: string | null, usage: unknown) => ({
  id: "msg_01",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-5-20250929",
  content,
  stop_reason: stop,
  stop_sequence: null,
  usage
})

const anthropicScript: Script = async (req, res) => {
  if (JSON.parse(req.body).stream !== true) {
    res.writeHead(200, { "content-type": "application/json" })
    res.end(JSON.stringify(message([{ type: "text", text: "Hello there." }], "end_turn", USAGE)))
    return
  }
  res.writeHead(200, { "content-type": "text/event-stream" })
  res.end(
    sseText(
      [
        {
          event: "message_start",
          data: { type: "message_start", message: message([], null, { ...USAGE, output_tokens: 1 }) }
        },
        {
          event: "content_block_start",
          data: { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }
        },
        {
          event: "content_block_delta",
          data: { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hello there." } }
        },
        { event: "content_block_stop", data: { type: "content_block_stop", index: 0 } },
        {
          event: "message_delta",
          data: { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 50 } }
        },
        { event: "message_stop", data: { type: "message_stop" } }
      ],
      { done: false }
    )
  )
}

const openaiScript: Script = (_req, res) => {
  res.writeHead(200, { "content-type": "application/json" })
  res.end(
    JSON.stringify({
      id: "c",
      object: "chat.completion",
      created: 1,
      model: "gpt-4o",
      choices: [
        { index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop", logprobs: null }
      ],
      usage: {
        prompt_tokens: 30,
        completion_tokens: 2,
        total_tokens: 32,
        prompt_tokens_details: { cached_tokens: 20 }
      }
    })
  )
}

beforeAll(async () => {
  anthropicFake = await startFake(anthropicScript)
  openaiFake = await startFake(openaiScript)
  control = ManagedRuntime.make(controlLayer)
  const databaseUrl = await control.runPromise(
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* sql`INSERT INTO "user" ("id", "name", "email", "emailVerified") VALUES (${userId}, 'Acc', 'acc@example.com', true)`
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

const ask = (body: Record<string, unknown>) =>
  fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: {
      "x-api-key": key,
      "anthropic-version": "2023-06-01",
      "content-type": "application/json"
    },
    body: JSON.stringify({ max_tokens: 100, messages: [{ role: "user", content: "Hi" }], ...body })
  })

interface Row {
  readonly outcome: string
  readonly stream: boolean
  readonly inputTokens: string
  readonly outputTokens: string
  readonly cachedInputTokens: string
  readonly cacheCreationTokens: string
  readonly reasoningTokens: string
  readonly estimated: boolean
  readonly costMicros: string
  readonly droppedFields: ReadonlyArray<string>
}

/** The `usage_events` row of a request (waits for the writer's batch). */
const rowOf = (requestId: string) =>
  control.runPromise(
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      for (let i = 0; i < 150; i++) {
        const found = yield* sql<Row>`
          SELECT outcome, stream, input_tokens, output_tokens, cached_input_tokens, cache_creation_tokens,
                 reasoning_tokens, estimated, cost_micros, dropped_fields
          FROM usage_events WHERE request_id = ${requestId}`
        if (found.length > 0) return found
        yield* Effect.sleep("20 millis")
      }
      return []
    })
  )

const classes = (r: Row) => [
  Number(r.inputTokens),
  Number(r.outputTokens),
  Number(r.cachedInputTokens),
  Number(r.cacheCreationTokens),
  Number(r.reasoningTokens),
  r.estimated,
  Number(r.costMicros)
]

describe("accounting over PostgreSQL", () => {
  it("streamed and non-streamed answers land with the same classes and cost; the rollup keeps them apart", async () => {
    const plain = await ask({ model: "claude-sonnet-4-5" })
    expect(plain.status).toBe(200)
    await plain.text()
    const streamed = await ask({ model: "claude-sonnet-4-5", stream: true })
    expect(streamed.status).toBe(200)
    await streamed.text()
    const [a] = await rowOf(plain.headers.get("x-request-id")!)
    const [b] = await rowOf(streamed.headers.get("x-request-id")!)
    expect(a).toBeDefined()
    expect(b).toBeDefined()
    expect(classes(a!)).toEqual([100, 50, 2000, 500, 0, false, COST])
    expect(classes(b!)).toEqual([100, 50, 2000, 500, 0, false, COST])
    expect([a!.stream, b!.stream]).toEqual([false, true])

    const rollup = await control.runPromise(
      Effect.flatMap(
        SqlClient.SqlClient,
        (sql) => sql<Row & { requests: string }>`
          SELECT sum(requests) AS requests, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
                 sum(cached_input_tokens) AS cached_input_tokens, sum(cache_creation_tokens) AS cache_creation_tokens,
                 sum(reasoning_tokens) AS reasoning_tokens, false AS estimated, sum(cost_micros) AS cost_micros
          FROM usage_rollup_minute WHERE user_id = ${userId} AND provider = 'anthropic'`
      )
    )
    expect(Number(rollup[0]!.requests)).toBe(2)
    expect(classes(rollup[0]!)).toEqual([200, 100, 4000, 1000, 0, false, 2 * COST])
  })

  it("records the fields dropped in translation in the row", async () => {
    const res = await ask({
      model: "gpt-4o",
      system: [{ type: "text", text: "Long prompt", cache_control: { type: "ephemeral" } }]
    })
    expect(res.status).toBe(200)
    expect(res.headers.get("x-switchyard-dropped")).toContain("cache_control")
    await res.text()
    const [row] = await rowOf(res.headers.get("x-request-id")!)
    expect(row?.droppedFields).toContain("cache_control")
    // gpt-4o: 10 plain input × 2.5 + 20 cached × 1.25 + 2 output × 10.
    expect(classes(row!)).toEqual([10, 2, 20, 0, 0, false, 10 * 2.5 + 20 * 1.25 + 2 * 10])
  })
})
