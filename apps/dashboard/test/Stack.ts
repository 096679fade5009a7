/**
 * A whole Switchyard stack for the browser journey, started as the real processes `bun run start`
 * runs (`bun apps/<app>/src/main.ts` for the control plane, router, realtime hub and vibe API, the
 * dashboard's `src/serve.ts`) on free ports, over a fresh PostgreSQL database of its own and a
 * fake OpenAI upstream on loopback.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as net from "node:net"
import * as path from "node:path"
import pg from "pg"
import { type FakeOpenAI, startFakeOpenAI } from "./FakeOpenAI.ts"

const root = path.resolve(import.meta.dirname, "../../..")
const SERVER_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test"

/** A port free at the time of asking (the app binds it right after). */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
    server.on("error", reject)
  })

const admin = async (text: string) => {
  const client = new pg.Client({ connectionString: SERVER_URL })
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}

interface Running {
  readonly name: string
  readonly child: ChildProcess
  readonly output: Array<string>
}

/** Every app started, so none outlives the test process whatever happens to it. */
const started = new Set<ChildProcess>()
process.on("exit", () => {
  for (const child of started) child.kill("SIGKILL")
})

const start = (name: string, args: ReadonlyArray<string>, env: Record<string, string>): Running => {
  const child = spawn("bun", args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  started.add(child)
  child.once("exit", () => started.delete(child))
  const output: Array<string> = []
  child.stdout?.on("data", (data) => output.push(String(data)))
  child.stderr?.on("data", (data) => output.push(String(data)))
  return { name, child, output }
}

const waitFor = async (app: Running, url: string, deadlineMs: number) => {
  const deadline = Date.now() + deadlineMs
  for (;;) {
    if (app.child.exitCode !== null) {
      throw new Error(`${app.name} exited (${app.child.exitCode}):\n${app.output.join("")}`)
    }
    const last = await fetch(url, { signal: AbortSignal.timeout(5_000) }).then(
      async (response) => (response.ok ? undefined : `HTTP ${response.status} ${await response.text()}`),
      (error: unknown) => String(error)
    )
    if (last === undefined) return
    if (Date.now() > deadline) {
      throw new Error(`${app.name} not ready at ${url} (${last}):\n${app.output.join("")}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

const stop = async (app: Running) => {
  if (app.child.exitCode !== null || app.child.signalCode !== null) return
  const exited = new Promise((resolve) => app.child.once("exit", resolve))
  app.child.kill("SIGTERM")
  const timer = setTimeout(() => app.child.kill("SIGKILL"), 10_000)
  await exited
  clearTimeout(timer)
}

/** The started stack: where each part is. */
export interface Stack {
  readonly dashboardUrl: string
  readonly controlPlaneUrl: string
  readonly routerUrl: string
  readonly realtimeUrl: string
  readonly vibeUrl: string
  readonly upstream: FakeOpenAI
  /** The stack's own database, for a failure message's evidence. */
  readonly databaseUrl: string
  /** Everything the apps printed, for a failure message. */
  readonly logs: () => string
  readonly stop: () => Promise<void>
}

/** Starts the stack; the dashboard and control plane on `localhost` so the session cookie is shared. */
export const startStack = async (): Promise<Stack> => {
  const began = Date.now()
  const database = `sy_dashboard_${crypto.randomUUID().slice(0, 8)}`
  await admin(`CREATE DATABASE "${database}"`)
  const databaseUrl = new URL(SERVER_URL)
  databaseUrl.pathname = `/${database}`
  const upstream = await startFakeOpenAI()
  const [dashboardPort, controlPlanePort, routerPort, realtimePort, vibePort, vibeAppsPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort()
  ]
  const dashboardUrl = `http://localhost:${dashboardPort}`
  const controlPlaneUrl = `http://localhost:${controlPlanePort}`
  const routerUrl = `http://localhost:${routerPort}`
  const realtimeUrl = `http://localhost:${realtimePort}`
  const vibeUrl = `http://localhost:${vibePort}`
  // The router publishes each usage event to the hub's broadcast API with this key.
  const broadcastKey = `broadcast-${crypto.randomUUID()}`
  const shared = {
    POSTGRES_CONNECTION_STRING: databaseUrl.toString(),
    VAULT_TOKEN_KEY: Buffer.alloc(32, 9).toString("base64"),
    CORS_ORIGIN: dashboardUrl
  }
  const apps = [
    start("dashboard", ["apps/dashboard/src/serve.ts"], {
      PORT: String(dashboardPort),
      HOST: "127.0.0.1",
      CONTROL_PLANE_URL: controlPlaneUrl,
      ROUTER_URL: routerUrl,
      REALTIME_URL: realtimeUrl,
      VIBE_URL: vibeUrl
    }),
    start("control-plane", ["apps/control-plane/src/main.ts"], {
      ...shared,
      PORT: String(controlPlanePort),
      BETTER_AUTH_SECRET: "dashboard-test-secret-0123456789-abcdefghijklmnop",
      BETTER_AUTH_BASE_URL: controlPlaneUrl
    }),
    start("router", ["apps/router/src/main.ts"], {
      ...shared,
      PORT: String(routerPort),
      OPENAI_BASE_URL: `${upstream.url}/v1`,
      MOCK_PROVIDER: "true",
      REALTIME_URL: `http://127.0.0.1:${realtimePort}`,
      REALTIME_API_KEY: broadcastKey
    }),
    start("realtime", ["apps/realtime/src/main.ts"], {
      ...shared,
      PORT: String(realtimePort),
      HOST: "127.0.0.1",
      LARAVEL_API_KEY: broadcastKey
    }),
    start("vibe", ["apps/vibe/src/main.ts"], {
      ...shared,
      PORT: String(vibePort),
      VIBE_APPS_PORT: String(vibeAppsPort),
      VIBE_ROUTER_URL: `http://127.0.0.1:${routerPort}`,
      // The mock model makes a small working app: no provider key needed.
      VIBE_MODEL: "mock/vibe",
      VIBE_EXPLAIN_MODEL: "off",
      MODAL_VIBE_ALLOWED_ORIGINS: dashboardUrl
    })
  ]
  const stopAll = async () => {
    await Promise.all(apps.map(stop))
    await upstream.close()
    await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`)
  }
  const log = (what: string) => {
    if (process.env.DEBUG_DASHBOARD) console.log(`stack: ${what} after ${Date.now() - began} ms`)
  }
  try {
    await waitFor(apps[0]!, `http://127.0.0.1:${dashboardPort}/config.json`, 300_000)
    log("dashboard ready")
    await waitFor(apps[1]!, `http://127.0.0.1:${controlPlanePort}/health`, 300_000)
    log("control plane ready")
    await waitFor(apps[2]!, `http://127.0.0.1:${routerPort}/health`, 300_000)
    log("router ready")
    await waitFor(apps[3]!, `http://127.0.0.1:${realtimePort}/health`, 300_000)
    log("realtime hub ready")
    await waitFor(apps[4]!, `http://127.0.0.1:${vibePort}/health`, 300_000)
    log("vibe API ready")
  } catch (error) {
    await stopAll()
    throw error
  }
  return {
    dashboardUrl,
    controlPlaneUrl,
    routerUrl,
    realtimeUrl,
    vibeUrl,
    upstream,
    databaseUrl: databaseUrl.toString(),
    logs: () => apps.map((app) => `--- ${app.name}\n${app.output.join("")}`).join("\n"),
    stop: stopAll
  }
}
