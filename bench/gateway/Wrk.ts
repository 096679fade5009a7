/**
 * Runs wrk (one thread, `--latency`) against one target with `request.lua` and returns its
 * summary: requests/s, latency percentiles in microseconds, and every kind of error it counts.
 */
import { fileURLToPath } from "node:url"
import type { Processes } from "./Processes.ts"

const script = fileURLToPath(new URL("./request.lua", import.meta.url))

/** wrk's counters for one run. */
export interface WrkErrors {
  readonly connect: number
  readonly read: number
  readonly write: number
  /** Answers outside 2xx/3xx. */
  readonly status: number
  readonly timeout: number
}

/** One wrk run, as `request.lua`'s `done` reports it. */
export interface WrkResult {
  readonly requests: number
  readonly durationUs: number
  readonly bytes: number
  readonly requestsPerSecond: number
  readonly errors: WrkErrors
  readonly latencyUs: {
    readonly min: number
    readonly mean: number
    readonly stdev: number
    readonly p50: number
    readonly p90: number
    readonly p99: number
    readonly p999: number
    readonly max: number
  }
}

/** What to send, where, and how hard. */
export interface WrkRun {
  readonly url: string
  readonly headers: Record<string, string>
  readonly bodyFile: string
  /** Alternate with this second body (the soak mixes JSON and streaming). */
  readonly altBodyFile?: string
  readonly connections: number
  readonly durationSeconds: number
  /** Pause each connection takes between an answer and its next request (paced runs). */
  readonly delayMs?: number
}

/** Total errors of a run: non-2xx answers plus socket errors and timeouts. */
export const errorCount = (errors: WrkErrors): number =>
  errors.connect + errors.read + errors.write + errors.status + errors.timeout

/** Tells the user how to get wrk when it is missing. */
export const requireWrk = (): string => {
  const path = Bun.which("wrk")
  if (path === null) {
    throw new Error(
      "wrk is not installed: install it with `apt-get install wrk` (Debian/Ubuntu) and run again."
    )
  }
  return path
}

/** Runs wrk once and parses its summary line. */
export const runWrk = async (processes: Processes, run: WrkRun): Promise<WrkResult> => {
  const env: Record<string, string> = {
    BENCH_BODY_FILE: run.bodyFile,
    BENCH_HEADERS: Object.entries(run.headers)
      .map(([name, value]) => `${name}: ${value}`)
      .join("\n")
  }
  if (run.altBodyFile !== undefined) env.BENCH_ALT_BODY_FILE = run.altBodyFile
  if (run.delayMs !== undefined) env.BENCH_DELAY_MS = String(run.delayMs)
  const { stdout, stderr, code } = await processes.run(
    [
      requireWrk(),
      "-t1",
      `-c${run.connections}`,
      `-d${run.durationSeconds}s`,
      "--timeout",
      "10s",
      "--latency",
      "-s",
      script,
      run.url
    ],
    env
  )
  const line = stdout.split("\n").find((l) => l.startsWith("BENCH_RESULT "))
  if (code !== 0 || line === undefined) {
    throw new Error(`wrk failed (exit ${code}) against ${run.url}:\n${stdout}\n${stderr}`)
  }
  const raw = JSON.parse(line.slice("BENCH_RESULT ".length)) as {
    requests: number
    duration_us: number
    bytes: number
    errors: WrkErrors
    latency_us: WrkResult["latencyUs"]
  }
  return {
    requests: raw.requests,
    durationUs: raw.duration_us,
    bytes: raw.bytes,
    requestsPerSecond: raw.requests / (raw.duration_us / 1e6),
    errors: raw.errors,
    latencyUs: raw.latency_us
  }
}
