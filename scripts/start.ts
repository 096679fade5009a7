/**
 * `bun run start`: runs Switchyard on this machine.
 *
 * Without `POSTGRES_CONNECTION_STRING` (local mode) it boots an embedded PostgreSQL with its data
 * under `./.data/`, generates the secrets it needs once (kept in `./.data/secrets.json`), and
 * starts the control plane (:8000), the router (:8080), the realtime hub (:8070) and the vibe-apps
 * API (:8090, apps served on :8091) against it, and serves the dashboard (:3000). With a connection string it
 * uses that server and requires the secrets to be configured. Ctrl-C stops the apps, then the
 * database.
 */
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { withAllocatorSetting } from "../apps/router/src/Allocator.ts"
import { type Handle, launch } from "../packages/db/src/EmbeddedPostgres.ts"
import { loadOrCreateSecrets, problems } from "./lib/environment.ts"
import { type App, killGroup, startApp, stopApp, waitHealthy } from "./lib/processes.ts"

const root = path.resolve(import.meta.dir, "..")
const dataDir = path.join(root, ".data")
const CONTROL_PLANE_PORT = 8000
const ROUTER_PORT = 8080
const REALTIME_PORT = 8070
const VIBE_PORT = 8090
const DASHBOARD_PORT = 3000
const VIBE_APPS_PORT = 8091
/** Never 5432, which a system PostgreSQL may hold. */
const EMBEDDED_POSTGRES_PORT = 54329
const HEALTH_TIMEOUT_MS = 60_000

const startedAt = Date.now()
const say = (line = "") => console.log(line)
const env: NodeJS.ProcessEnv = { ...process.env }
const local = !env.POSTGRES_CONNECTION_STRING

let database: Handle | undefined
const apps: Array<App> = []
let stopping: Promise<never> | undefined

/** Stops the apps, then the database, then exits: the one way out once something runs. */
const shutdown = (code: number, why?: string): Promise<never> => {
  stopping ??= (async () => {
    if (why) console.error(why)
    await Promise.all(apps.map((app) => stopApp(app, 15_000)))
    await database?.stop()
    process.exit(code)
  })()
  return stopping
}

let firstInterrupt = 0
process.on("SIGINT", () => {
  if (!stopping) {
    firstInterrupt = Date.now()
    say("\nStopping… (Ctrl-C again to force)")
    void shutdown(0)
  } else if (Date.now() - firstInterrupt > 1000) {
    // A second, deliberate Ctrl-C: do not wait for the apps' graceful shutdown. (The first one
    // usually arrives twice at once: from the terminal and forwarded by `bun run`.)
    for (const app of apps) killGroup(app, "SIGKILL")
  }
})
process.on("SIGTERM", () => void shutdown(0))
// Whatever happens to this process, the apps must not outlive it (the database has its own hook).
process.on("exit", () => {
  for (const app of apps) killGroup(app, "SIGTERM")
})

if (local) {
  // Traversable, so a server run as another OS user (as root) can reach .data/postgres; what is
  // secret inside is private on its own (secrets.json 600, the cluster 700).
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o755 })
  const { created, file, secrets } = loadOrCreateSecrets(dataDir)
  const shown = path.relative(process.cwd(), file) || file
  say(
    created
      ? `Local mode: generated BETTER_AUTH_SECRET and VAULT_TOKEN_KEY in ${shown} (mode 600). Keep that file: without it the stored provider keys cannot be decrypted.`
      : `Local mode: using the secrets in ${shown}.`
  )
  env.BETTER_AUTH_SECRET ||= secrets.BETTER_AUTH_SECRET
  // ENCRYPTION_KEY (seed 000's name) set by the user is the key; else the generated one.
  if (!env.VAULT_TOKEN_KEY && !env.ENCRYPTION_KEY) env.VAULT_TOKEN_KEY = secrets.VAULT_TOKEN_KEY
  env.SWITCHYARD_LOCAL = "true"
  try {
    database = await launch({
      dataDir: path.join(dataDir, "postgres"),
      port: EMBEDDED_POSTGRES_PORT,
      database: "switchyard"
    })
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    console.error(
      `The embedded PostgreSQL could not start: ${reason}. Set POSTGRES_CONNECTION_STRING to use a PostgreSQL server of your own.`
    )
    process.exit(1)
  }
  say(`Embedded PostgreSQL is up on 127.0.0.1:${EMBEDDED_POSTGRES_PORT} (data in .data/postgres).`)
  env.POSTGRES_CONNECTION_STRING = database.url
  void database.exited.then((description) => shutdown(1, `${description} unexpectedly; stopping everything.`))
}
env.BETTER_AUTH_BASE_URL ||= `http://localhost:${CONTROL_PLANE_PORT}`
// The router and control plane publish live events to the hub: through Redis when REDIS_URL is
// set, else over the hub's broadcast API with a key they share (one per run unless configured).
env.REALTIME_URL ||= `http://127.0.0.1:${REALTIME_PORT}`
env.REALTIME_API_KEY ||= env.LARAVEL_API_KEY || randomBytes(32).toString("base64url")
if (!env.LARAVEL_API_KEY && !env.WEBSOCKET_API_KEY_HASH) env.LARAVEL_API_KEY = env.REALTIME_API_KEY
// Vibe apps generate through this router; in local mode with the mock model (no provider key needed).
env.VIBE_ROUTER_URL ||= `http://127.0.0.1:${ROUTER_PORT}`
env.VIBE_APPS_PORT ||= String(VIBE_APPS_PORT)
if (local) {
  env.VIBE_MODEL ||= "mock/vibe"
  env.VIBE_EXPLAIN_MODEL ??= "off"
}

const found = problems(env)
if (found.length > 0) {
  for (const problem of found) console.error(problem)
  await shutdown(1, "Not starting: fix the configuration above.")
}

const targets = [
  { name: "control-plane", port: CONTROL_PLANE_PORT },
  { name: "router", port: ROUTER_PORT },
  { name: "realtime", port: REALTIME_PORT },
  { name: "vibe", port: VIBE_PORT },
  // Static files (built first when missing or stale), talking to the ports above.
  { name: "dashboard", port: DASHBOARD_PORT, entry: "apps/dashboard/src/serve.ts" }
] as const
for (const target of targets) {
  const { name, port } = target
  const entry = "entry" in target ? target.entry : `apps/${name}/src/main.ts`
  const appEnv = { ...env, PORT: String(port) }
  // The router's allocator setting must be in its environment when it starts (Allocator.ts).
  const app = startApp(name, entry, {
    cwd: root,
    env: name === "router" ? withAllocatorSetting(appEnv) : appEnv
  })
  apps.push(app)
  void app.exited.then((description) => shutdown(1, `${name} ${description}; stopping everything.`))
}

const deadline = Date.now() + HEALTH_TIMEOUT_MS
const unhealthy = await Promise.all(
  targets.map(({ port }) =>
    waitHealthy(`http://127.0.0.1:${port}/health`, deadline, () => stopping !== undefined)
  )
)
if (stopping) await stopping
const failures = targets.flatMap(({ name, port }, index) =>
  unhealthy[index] === undefined ? [] : [`${name} (:${port}/health): ${unhealthy[index]}`]
)
if (failures.length > 0) {
  await shutdown(
    1,
    `Not healthy after ${HEALTH_TIMEOUT_MS / 1000} s: ${failures.join("; ")}. Stopping everything.`
  )
}

const seconds = ((Date.now() - startedAt) / 1000).toFixed(1)
say(`
Switchyard is running${local ? " in local mode" : ""} (ready in ${seconds} s).
  Dashboard      http://localhost:${DASHBOARD_PORT}   (sign up there, or use the API below)
  Control plane  http://localhost:${CONTROL_PLANE_PORT}   (API docs: http://localhost:${CONTROL_PLANE_PORT}/docs)
  Router         http://localhost:${ROUTER_PORT}
  Realtime hub   http://localhost:${REALTIME_PORT}   (Socket.IO; sign in with your ef_ key, see README "Realtime")
  Vibe apps      http://localhost:${VIBE_PORT}   (API docs: http://localhost:${VIBE_PORT}/docs; apps on http://<app_id>.apps.localhost:${env.VIBE_APPS_PORT}/)

Try it:
  # 1. Sign up; the session cookie goes to /tmp/switchyard-cookies.txt
  curl -c /tmp/switchyard-cookies.txt http://localhost:${CONTROL_PLANE_PORT}/api/auth/sign-up/email \\
    -H 'content-type: application/json' \\
    -d '{"name":"Ada","email":"ada@example.com","password":"correct-horse-battery-staple"}'
  # 2. Create your API key (shown once, in full, in the answer)
  curl -b /tmp/switchyard-cookies.txt -X POST http://localhost:${CONTROL_PLANE_PORT}/v1/apikey
  # 3. Call a model through the router; mock/echo needs no provider key${local ? "" : " (local mode only)"}
  curl http://localhost:${ROUTER_PORT}/v1/chat/completions \\
    -H "authorization: Bearer <the ef_ key from step 2>" -H 'content-type: application/json' \\
    -d '{"model":"mock/echo","messages":[{"role":"user","content":"Hello"}]}'
  # 4. Make a web app from a prompt with the same key; prints the app's URL (open it in a browser)${local ? "" : `\n  #    (generated by ${env.VIBE_MODEL || "claude-sonnet-4-5"} through the router)`}
  curl -s http://localhost:${VIBE_PORT}/api/create \\
    -H "X-API-Key: <the ef_ key from step 2>" -H 'content-type: application/json' \\
    -d '{"prompt":"A meditation timer with sparkles"}' \\
    | sed -E 's|.*"app_id":"([^"]+)".*|http://\\1.apps.localhost:${env.VIBE_APPS_PORT}/\\n|'

Press Ctrl-C to stop.`)
