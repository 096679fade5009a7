/**
 * The real `main.ts` as a child process, probed from the moment it starts: every probe gets an
 * answer (503 while it starts, then 200), none hangs. The test holds the migrations' advisory
 * lock for a while, so the start-up window is certain to be open while it probes.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { createServer } from "node:net"
import { fileURLToPath } from "node:url"
import { TestDatabase } from "@switchyard/db/testing"
import { Effect } from "effect"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url))
/** The key `Migrations.run` locks (packages/db/src/Migrations.ts). */
const MIGRATION_LOCK_KEY = 7_341_220_917

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })

type Probe =
  | { readonly kind: "refused" }
  | { readonly kind: "answer"; readonly status: number; readonly body: string }

/** One probe; a probe that gets no answer within 15 s counts as hung and fails the test. */
const probe = async (url: string): Promise<Probe> => {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(15_000) })
    return { kind: "answer", status: response.status, body: await response.text() }
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause
    if (cause?.code === "ECONNREFUSED") return { kind: "refused" }
    throw new Error(`a /health probe got no answer: ${String(error)}`)
  }
}

describe("control plane start-up", () => {
  let child: ChildProcess | undefined
  let databaseUrl = ""
  let dropDatabase: () => Promise<void> = async () => undefined
  const output: Array<string> = []

  beforeAll(async () => {
    const server = await Effect.runPromise(TestDatabase.serverUrl)
    const name = `sy_cp_startup_${crypto.randomUUID().slice(0, 8)}`
    const admin = new pg.Client({ connectionString: server })
    await admin.connect()
    await admin.query(`CREATE DATABASE "${name}"`)
    await admin.end()
    const parsed = new URL(server)
    parsed.pathname = `/${name}`
    databaseUrl = parsed.toString()
    dropDatabase = async () => {
      const c = new pg.Client({ connectionString: server })
      await c.connect()
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
      await c.end()
    }
  })

  afterAll(async () => {
    if (child !== undefined && child.exitCode === null) {
      child.kill("SIGTERM")
      await new Promise((resolve) => child?.once("exit", resolve))
    }
    await dropDatabase()
  })

  it("answers every /health probe from the start: 503 until ready, then 200", async () => {
    // Holding the migrations' lock keeps the control plane in its start-up for as long as we like.
    const locker = new pg.Client({ connectionString: databaseUrl })
    await locker.connect()
    await locker.query("BEGIN")
    await locker.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`)

    const port = await freePort()
    const { REDIS_URL: _redis, ...env } = process.env
    child = spawn("bun", [MAIN], {
      env: {
        ...env,
        PORT: String(port),
        POSTGRES_CONNECTION_STRING: databaseUrl,
        BETTER_AUTH_SECRET: "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
        VAULT_TOKEN_KEY: Buffer.alloc(32, 7).toString("base64")
      },
      stdio: ["ignore", "pipe", "pipe"]
    })
    child.stdout?.on("data", (chunk) => output.push(String(chunk)))
    child.stderr?.on("data", (chunk) => output.push(String(chunk)))
    const url = `http://127.0.0.1:${port}/health`

    const answers: Array<Probe> = []
    // Until it listens (connection refused is an answer of its own: nothing is bound yet) ...
    while (true) {
      if (child.exitCode !== null) throw new Error(`control plane exited: ${output.join("")}`)
      const result = await probe(url)
      if (result.kind === "answer") {
        answers.push(result)
        break
      }
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    // ... then, while it is blocked in its migrations, a burst of probes at once: all answered.
    answers.push(...(await Promise.all(Array.from({ length: 20 }, () => probe(url)))))
    expect(answers.map((a) => (a.kind === "answer" ? a.status : a.kind))).toEqual(Array(21).fill(503))
    const first = answers[0] as Extract<Probe, { kind: "answer" }>
    expect(JSON.parse(first.body)).toMatchObject({ _tag: "ServiceUnavailable" })

    await locker.query("COMMIT")
    await locker.end()
    // Ready: probes go on being answered (503 or 200) until the first 200.
    for (;;) {
      const result = await probe(url)
      if (result.kind !== "answer") throw new Error("stopped listening")
      expect([503, 200]).toContain(result.status)
      if (result.status === 200) {
        expect(JSON.parse(result.body).status).toBe("ok")
        break
      }
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  })
})
