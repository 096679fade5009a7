/**
 * The router as main.ts builds it (AppLayer: real PostgreSQL, migrations at start-up, LISTEN/NOTIFY
 * change feed, cached verifiers, vault, batching ledger writer), with a second runtime playing the
 * control plane on the same database: keys and secrets changed there are honoured by the router
 * within 1 s, and usage events reach the `usage_events` table.
 */
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { ApiKeys, authMigrations, ChangeFeed } from "@switchyard/auth"
import { TestDatabase } from "@switchyard/db/testing"
import { ledgerMigrations } from "@switchyard/ledger"
import { Vault, vaultMigrations } from "@switchyard/vault"
import { ConfigProvider, Effect, Layer, ManagedRuntime, Redacted } from "effect"
import OpenAI from "openai"
import * as AppLayer from "../src/AppLayer.ts"
import * as Router from "../src/Router.ts"
import type { Listening as Server } from "../src/Server.ts"
import * as AppServer from "../src/Server.ts"
import { type FakeUpstream, json, startFake } from "./FakeUpstream.ts"

const masterKey = Buffer.alloc(32, 7).toString("base64")

const controlLayer = Layer.mergeAll(ApiKeys.layerPg, Vault.layerPg).pipe(
  Layer.provideMerge(ChangeFeed.layerPg),
  Layer.provideMerge(TestDatabase.layer("router_pg", [authMigrations, vaultMigrations, ledgerMigrations])),
  Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["VAULT_TOKEN_KEY", masterKey]]))))
)

let control: ManagedRuntime.ManagedRuntime<Layer.Layer.Success<typeof controlLayer>, unknown>
let router: ManagedRuntime.ManagedRuntime<Layer.Layer.Success<typeof AppLayer.layer>, unknown>
let server: Server
let url: string
let fake: FakeUpstream

const userId = "user-pg-1"

beforeAll(async () => {
  fake = await startFake(json(200, {}))
  control = ManagedRuntime.make(controlLayer)
  const databaseUrl = await control.runPromise(
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* sql`INSERT INTO "user" ("id", "name", "email", "emailVerified") VALUES (${userId}, 'Pg', 'pg@example.com', true)`
      return Redacted.value(yield* TestDatabase.TestDatabaseUrl)
    })
  )
  const env = new Map([
    ["POSTGRES_CONNECTION_STRING", databaseUrl],
    ["VAULT_TOKEN_KEY", masterKey],
    ["SWITCHYARD_LOCAL", "true"],
    ["OPENAI_BASE_URL", `${fake.url}/v1`],
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
  await fake?.close()
})

const echo = (key: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "mock/echo", messages: [{ role: "user", content: "ping pong" }] })
  })

/** Polls for up to 1 s until the request's status is `status`; returns the last status seen. */
const statusWithin1s = async (request: () => Promise<Response>, status: number) => {
  const deadline = Date.now() + 1000
  let seen = 0
  do {
    const res = await request()
    seen = res.status
    await res.body?.cancel()
    if (seen === status) return seen
    await new Promise((resolve) => setTimeout(resolve, 25))
  } while (Date.now() < deadline)
  return seen
}

describe("router over PostgreSQL", () => {
  it("serves a real key, and refuses it within 1 s of being disabled, regenerated or deleted", async () => {
    const issued = await control.runPromise(Effect.flatMap(ApiKeys, (keys) => keys.create(userId)))
    const key = Redacted.value(issued.key)
    const ok = await echo(key)
    expect(ok.status).toBe(200)
    expect((await ok.json()).choices[0].message.content).toBe("ping pong")

    await control.runPromise(Effect.flatMap(ApiKeys, (keys) => keys.setEnabled(userId, false)))
    expect(await statusWithin1s(() => echo(key), 401)).toBe(401)

    await control.runPromise(Effect.flatMap(ApiKeys, (keys) => keys.setEnabled(userId, true)))
    expect(await statusWithin1s(() => echo(key), 200)).toBe(200)

    const regenerated = await control.runPromise(Effect.flatMap(ApiKeys, (keys) => keys.regenerate(userId)))
    expect(await statusWithin1s(() => echo(key), 401)).toBe(401)
    const fresh = Redacted.value(regenerated.key)
    expect((await echo(fresh)).status).toBe(200)

    await control.runPromise(Effect.flatMap(ApiKeys, (keys) => keys.remove(userId)))
    expect(await statusWithin1s(() => echo(fresh), 401)).toBe(401)
    // Leave a working key for the next tests.
    await control.runPromise(Effect.flatMap(ApiKeys, (keys) => keys.create(userId)))
  })

  it("uses the user's own provider key, and a changed one within 1 s", async () => {
    const issued = await control.runPromise(
      Effect.flatMap(ApiKeys, (keys) => Effect.flatMap(keys.regenerate(userId), (k) => Effect.succeed(k)))
    )
    const key = Redacted.value(issued.key)
    fake.script = json(200, {
      id: "c",
      object: "chat.completion",
      created: 1,
      model: "gpt-4o-mini",
      choices: [
        { index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop", logprobs: null }
      ],
      usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 }
    })
    const client = new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 })
    const ask = () =>
      client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }] })

    // No platform key, no secret yet.
    await expect(ask()).rejects.toMatchObject({ status: 401 })

    const putSecret = (secret: string) =>
      control.runPromise(
        Effect.gen(function* () {
          const vault = yield* Vault
          const feed = yield* ChangeFeed
          yield* vault.put({ ownerId: userId, provider: "openai", secret: Redacted.make(secret) })
          yield* feed.publish({ _tag: "SecretChanged", userId, provider: "openai" })
        })
      )
    await putSecret("sk-first")
    const first = await statusWithin1s(
      () =>
        fetch(`${url}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }] })
        }),
      200
    )
    expect(first).toBe(200)
    expect(fake.received.at(-1)!.headers.authorization).toBe("Bearer sk-first")

    await putSecret("sk-second")
    const deadline = Date.now() + 1000
    let seen = ""
    while (Date.now() < deadline && seen !== "Bearer sk-second") {
      await ask()
      seen = String(fake.received.at(-1)!.headers.authorization)
    }
    expect(seen).toBe("Bearer sk-second")
  })

  it("writes one usage event per request to PostgreSQL", async () => {
    const issued = await control.runPromise(Effect.flatMap(ApiKeys, (keys) => keys.regenerate(userId)))
    const res = await echo(Redacted.value(issued.key))
    const requestId = res.headers.get("x-request-id")!
    expect(res.status).toBe(200)
    const rows = await control.runPromise(
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        for (let i = 0; i < 100; i++) {
          const found = yield* sql<{ outcome: string; provider: string }>`
            SELECT outcome, provider FROM usage_events WHERE request_id = ${requestId}`
          if (found.length > 0) return found
          yield* Effect.sleep("20 millis")
        }
        return []
      })
    )
    expect(rows).toEqual([{ outcome: "success", provider: "mock" }])
  })

  it("accepts a user bearer token (desktop clients) and records no key id", async () => {
    await control.runPromise(
      Effect.flatMap(
        SqlClient.SqlClient,
        (sql) => sql`INSERT INTO "session" ("id", "expiresAt", "token", "updatedAt", "userId")
                     VALUES ('s1', now() + interval '1 hour', encode(sha256('desktopSessionToken123'), 'hex'), now(), ${userId})`
      )
    )
    const res = await fetch(`${url}/api/chat`, {
      method: "POST",
      headers: {
        authorization: "Bearer desktopSessionToken123.signature",
        "content-type": "application/json"
      },
      body: JSON.stringify({ messages: [{ role: "user", content: "from the desktop" }], model: "mock/echo" })
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ content: "from the desktop", model: "mock/echo" })
    expect((await echo("notARealSession")).status).toBe(401)
  })

  it("answers /health with every check healthy", async () => {
    const res = await fetch(`${url}/health`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      status: "healthy",
      services: {
        database: "healthy",
        migrations: "healthy",
        changeFeed: "healthy (postgres listening)",
        ledger: "healthy"
      }
    })
  })
})
