/**
 * Switchyard's own users on the hub, against real PostgreSQL and Redis: an `ef_` API key and a
 * control-plane session token authenticate a socket (through `@switchyard/auth`'s verifiers), bad
 * ones are refused, and a real router request (the router's own main as a child, a fake OpenAI
 * upstream on loopback) arrives on the user's socket as a `usage` event, published through the
 * Redis emitter.
 */

import { type ChildProcess, spawn } from "node:child_process"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"
import { SqlClient } from "@effect/sql"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@effect/vitest"
import { ApiKeyFormat, ApiKeys, authMigrations, ChangeFeed } from "@switchyard/auth"
import { TestDatabase } from "@switchyard/db/testing"
import { ledgerMigrations } from "@switchyard/ledger"
import type { UsageLive } from "@switchyard/realtime"
import { vaultMigrations } from "@switchyard/vault"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { closeSockets, connect, type HubProcess, next, startHub, stopAll } from "./HubProcess.ts"

afterEach(closeSockets)

const redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379"
const prefix = `sy-test-${crypto.randomUUID().slice(0, 8)}`
const masterKey = Buffer.alloc(32, 9).toString("base64")
const routerMain = fileURLToPath(new URL("../../router/src/main.ts", import.meta.url))

const database = Layer.mergeAll(ApiKeys.layerPg).pipe(
  Layer.provideMerge(ChangeFeed.layerMemory),
  Layer.provideMerge(
    TestDatabase.layer("realtime_switchyard", [authMigrations, vaultMigrations, ledgerMigrations])
  )
)
let db: ManagedRuntime.ManagedRuntime<Layer.Layer.Success<typeof database>, unknown>
let databaseUrl: string
let apiKey: string
let hub: HubProcess
let upstream: http.Server
let upstreamUrl: string
let router: ChildProcess | undefined

const USER = "user-live-1"

beforeAll(async () => {
  db = ManagedRuntime.make(database)
  ;({ databaseUrl, apiKey } = await db.runPromise(
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* sql`INSERT INTO "user" ("id", "name", "email", "emailVerified") VALUES (${USER}, 'Live', 'live@example.com', true)`
      yield* sql`INSERT INTO "session" ("id", "expiresAt", "token", "updatedAt", "userId")
                 VALUES ('s-live', now() + interval '1 hour', ${ApiKeyFormat.hash("liveSessionToken0123456789abcdef")}, now(), ${USER})`
      yield* sql`INSERT INTO "session" ("id", "expiresAt", "token", "updatedAt", "userId")
                 VALUES ('s-old', now() - interval '1 hour', ${ApiKeyFormat.hash("expiredSessionToken0123456789abc")}, now(), ${USER})`
      const issued = yield* (yield* ApiKeys).create(USER)
      return {
        databaseUrl: Redacted.value(yield* TestDatabase.TestDatabaseUrl),
        apiKey: Redacted.value(issued.key)
      }
    })
  ))
  hub = await startHub({
    POSTGRES_CONNECTION_STRING: databaseUrl,
    REDIS_URL: redisUrl,
    REALTIME_REDIS_PREFIX: prefix
  })

  // A fake OpenAI: one chat completion with usage, in the exact wire format.
  upstream = http.createServer((req, res) => {
    req.resume()
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" })
      res.end(
        JSON.stringify({
          id: "chatcmpl-live",
          object: "chat.completion",
          created: 1_700_000_000,
          model: "gpt-4o-mini",
          choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
          usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 }
        })
      )
    })
  })
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve))
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`
})

afterAll(async () => {
  router?.kill("SIGKILL")
  await stopAll()
  await new Promise((resolve) => upstream?.close(resolve))
  await db?.dispose()
})

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = http.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })

/** The router's own main on a free port, publishing through Redis under this run's prefix. */
const startRouter = async () => {
  const port = await freePort()
  let output = ""
  router = spawn("bun", [routerMain], {
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      PORT: String(port),
      POSTGRES_CONNECTION_STRING: databaseUrl,
      VAULT_TOKEN_KEY: masterKey,
      OPENAI_API_KEY: "sk-platform-test",
      OPENAI_BASE_URL: `${upstreamUrl}/v1`,
      REDIS_URL: redisUrl,
      REALTIME_REDIS_PREFIX: prefix
    }
  })
  return new Promise<string>((resolve, reject) => {
    router!.stdout!.on("data", (data: Buffer) => {
      output += data.toString()
      if (/listening on/.test(output)) resolve(`http://127.0.0.1:${port}`)
    })
    router!.stderr!.on("data", (data: Buffer) => {
      output += data.toString()
    })
    router!.once("exit", (code) => reject(new Error(`the router exited with ${code}: ${output}`)))
  })
}

describe("Switchyard credentials", () => {
  it("authenticates an ef_ key and a session token as their user", async () => {
    const byKey = connect(hub.url, "websocket", apiKey)
    expect(await next(byKey, "authenticated")).toMatchObject({ user: { id: USER, via: "api_key" } })
    const bySession = connect(hub.url, "polling")
    await next(bySession, "connected")
    const authenticated = next(bySession, "authenticated")
    // As the control plane's sign-in returns it: `<session token>.<signature>`.
    bySession.emit("authenticate", { token: "liveSessionToken0123456789abcdef.c2lnbmF0dXJl" })
    expect(await authenticated).toMatchObject({ user: { id: USER, via: "session" } })
  })

  it("refuses a wrong key, a disabled key's lookalike and an expired session", async () => {
    // A socket per token, each well inside the hub's grace period (it drops a socket still
    // unauthenticated after 10 s); a disconnect fails the test with its reason rather than
    // leaving it waiting until the test timeout.
    for (const token of [
      // The key with its last character changed. A key's last character is one of only 16
      // (32 bytes in base64url), "A" among them: replacing it by "A" gave the key itself in one
      // run in 16, which authenticated and left this test waiting for a refusal.
      `${apiKey.slice(0, -1)}${apiKey.endsWith("A") ? "B" : "A"}`,
      "ef_short",
      "expiredSessionToken0123456789abc",
      "unknownToken"
    ]) {
      const socket = connect(hub.url, "websocket")
      await next(socket, "connected")
      const refused = new Promise<{ code: string }>((resolve, reject) => {
        socket.once("authentication_error", resolve)
        socket.once("disconnect", (reason: string) =>
          reject(new Error(`disconnected (${reason}) before the refusal of ${token}`))
        )
        // A refusal is one cached or indexed lookup: far longer than this is a hang, reported with
        // the token and the hub's own output rather than as the runner's bare timeout.
        setTimeout(
          () =>
            reject(
              new Error(`no refusal of ${token} within 30 s; the hub said:\n${hub.output().slice(-4000)}`)
            ),
          30_000
        ).unref()
      })
      socket.emit("authenticate", { token })
      expect((await refused).code).toBe("AUTH_FAILED")
      socket.close()
    }
  })
})

describe("live usage", () => {
  it("delivers a real router request's usage event to the user's socket", async () => {
    const socket = connect(hub.url, "websocket", apiKey)
    await next(socket, "authenticated")
    const routerUrl = await startRouter()
    const usage = next<UsageLive>(socket, "usage")
    const res = await fetch(`${routerUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hello" }] })
    })
    expect(res.status).toBe(200)
    const requestId = res.headers.get("x-request-id")
    await res.json()
    const event = await usage
    expect(event).toMatchObject({
      requestId,
      model: "gpt-4o-mini",
      provider: "openai",
      status: 200,
      outcome: "success",
      inputTokens: 12,
      outputTokens: 5,
      stream: false
    })
    expect(event.costMicros).toBeGreaterThan(0)
    expect(event.latencyMs).toBeGreaterThanOrEqual(0)
  })
})
