import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import pg from "pg"
import { EmbeddedPostgres } from "../src/embedded.ts"

const isRoot = process.getuid?.() === 0

/** A scratch directory the `postgres` OS user can traverse (mkdtemp makes it 0700). */
const scratch = Effect.acquireRelease(
  Effect.sync(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sy-embedded-"))
    fs.chmodSync(dir, 0o755)
    return dir
  }),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

const freePort = Effect.promise(
  () =>
    new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as net.AddressInfo
        server.close(() => resolve(port))
      })
    })
)

const query = (url: string, text: string) =>
  Effect.promise(async () => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      return (await client.query(text)).rows
    } finally {
      await client.end()
    }
  })

describe("EmbeddedPostgres", () => {
  it.scoped("starts, answers queries, stops, and keeps its data across a restart", () =>
    Effect.gen(function* () {
      const dir = yield* scratch
      const port = yield* freePort
      const options = { dataDir: path.join(dir, "pg"), port, database: "app", durable: false }

      yield* Effect.scoped(
        Effect.gen(function* () {
          const server = yield* EmbeddedPostgres.start(options)
          const url = Redacted.value(server.url)
          expect(url).toMatch(new RegExp(`^postgres://postgres:[^@]+@127\\.0\\.0\\.1:${port}/app$`))
          yield* query(url, "CREATE TABLE notes (body text)")
          yield* query(url, "INSERT INTO notes VALUES ('kept')")
        })
      )
      // The scope closed: the server is gone.
      expect(
        yield* Effect.promise(() => EmbeddedPostgres.isReady(`postgres://postgres@127.0.0.1:${port}/app`))
      ).toBe(false)

      const again = yield* EmbeddedPostgres.start(options)
      expect(yield* query(Redacted.value(again.url), "SELECT body FROM notes")).toEqual([{ body: "kept" }])
    })
  )

  it.scoped("refuses a data directory in use, and takes over a server whose launcher died", () =>
    Effect.gen(function* () {
      const dir = yield* scratch
      const options = { dataDir: path.join(dir, "pg"), port: yield* freePort, durable: false }
      const first = yield* Effect.promise(() => EmbeddedPostgres.launch(options))
      yield* Effect.addFinalizer(() => Effect.promise(() => first.stop()))
      yield* query(first.url, "CREATE TABLE survivors (id int); INSERT INTO survivors VALUES (1)")

      const inUse = yield* Effect.flip(EmbeddedPostgres.start({ ...options, port: yield* freePort }))
      expect(inUse).toBeInstanceOf(EmbeddedPostgres.EmbeddedPostgresError)
      expect(inUse.reason).toContain("already running")

      // What a killed launcher leaves behind: the server still running, its recorded launcher gone.
      const gone = yield* Effect.promise(
        () =>
          new Promise<number>((resolve) => {
            const child = spawn("true")
            child.on("exit", () => resolve(child.pid!))
          })
      )
      fs.writeFileSync(path.join(first.dataDir, "switchyard-owner.pid"), String(gone))

      const takenOver = yield* EmbeddedPostgres.start(options)
      // The orphan was shut down cleanly and a new server serves the same data.
      expect(yield* Effect.promise(() => first.exited)).toContain("code 0")
      expect(yield* query(Redacted.value(takenOver.url), "SELECT id FROM survivors")).toEqual([{ id: 1 }])
    })
  )

  it.scoped("starts despite a stale postmaster.pid naming an unrelated live process", () =>
    Effect.gen(function* () {
      const dir = yield* scratch
      const options = { dataDir: path.join(dir, "pg"), port: yield* freePort, durable: false }
      yield* Effect.scoped(EmbeddedPostgres.start(options))
      // After a crash and a container restart the recorded pid often belongs to another process.
      fs.writeFileSync(path.join(options.dataDir, "postmaster.pid"), `${process.pid}\n${options.dataDir}\n`)
      const server = yield* EmbeddedPostgres.start(options)
      expect(yield* query(Redacted.value(server.url), "SELECT 1 AS one")).toEqual([{ one: 1 }])
    })
  )

  it.scoped("runs from a directory the server's OS user cannot traverse, data persisting", () =>
    Effect.gen(function* () {
      const dir = yield* scratch
      // Like a clone under /root (mode 0700) when running as root.
      const home = path.join(dir, "home")
      fs.mkdirSync(home, { mode: 0o700 })
      const options = { dataDir: path.join(home, ".data", "postgres"), port: yield* freePort, durable: false }

      const first = yield* Effect.scoped(
        Effect.gen(function* () {
          const server = yield* EmbeddedPostgres.start(options)
          yield* query(Redacted.value(server.url), "CREATE TABLE t (x int); INSERT INTO t VALUES (42)")
          return server.dataDir
        })
      )
      if (isRoot) {
        // Relocated where the `postgres` user can reach it, the requested path linking there.
        expect(first.startsWith("/var/lib/switchyard/")).toBe(true)
        expect(fs.readlinkSync(options.dataDir)).toBe(first)
        yield* Effect.addFinalizer(() =>
          Effect.sync(() => fs.rmSync(first, { recursive: true, force: true }))
        )
      } else {
        expect(first).toBe(options.dataDir)
      }
      const server = yield* EmbeddedPostgres.start(options)
      expect(server.dataDir).toBe(first)
      expect(yield* query(Redacted.value(server.url), "SELECT x FROM t")).toEqual([{ x: 42 }])
    })
  )

  it.scoped("reports a port already taken as a typed error naming the cause", () =>
    Effect.gen(function* () {
      const dir = yield* scratch
      const blocker = yield* Effect.acquireRelease(
        Effect.promise(
          () =>
            new Promise<net.Server>((resolve) => {
              // Whatever holds the port: here, something that hangs up on every connection.
              const server = net
                .createServer((socket) => socket.destroy())
                .listen(0, "127.0.0.1", () => resolve(server))
            })
        ),
        (server) => Effect.promise(() => new Promise((resolve) => server.close(resolve)))
      )
      const port = (blocker.address() as net.AddressInfo).port
      const error = yield* Effect.flip(
        EmbeddedPostgres.start({ dataDir: path.join(dir, "pg"), port, durable: false })
      )
      expect(error._tag).toBe("EmbeddedPostgresError")
      expect(error.reason).toContain(`did not start on port ${port}`)
      expect(error.reason).toContain("Address already in use")
    })
  )
})
