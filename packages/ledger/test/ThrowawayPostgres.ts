/**
 * A PostgreSQL server of the test's own (initdb + pg_ctl into a temporary directory, on a free
 * port), so a test can REALLY stop and restart it without disturbing the shared server that other
 * suites use. As root, the server runs as the `postgres` OS user (initdb refuses root).
 *
 * Binaries: `PG_BIN_DIR`, else /usr/lib/postgresql/15/bin.
 */
import { execFile } from "node:child_process"
import { chmod, chown, mkdtemp, rm } from "node:fs/promises"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { Effect, Redacted } from "effect"

const run = promisify(execFile)

const binDir = process.env.PG_BIN_DIR ?? "/usr/lib/postgresql/15/bin"

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()))
    })
  })

const asRoot = process.getuid?.() === 0

/** Runs a PostgreSQL binary, as `postgres` when we are root. */
const pg = (binary: string, args: ReadonlyArray<string>) =>
  asRoot
    ? run("runuser", ["-u", "postgres", "--", join(binDir, binary), ...args])
    : run(join(binDir, binary), [...args])

/** A running server and its controls. */
export interface ThrowawayPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: Redacted.Redacted<string>
  readonly port: number
  /** Stops the server at once (`pg_ctl stop -m immediate`: no goodbye to clients). */
  readonly stop: Effect.Effect<void>
  /** Starts it again on the same port and data directory. */
  readonly start: Effect.Effect<void>
}

/** Creates and starts a server; stops it and deletes its data when the scope closes. */
export const make = Effect.acquireRelease(
  Effect.promise(async () => {
    const dir = await mkdtemp(join(tmpdir(), "sy-ledger-pg-"))
    await chmod(dir, 0o755)
    if (asRoot) {
      const { stdout } = await run("id", ["-u", "postgres"])
      const { stdout: gid } = await run("id", ["-g", "postgres"])
      await chown(dir, Number(stdout.trim()), Number(gid.trim()))
    }
    const data = join(dir, "data")
    const port = await freePort()
    await pg("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"])
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`
    const start = () =>
      pg("pg_ctl", ["-D", data, "-o", options, "-w", "-t", "60", "-l", join(dir, "log"), "start"])
    await start()
    return { dir, data, port, start }
  }),
  ({ data, dir }) =>
    Effect.promise(async () => {
      await pg("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => undefined)
      await rm(dir, { recursive: true, force: true })
    })
).pipe(
  Effect.map(
    ({ data, port, start }): ThrowawayPostgres => ({
      url: Redacted.make(`postgres://postgres@127.0.0.1:${port}/postgres`),
      port,
      stop: Effect.promise(() => pg("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"])).pipe(
        Effect.asVoid
      ),
      start: Effect.promise(start).pipe(Effect.asVoid)
    })
  )
)
