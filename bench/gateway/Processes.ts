/**
 * The processes one benchmark run starts, and the guarantee that every one of them is stopped
 * at the end: normal exit, a thrown error, or Ctrl-C. Each child writes its output to a log file
 * (never a pipe nobody drains, which would stall a process that logs per request).
 */
import { closeSync, openSync, readFileSync, writeSync } from "node:fs"
import { createServer } from "node:net"
import type { Subprocess } from "bun"
import { onCpus, type Placement } from "./Placement.ts"

/** One started process. */
export interface Child {
  readonly name: string
  readonly pid: number
  readonly logPath: string
  readonly process: Subprocess
}

/** How to start one process. */
export interface StartOptions {
  readonly name: string
  readonly cmd: ReadonlyArray<string>
  readonly env?: Record<string, string>
  readonly cwd?: string
  /** A proxy under test runs on `--proxy-cpus` when they are given (Placement.ts). */
  readonly proxy?: boolean
}

/** A process ended before it was ready, or never became ready. */
export class StartError extends Error {
  override readonly name = "StartError"
}

/** The last lines of a child's log, to explain why it failed. */
export const logTail = (child: Child, lines = 30): string => {
  try {
    return readFileSync(child.logPath, "utf8").split("\n").slice(-lines).join("\n")
  } catch {
    return "(no log)"
  }
}

/** Every process started through it, stopped by `stopAll` (and on SIGINT/SIGTERM). */
export class Processes {
  private readonly children = new Set<Child>()

  constructor(
    private readonly logDir: string,
    private readonly placement?: Placement
  ) {
    const onSignal = (signal: NodeJS.Signals) => {
      void this.stopAll().finally(() => process.exit(signal === "SIGINT" ? 130 : 143))
    }
    process.once("SIGINT", onSignal)
    process.once("SIGTERM", onSignal)
  }

  /** Starts a process whose stdout and stderr go to `<logDir>/<name>.log`. */
  start(options: StartOptions): Child {
    const logPath = `${this.logDir}/${options.name}.log`
    // One append-mode descriptor for both streams, so their lines interleave instead of overwrite.
    const log = openSync(logPath, "a")
    const cmd =
      options.proxy === true && this.placement !== undefined
        ? onCpus(this.placement.proxy, options.cmd)
        : options.cmd
    writeSync(log, `$ ${cmd.join(" ")}\n`)
    const proc = Bun.spawn([...cmd], {
      env: { ...process.env, ...options.env },
      cwd: options.cwd ?? process.cwd(),
      stdin: "ignore",
      stdout: log,
      stderr: log
    })
    closeSync(log)
    const child: Child = { name: options.name, pid: proc.pid, logPath, process: proc }
    this.children.add(child)
    return child
  }

  /**
   * Runs a short-lived tool (wrk, the sampler) to its end and returns its output; it is stopped
   * with the others if the run is interrupted first.
   */
  async run(
    cmd: ReadonlyArray<string>,
    env?: Record<string, string>
  ): Promise<{ readonly stdout: string; readonly stderr: string; readonly code: number }> {
    const proc = Bun.spawn([...cmd], {
      env: { ...process.env, ...env },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe"
    })
    const child: Child = { name: cmd[0]!, pid: proc.pid, logPath: "", process: proc }
    this.children.add(child)
    try {
      const [stdout, stderr, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited
      ])
      return { stdout, stderr, code }
    } finally {
      this.children.delete(child)
    }
  }

  /** Stops one process: SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(child: Child, graceMs = 5_000): Promise<number | null> {
    this.children.delete(child)
    if (child.process.exitCode !== null || child.process.signalCode !== null) return child.process.exitCode
    child.process.kill("SIGTERM")
    const exited = await Promise.race([
      child.process.exited,
      Bun.sleep(graceMs).then(() => "timeout" as const)
    ])
    if (exited === "timeout") {
      child.process.kill("SIGKILL")
      await child.process.exited
      return null
    }
    return exited
  }

  /** Stops every process still running, in reverse order of start. */
  async stopAll(): Promise<void> {
    const all = [...this.children].reverse()
    await Promise.all(all.map((child) => this.stop(child)))
  }
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

/**
 * Waits until `ready()` says yes, failing early with the child's log if it exits first.
 * `ready` is polled every 100 ms; a thrown error counts as "not yet".
 */
export const waitUntil = async (
  child: Child,
  ready: () => Promise<boolean>,
  timeoutMs = 30_000
): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      throw new StartError(
        `${child.name} exited (${child.process.exitCode ?? child.process.signalCode}) before it was ready:\n${logTail(child)}`
      )
    }
    try {
      if (await ready()) return
    } catch {
      // not listening yet
    }
    await Bun.sleep(100)
  }
  throw new StartError(`${child.name} was not ready after ${timeoutMs} ms:\n${logTail(child)}`)
}

/** `ready` for `waitUntil`: the URL answers with any HTTP status below 500. */
export const answersHttp =
  (url: string, init?: RequestInit): (() => Promise<boolean>) =>
  async () => {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(2_000) })
    await response.arrayBuffer()
    return response.status < 500
  }

/** Resident set size of a process in KiB, from `/proc/<pid>/status` (`VmRSS`). */
export const rssKiB = (pid: number): number => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
  if (match === null) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(match[1])
}
