/**
 * `bun run test`: the type check, then every workspace's tests, then one summary line
 * `Tests: N passed, N failed[, N skipped]`. Exits non-zero on any failure.
 *
 * PostgreSQL for the tests: `TEST_DATABASE_URL` if set, else 127.0.0.1:5432 database `test` if it
 * answers, else an embedded server started for this run (and removed after it). Redis:
 * `TEST_REDIS_URL` if set, else 127.0.0.1:6379 if it answers (otherwise left unset).
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { type Handle, isReady, launch } from "../packages/db/src/EmbeddedPostgres.ts"
import { readReport, type Totals } from "./lib/vitestReport.ts"

const root = path.resolve(import.meta.dir, "..")
const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test"
const DEFAULT_REDIS = { host: "127.0.0.1", port: 6379 }
/** Written by each workspace's vitest, relative to the workspace (node_modules: never committed). */
const REPORT = "node_modules/.cache/vitest-report.json"

const say = (line: string) => console.log(line)
const env: NodeJS.ProcessEnv = {
  ...process.env,
  TURBO_TELEMETRY_DISABLED: "1",
  TURBO_NO_UPDATE_NOTIFIER: "1"
}

let embedded: Handle | undefined
let scratch: string | undefined
const cleanUp = async () => {
  await embedded?.stop()
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true })
}
process.on("SIGINT", () => void cleanUp().then(() => process.exit(130)))
process.on("SIGTERM", () => void cleanUp().then(() => process.exit(143)))

/** True when a Redis server answers PING at host:port within a second. */
const redisAnswers = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect({ host, port })
    const done = (answer: boolean) => {
      socket.destroy()
      resolve(answer)
    }
    socket.setTimeout(1000, () => done(false))
    socket.on("error", () => done(false))
    socket.on("connect", () => socket.write("PING\r\n"))
    socket.on("data", (data) => done(data.toString().startsWith("+PONG")))
  })

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
    server.on("error", reject)
  })

if (env.TEST_DATABASE_URL) {
  say("PostgreSQL for tests: TEST_DATABASE_URL.")
} else if (await isReady(DEFAULT_DATABASE_URL)) {
  env.TEST_DATABASE_URL = DEFAULT_DATABASE_URL
  say(`PostgreSQL for tests: ${DEFAULT_DATABASE_URL}.`)
} else {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "switchyard-test-"))
  // Traversable, for a server that runs as the `postgres` OS user when we are root.
  fs.chmodSync(scratch, 0o755)
  try {
    embedded = await launch({
      dataDir: path.join(scratch, "postgres"),
      port: await freePort(),
      durable: false,
      // Suites run in parallel, each with its own database and pool.
      settings: { max_connections: "300" }
    })
  } catch (error) {
    console.error(
      `No PostgreSQL answers at ${DEFAULT_DATABASE_URL} and the embedded one could not start: ${error instanceof Error ? error.message : String(error)}. Set TEST_DATABASE_URL.`
    )
    await cleanUp()
    process.exit(1)
  }
  env.TEST_DATABASE_URL = embedded.url
  say(
    `PostgreSQL for tests: none at 127.0.0.1:5432, so an embedded one for this run (port ${embedded.port}).`
  )
}

if (env.TEST_REDIS_URL) {
  say("Redis for tests: TEST_REDIS_URL.")
} else if (await redisAnswers(DEFAULT_REDIS.host, DEFAULT_REDIS.port)) {
  env.TEST_REDIS_URL = `redis://${DEFAULT_REDIS.host}:${DEFAULT_REDIS.port}`
  say(`Redis for tests: ${env.TEST_REDIS_URL}.`)
} else {
  say("Redis for tests: none (TEST_REDIS_URL unset, nothing at 127.0.0.1:6379).")
}

const run = (command: string, args: ReadonlyArray<string>) =>
  spawnSync(command, args, { cwd: root, env, stdio: "inherit" }).status === 0

say("\n$ bun run typecheck")
const typecheckPassed = run(process.execPath, ["run", "typecheck"])

const workspaces = ["packages", "apps"].flatMap((group) =>
  fs
    .readdirSync(path.join(root, group))
    .map((name) => path.join(root, group, name))
    .filter((dir) => fs.existsSync(path.join(dir, "package.json")))
    .filter(
      (dir) => JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).scripts?.test !== undefined
    )
)
for (const dir of workspaces) fs.rmSync(path.join(dir, REPORT), { force: true })

say("\n$ turbo run test")
const turboPassed = run(path.join(root, "node_modules", ".bin", "turbo"), [
  "run",
  "test",
  // One workspace more than there are cores, not turbo's default ten: on two cores ten suites at
  // once spend their time contending (vitest's collect phase alone took 3 minutes in the router's
  // suite), and the timing-sensitive ones (the browser journey, the reload test) flaked under it.
  // Measured on two cores: the whole run took 5 m 52 s at three against 8 m 41 s at ten.
  `--concurrency=${Math.min(10, os.availableParallelism() + 1)}`,
  // Every workspace runs even when one fails, so the summary covers all of them.
  "--continue",
  "--log-order=grouped",
  "--",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${REPORT}`,
  // A workspace whose tests are still to be written is not a failure.
  "--passWithNoTests"
])

await cleanUp()

const totals: Totals = { passed: 0, failed: 0, skipped: 0 }
const notes: Array<string> = []
for (const dir of workspaces) {
  const name = path.relative(root, dir)
  const report = readReport(path.join(dir, REPORT))
  if (report === undefined) {
    totals.failed += 1
    notes.push(`${name}: no test report (its test run did not complete)`)
    continue
  }
  totals.passed += report.passed
  totals.failed += report.failed
  totals.skipped += report.skipped
  notes.push(...report.notes.map((note) => `${name}: ${note}`))
}

say("")
for (const note of notes) say(note)
if (!typecheckPassed) say("Typecheck failed (see above).")
if (!turboPassed && totals.failed === 0) {
  // Every test passed yet a run failed (e.g. an unhandled error between tests): still a failure.
  totals.failed += 1
  say("A workspace's test run failed outside any test (see above).")
}
say(
  `Tests: ${totals.passed} passed, ${totals.failed} failed${totals.skipped > 0 ? `, ${totals.skipped} skipped` : ""}`
)
process.exit(typecheckPassed && turboPassed && totals.failed === 0 ? 0 : 1)
