/**
 * Switchyard as a benchmark target, the way it runs in production: the real router under bun
 * (`NODE_ENV=production`), a PostgreSQL database of its own, a real `ef_` key created through the
 * control plane's public API (sign-up, then `POST /v1/apikey`), API-key auth, limits and usage
 * recording on. The database is dropped and created again at every run, so the usage rows
 * counted at the end are this run's.
 */
import { randomBytes } from "node:crypto"
import { writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { SQL } from "bun"
import { PURGE_DELAY_VARIABLE, purgeDelayFor } from "../../apps/router/src/Allocator.ts"
import { answersHttp, type Child, type Processes, waitUntil } from "./Processes.ts"
import { type Target, upstreamKeys } from "./Target.ts"

const repoRoot = fileURLToPath(new URL("../..", import.meta.url))

/** Where Switchyard's code and data live for this run. */
export interface SwitchyardOptions {
  readonly routerEntry: string
  readonly controlPlaneEntry: string
  /** A server URL whose database is replaced by a fresh `switchyard_bench`, or a database used as is. */
  readonly databaseUrl: string
  readonly recreateDatabase: boolean
  readonly upstreamUrl: string
  readonly workDir: string
  /** Extra arguments for bun before the entry (e.g. `--cpu-prof`). */
  readonly bunFlags?: ReadonlyArray<string>
  /** Extra environment for the router (e.g. `SERVING_THREAD`, `BUN_JSC_logGC`). */
  readonly routerEnv?: Record<string, string>
}

/** The prepared deployment: the key, the shared environment, the database. */
export interface Deployment {
  readonly key: string
  readonly env: Record<string, string>
  readonly databaseUrl: string
}

/** The database the bench uses: `BENCH_DATABASE_URL` as is, else a fresh one on the test server. */
export const databaseFromEnv = (): { readonly url: string; readonly recreate: boolean } => {
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: the bench is not a turbo task
  const explicit = process.env.BENCH_DATABASE_URL
  if (explicit !== undefined && explicit !== "") return { url: explicit, recreate: false }
  const server = new URL(process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test")
  server.pathname = "/switchyard_bench"
  return { url: server.toString(), recreate: true }
}

const recreateDatabase = async (url: string): Promise<void> => {
  const target = new URL(url)
  const name = decodeURIComponent(target.pathname.slice(1))
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`refusing to recreate database named ${name}`)
  const admin = new URL(url)
  admin.pathname = "/postgres"
  const sql = new SQL(admin.toString())
  try {
    await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await sql.unsafe(`CREATE DATABASE ${name}`)
  } finally {
    await sql.close()
  }
}

/**
 * The routing file: every kind of limit (requests and tokens per minute, concurrency, a monthly
 * budget) for the user and the key, far above what one machine can send so none refuses a
 * request, but configured, so the router's limiter admits and settles every request as it does
 * in production.
 */
const routingFile = `# Written by bench/gateway: limits on, too high to refuse anything.
limits:
  user: { rpm: 1000000000, tpm: 1000000000000, concurrency: 100000, budget: { usd: "1000000000", period: month } }
  key: { rpm: 1000000000, tpm: 1000000000000, concurrency: 100000 }
`

const cookieHeader = (response: Response): string =>
  response.headers
    .getSetCookie()
    .map((cookie) => cookie.split(";")[0])
    .join("; ")

/**
 * Creates the database, runs the control plane once to sign a user up and create their `ef_`
 * key, and stops it again.
 */
export const prepare = async (
  processes: Processes,
  options: SwitchyardOptions,
  controlPlanePort: number
): Promise<Deployment> => {
  if (options.recreateDatabase) await recreateDatabase(options.databaseUrl)
  const routingPath = `${options.workDir}/switchyard.yaml`
  writeFileSync(routingPath, routingFile)
  const env: Record<string, string> = {
    NODE_ENV: "production",
    POSTGRES_CONNECTION_STRING: options.databaseUrl,
    LEDGER_PG_CONNECTION_STRING: options.databaseUrl,
    VAULT_TOKEN_KEY: randomBytes(32).toString("base64"),
    BETTER_AUTH_SECRET: randomBytes(32).toString("hex"),
    BETTER_AUTH_BASE_URL: `http://127.0.0.1:${controlPlanePort}`,
    OPENAI_BASE_URL: `${options.upstreamUrl}/v1`,
    OPENAI_API_KEY: upstreamKeys.switchyard,
    SWITCHYARD_CONFIG: routingPath
  }
  const base = `http://127.0.0.1:${controlPlanePort}`
  const controlPlane = processes.start({
    name: "control-plane",
    cmd: ["bun", options.controlPlaneEntry],
    env: { ...env, PORT: String(controlPlanePort) },
    cwd: repoRoot
  })
  try {
    await waitUntil(controlPlane, answersHttp(`${base}/health`), 60_000)
    const signUp = await fetch(`${base}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: base },
      body: JSON.stringify({ email: "bench@switchyard.test", password: "bench-password-0000", name: "Bench" })
    })
    const signUpBody = await signUp.text()
    if (!signUp.ok) throw new Error(`sign-up failed: ${signUp.status} ${signUpBody}`)
    const token = (JSON.parse(signUpBody) as { token?: string | null }).token
    const headers: Record<string, string> = { cookie: cookieHeader(signUp), origin: base }
    if (typeof token === "string") headers.authorization = `Bearer ${token}`
    const created = await fetch(`${base}/v1/apikey`, { method: "POST", headers })
    const createdBody = await created.text()
    if (!created.ok) throw new Error(`POST /v1/apikey failed: ${created.status} ${createdBody}`)
    const key = (JSON.parse(createdBody) as { key?: unknown }).key
    if (typeof key !== "string" || !key.startsWith("ef_")) {
      throw new Error(`POST /v1/apikey returned no ef_ key: ${createdBody}`)
    }
    return { key, env, databaseUrl: options.databaseUrl }
  } finally {
    await processes.stop(controlPlane)
  }
}

/** Starts the router against a prepared deployment and waits until it answers. */
export const startRouter = async (
  processes: Processes,
  options: SwitchyardOptions,
  deployment: Deployment,
  port: number
): Promise<Target> => {
  const child: Child = processes.start({
    proxy: true,
    name: "router",
    cmd: ["bun", ...(options.bunFlags ?? []), options.routerEntry],
    env: {
      ...deployment.env,
      // As `bun run start` starts it: bun's allocator keeps freed memory (apps/router/src/Allocator.ts).
      // A value in the bench's own environment wins, for runs that measure without it.
      [PURGE_DELAY_VARIABLE]: purgeDelayFor(process.env),
      PORT: String(port),
      // `main` measures the router without its serving thread (before/after issue 22).
      // biome-ignore lint/suspicious/noUndeclaredEnvVars: the bench is not a turbo task
      ...(process.env.BENCH_SERVING_THREAD ? { SERVING_THREAD: process.env.BENCH_SERVING_THREAD } : {}),
      ...options.routerEnv
    },
    cwd: repoRoot
  })
  await waitUntil(child, answersHttp(`http://127.0.0.1:${port}/health`), 60_000)
  return {
    name: "switchyard",
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    headers: { Authorization: `Bearer ${deployment.key}` },
    child
  }
}

/**
 * Usage rows the ledger wrote, to check that accounting was on (call after the router has
 * stopped: its writer flushes on shutdown). `undefined` when there is no such table.
 */
export const usageRows = async (databaseUrl: string): Promise<number | undefined> => {
  const sql = new SQL(databaseUrl)
  try {
    const rows = await sql.unsafe("SELECT to_regclass('usage_events') IS NOT NULL AS present")
    if (rows[0]?.present !== true) return undefined
    const counted = await sql.unsafe("SELECT count(*)::int AS n FROM usage_events")
    return Number(counted[0]?.n)
  } finally {
    await sql.close()
  }
}

/**
 * Usage rows per outcome (`success: 956419, client_abort: 39`): wrk closes its connections at the
 * end of every cell, so a few requests end as `client_abort`, some before they were forwarded
 * (a row, and nothing at the upstream), which is why rows can exceed what the upstream answered.
 */
export const usageOutcomes = async (databaseUrl: string): Promise<string> => {
  const sql = new SQL(databaseUrl)
  try {
    const rows = await sql.unsafe(
      "SELECT outcome, count(*)::int AS n FROM usage_events GROUP BY outcome ORDER BY n DESC"
    )
    return (rows as Array<{ outcome: string; n: number }>).map((row) => `${row.outcome}: ${row.n}`).join(", ")
  } catch {
    return "outcomes unknown"
  } finally {
    await sql.close()
  }
}
