/**
 * The router and the control plane started as `bun run start` starts them (`bun apps/<app>/src/main.ts`)
 * on free ports over a fresh PostgreSQL database of their own, for the tests that drive the seeds'
 * clients against a real deployment.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as net from "node:net"
import * as path from "node:path"
import pg from "pg"

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

interface App {
  readonly name: string
  readonly child: ChildProcess
  readonly output: Array<string>
}

/** Every app started, so none outlives the test process whatever happens to it. */
const started = new Set<ChildProcess>()
process.on("exit", () => {
  for (const child of started) child.kill("SIGKILL")
})

const start = (name: string, entry: string, env: Record<string, string>): App => {
  const child = spawn("bun", [entry], {
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

const waitFor = async (app: App, url: string, deadlineMs: number) => {
  const deadline = Date.now() + deadlineMs
  for (;;) {
    if (app.child.exitCode !== null)
      throw new Error(`${app.name} exited (${app.child.exitCode}):\n${app.output.join("")}`)
    const failure = await fetch(url, { signal: AbortSignal.timeout(5_000) }).then(
      async (response) => (response.ok ? undefined : `HTTP ${response.status} ${await response.text()}`),
      (error: unknown) => String(error)
    )
    if (failure === undefined) return
    if (Date.now() > deadline)
      throw new Error(`${app.name} not ready at ${url} (${failure}):\n${app.output.join("")}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

const stop = async (app: App) => {
  if (app.child.exitCode !== null || app.child.signalCode !== null) return
  const exited = new Promise((resolve) => app.child.once("exit", resolve))
  app.child.kill("SIGTERM")
  const timer = setTimeout(() => app.child.kill("SIGKILL"), 10_000)
  await exited
  clearTimeout(timer)
}

/** A started router and control plane. */
export interface SeedStack {
  readonly routerUrl: string
  readonly controlPlaneUrl: string
  /** Everything the apps printed, for a failure message. */
  readonly logs: () => string
  readonly stop: () => Promise<void>
}

/** What the apps are started with. */
export interface SeedStackOptions {
  /** For both apps (the database, secrets, the master key are added unless given). */
  readonly shared: Record<string, string>
  readonly router?: Record<string, string>
  readonly controlPlane?: Record<string, string>
}

/** Starts both apps on `127.0.0.1` (through `HOST`), each on a free port. */
export const startSeedStack = async (options: SeedStackOptions): Promise<SeedStack> => {
  const database = `sy_seeds_${crypto.randomUUID().slice(0, 8)}`
  await admin(`CREATE DATABASE "${database}"`)
  const databaseUrl = new URL(SERVER_URL)
  databaseUrl.pathname = `/${database}`
  const [routerPort, controlPlanePort] = [await freePort(), await freePort()]
  const controlPlaneUrl = `http://127.0.0.1:${controlPlanePort}`
  const routerUrl = `http://127.0.0.1:${routerPort}`
  const shared = {
    POSTGRES_CONNECTION_STRING: databaseUrl.toString(),
    BETTER_AUTH_SECRET: "seed-stack-test-secret-0123456789-abcdefghijkl",
    BETTER_AUTH_BASE_URL: controlPlaneUrl,
    HOST: "127.0.0.1",
    ...options.shared
  }
  const apps = [
    start("control-plane", "apps/control-plane/src/main.ts", {
      ...shared,
      ...options.controlPlane,
      PORT: String(controlPlanePort)
    }),
    start("router", "apps/router/src/main.ts", { ...shared, ...options.router, PORT: String(routerPort) })
  ]
  const stopAll = async () => {
    await Promise.all(apps.map(stop))
    await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`)
  }
  try {
    await waitFor(apps[0]!, `${controlPlaneUrl}/health`, 240_000)
    await waitFor(apps[1]!, `${routerUrl}/health`, 240_000)
  } catch (error) {
    await stopAll()
    throw error
  }
  return {
    routerUrl,
    controlPlaneUrl,
    logs: () => apps.map((app) => `--- ${app.name}\n${app.output.join("")}`).join("\n"),
    stop: stopAll
  }
}
