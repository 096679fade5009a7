/**
 * The router as it runs in production under bun (issue 22): its own main as a child process, the
 * public port served by the serving thread (a Worker), the other routes by the owning thread over
 * a Unix socket, against real PostgreSQL and a fake OpenAI upstream on loopback. Shows that both
 * threads together behave as one router: a real key verified (cache miss answered by the owning
 * thread), one limiter for the routes of both threads, a key disabled in the control plane refused
 * by the serving thread's cache at once, the ledger holding exactly one row per answered request,
 * and SIGTERM letting a stream in flight finish before the ledger is flushed.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { ApiKeys, authMigrations, ChangeFeed } from "@switchyard/auth"
import { TestDatabase } from "@switchyard/db/testing"
import { ledgerMigrations } from "@switchyard/ledger"
import { vaultMigrations } from "@switchyard/vault"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { withAllocatorSetting } from "../src/Allocator.ts"
import { openaiResponse, openaiResponseStream, openaiUsage, outputMessage } from "./ResponsesWire.ts"

const routerMain = fileURLToPath(new URL("../src/main.ts", import.meta.url))
const USER = "user-serving-1"
const RPM = 6

const database = ApiKeys.layerPg.pipe(
  Layer.provideMerge(ChangeFeed.layerPg),
  Layer.provideMerge(
    TestDatabase.layer("router_serving", [authMigrations, vaultMigrations, ledgerMigrations])
  )
)
let db: ManagedRuntime.ManagedRuntime<Layer.Layer.Success<typeof database>, unknown>
let databaseUrl: string
let apiKey: string
let upstream: http.Server
let upstreamUrl: string
let workDir: string

const completion = JSON.stringify({
  id: "chatcmpl-serving",
  object: "chat.completion",
  created: 1_700_000_000,
  model: "gpt-4o-mini",
  choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 }
})

const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  `data: ${JSON.stringify({
    id: "chatcmpl-slow",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model: "gpt-4o-mini",
    choices: [{ index: 0, delta, finish_reason: null }],
    ...extra
  })}\n\n`

/** Longer than Bun's default `idleTimeout` (10 s, checked every 4 s or so). */
const PAUSE_MS = 15_000
const pausedResponseStream = openaiResponseStream(
  openaiResponse("resp_paused", [outputMessage("msg_paused", "thought it over")], openaiUsage(7, 0, 3))
)

beforeAll(async () => {
  db = ManagedRuntime.make(database)
  ;({ databaseUrl, apiKey } = await db.runPromise(
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* sql`INSERT INTO "user" ("id", "name", "email", "emailVerified") VALUES (${USER}, 'Serving', 'serving@example.com', true)`
      const issued = yield* (yield* ApiKeys).create(USER)
      return {
        databaseUrl: Redacted.value(yield* TestDatabase.TestDatabaseUrl),
        apiKey: Redacted.value(issued.key)
      }
    })
  ))
  // A fake OpenAI: a JSON completion, or (for `"user": "slow"`) a stream whose chunks take 1.2 s.
  upstream = http.createServer((req, res) => {
    let body = ""
    req.on("data", (data: Buffer) => {
      body += data.toString()
    })
    req.on("end", () => {
      // The router's provider health check lists models (GET /v1/models, no body).
      if (req.method === "GET") {
        res.writeHead(200, { "content-type": "application/json" })
        res.end(
          JSON.stringify({
            object: "list",
            data: [{ id: "gpt-4o-mini", object: "model", created: 0, owned_by: "openai" }]
          })
        )
        return
      }
      const parsed = JSON.parse(body) as { stream?: boolean; user?: string }
      if (req.url?.endsWith("/responses")) {
        // A Responses stream that goes quiet after its first event for longer than Bun's idle
        // timeout (10 s), as a reasoning model does while it thinks.
        // A comment, then `response.created`; the rest after the pause.
        const events = pausedResponseStream.split(/(?<=\r\n\r\n)/)
        res.writeHead(200, { "content-type": "text/event-stream" })
        res.write(events.slice(0, 2).join(""))
        setTimeout(() => res.end(events.slice(2).join("")), PAUSE_MS)
        return
      }
      if (parsed.stream !== true) {
        res.writeHead(200, { "content-type": "application/json" })
        res.end(completion)
        return
      }
      res.writeHead(200, { "content-type": "text/event-stream" })
      res.write(chunk({ role: "assistant", content: "" }))
      const parts = ["one ", "two ", "three"]
      let sent = 0
      const timer = setInterval(() => {
        if (sent < parts.length) {
          res.write(chunk({ content: parts[sent++] }))
          return
        }
        clearInterval(timer)
        res.write(chunk({}, { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }))
        res.write(
          `data: ${JSON.stringify({ id: "chatcmpl-slow", object: "chat.completion.chunk", created: 1_700_000_000, model: "gpt-4o-mini", choices: [], usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 } })}\n\n`
        )
        res.end("data: [DONE]\n\n")
      }, 400)
    })
  })
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve))
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "switchyard-serving-"))
  fs.writeFileSync(path.join(workDir, "routing.yaml"), `limits:\n  user: { rpm: ${RPM} }\n`)
}, 60_000)

afterAll(async () => {
  await new Promise((resolve) => upstream?.close(resolve))
  await db?.dispose()
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true })
})

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = http.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })

interface Started {
  readonly url: string
  readonly child: ChildProcess
  readonly output: () => string
  readonly exited: Promise<number | null>
}

/** The router's own main under bun, serving thread on (the default), with `extraEnv` added. */
const startRouter = async (extraEnv: Record<string, string> = {}): Promise<Started> => {
  const port = await freePort()
  let output = ""
  const child = spawn("bun", [routerMain], {
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      PORT: String(port),
      POSTGRES_CONNECTION_STRING: databaseUrl,
      VAULT_TOKEN_KEY: Buffer.alloc(32, 7).toString("base64"),
      OPENAI_API_KEY: "sk-platform-test",
      OPENAI_BASE_URL: `${upstreamUrl}/v1`,
      SWITCHYARD_CONFIG: path.join(workDir, "routing.yaml"),
      SHUTDOWN_GRACE_MS: "10000",
      ...extraEnv
    }
  })
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`router did not start:\n${output}`)), 60_000)
    const read = (data: Buffer) => {
      output += data.toString()
      if (/listening on .*\(serving thread, /.test(output)) {
        clearTimeout(timer)
        resolve(`http://127.0.0.1:${port}`)
      }
    }
    child.stdout!.on("data", read)
    child.stderr!.on("data", read)
    child.on("exit", () => reject(new Error(`router exited:\n${output}`)))
  })
  return { url, child, output: () => output, exited }
}

const chat = (url: string, body: Record<string, unknown> = {}) =>
  fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], ...body })
  })

const syncFailed = (url: string, n: number) =>
  fetch(`${url}/v1/sync/failed-request`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({
      request_id: `failed-${n}`,
      original_timestamp: new Date().toISOString(),
      request_data: { model: "gpt-4o-mini" },
      error: "timeout"
    })
  })

const usageRows = () =>
  db.runPromise(
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql<{ n: number }>`SELECT count(*)::int AS n FROM usage_events WHERE user_id = ${USER}`.pipe(
        Effect.map((rows) => rows[0]?.n ?? 0)
      )
    )
  )

describe("the serving thread (bun, SERVING_THREAD default)", () => {
  it("serves both threads' routes as one router: one limiter, one key cache kept current, one ledger", async () => {
    const before = await usageRows()
    const router = await startRouter()
    /** Chat answers to a known caller: each must leave exactly one usage row. */
    let recorded = 0
    try {
      // Started without the allocator setting `bun run start` gives it: the operator is told.
      expect(router.output()).toContain("MIMALLOC_PURGE_DELAY is not set")
      // By default the serving thread runs its program bundled at start-up (ServingProgram.ts).
      expect(router.output()).toContain("(serving thread, bundled program)")
      expect(router.output()).not.toContain("could not be bundled")
      // Served by the owning thread through the serving thread's port.
      const health = await fetch(`${router.url}/health`)
      expect(health.status).toBe(200)
      expect(((await health.json()) as { limits: { backend: string } }).limits.backend).toBe("memory")

      // Half the minute's requests on the serving thread's route, half on the owning thread's:
      // one limiter counts them all, and the next on either route is refused.
      const answered: Array<number> = []
      for (let i = 0; i < RPM / 2; i++) {
        const chatted = await chat(router.url)
        recorded++
        answered.push(chatted.status)
        expect(
          ((await chatted.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]?.message
            .content
        ).toBe("hi")
        const synced = await syncFailed(router.url, i)
        answered.push(synced.status)
        await synced.text()
      }
      expect(answered).toEqual(Array.from({ length: RPM }, () => 200))
      const refusedChat = await chat(router.url)
      recorded++
      expect(refusedChat.status).toBe(429)
      expect(refusedChat.headers.get("x-ratelimit-remaining-requests")).toBe("0")
      const refusedSync = await syncFailed(router.url, 99)
      expect(refusedSync.status).toBe(429)

      // Disabled in the control plane: the change reaches the serving thread's cache.
      await db.runPromise(Effect.flatMap(ApiKeys, (keys) => keys.setEnabled(USER, false)))
      let status = 0
      for (let tries = 0; tries < 100 && status !== 401; tries++) {
        const response = await chat(router.url)
        status = response.status
        if (status !== 401) recorded++
        await response.text()
        if (status !== 401) await new Promise((resolve) => setTimeout(resolve, 50))
      }
      expect(status).toBe(401)
      await db.runPromise(Effect.flatMap(ApiKeys, (keys) => keys.setEnabled(USER, true)))
    } finally {
      router.child.kill("SIGTERM")
      expect(await router.exited).toBe(0)
    }
    // Every chat answered to the known caller (the 200s, the 429s) left exactly one usage row,
    // flushed on SIGTERM; an unknown key's 401 and the failed-request syncs leave none.
    expect((await usageRows()) - before).toBe(recorded)
  }, 120_000)

  it("on SIGTERM lets a stream in flight finish, then flushes its usage to the ledger and exits 0", async () => {
    const before = await usageRows()
    // Started as `bun run start` starts it: nothing to tell about the allocator.
    const router = await startRouter(withAllocatorSetting({}))
    expect(router.output()).not.toContain("MIMALLOC_PURGE_DELAY")
    // A new process: its limiter starts empty (limits in memory).
    const response = await chat(router.url, {
      stream: true,
      stream_options: { include_usage: true },
      user: "slow"
    })
    expect(response.status).toBe(200)
    const reader = response.body!.getReader()
    const first = await reader.read()
    expect(new TextDecoder().decode(first.value)).toContain("chat.completion.chunk")
    router.child.kill("SIGTERM")
    let text = new TextDecoder().decode(first.value)
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      text += new TextDecoder().decode(value)
    }
    expect(text).toContain("three")
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true)
    expect(await router.exited).toBe(0)
    expect((await usageRows()) - before).toBe(1)
    expect(router.output()).toContain("SIGTERM received")
  }, 120_000)

  it("refuses to start with a SERVING_BUNDLE it does not know, naming it", async () => {
    const started = startRouter({ SERVING_BUNDLE: "maybe" })
    await expect(started).rejects.toThrow(/router exited[\s\S]*SERVING_BUNDLE/)
  }, 60_000)

  it("lets a stream the owning thread answers (/v1/responses) pause longer than Bun's idle timeout", async () => {
    // Also the serving thread as worker.ts, unbundled: it serves the same way.
    const router = await startRouter({ SERVING_BUNDLE: "off" })
    try {
      expect(router.output()).toContain("(serving thread, source program)")
      const response = await fetch(`${router.url}/v1/responses`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-4o-mini", input: "think", stream: true, store: false })
      })
      expect(response.status).toBe(200)
      const text = await response.text()
      // The whole stream, not one cut when the owning thread's listener thought it idle.
      expect(text).toContain("response.created")
      expect(text).toContain("thought it over")
      expect(text).toContain("response.completed")
    } finally {
      router.child.kill("SIGTERM")
      expect(await router.exited).toBe(0)
    }
  }, 120_000)
})
