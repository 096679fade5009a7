/**
 * Command-line options of `bun run bench:gateway`. The defaults are the published run.
 */
import { parseArgs } from "node:util"
import { type Mode, modeNames } from "./Report.ts"
import { type TargetName, targetNames } from "./Target.ts"

/** What to run and how hard. */
export interface Options {
  /**
   * `compare` (the tables), `soak` (60 s on the router), `profile` (CPU profile of the router),
   * `gc` (allocation and collection pauses per thread, with and without the serving thread).
   */
  readonly task: "compare" | "soak" | "profile" | "gc"
  readonly targets: ReadonlyArray<TargetName>
  readonly modes: ReadonlyArray<Mode>
  readonly connections: ReadonlyArray<number>
  /** Offered rates (req/s) of the paced runs; empty: none. */
  readonly rates: ReadonlyArray<number>
  /** Connections the paced load is spread over. */
  readonly pacedConnections: number
  /** Modes of the paced runs. */
  readonly pacedModes: ReadonlyArray<Mode>
  readonly durationSeconds: number
  readonly warmupSeconds: number
  readonly rounds: number
  readonly chunks: number
  readonly ttfbSamples: number
  readonly ttfbChunkDelayMs: number
  readonly soakSeconds: number
  readonly soakConnections: number
  readonly soakWarmupSeconds: number
  readonly profileSeconds: number
  /** `--gc`: which ways to run the router (`SERVING_THREAD` values). */
  readonly gcThreads: ReadonlyArray<"worker" | "main">
  /** Measure only when other work uses less than this share of the CPU (0 to 1)… */
  readonly quietThreshold: number
  /** …waiting at most this long for it (0: do not wait). */
  readonly quietWaitSeconds: number
  /** Measure a cell again when other work came in during it, at most this many times. */
  readonly retries: number
  readonly routerEntry: string
  readonly controlPlaneEntry: string
  /** `--proxy-cpus` and `--load-cpus` as given (checked against the machine by Placement.ts). */
  readonly proxyCpus: string | undefined
  readonly loadCpus: string | undefined
}

/** `--help` text. */
export const usage = `bun run bench:gateway [options]

Measures the latency and throughput the gateway adds: the fake OpenAI upstream directly,
Switchyard's router (bun, production mode, MIMALLOC_PURGE_DELAY=-1 as \`bun run start\` sets it
unless the environment gives a value, real PostgreSQL, a real ef_ key, auth, limits and usage
recording on) and Portkey's gateway (bun), alternating, with wrk (-t1, --latency).

  --soak                   instead: a 60 s soak of the router (RSS at start and end, errors)
  --profile                instead: CPU profile of the router under load (bun --cpu-prof)
  --gc                     instead: bytes allocated per request and collection pauses in each of
                           the router's threads (BUN_JSC_logGC), with the serving thread and
                           without (SERVING_THREAD=main), --profile-seconds per mode at 16 connections
  --targets LIST           direct,bare,switchyard,switchyard-main,portkey (default:
                           direct,bare,switchyard,portkey; switchyard-main = the same router with its
                           serving thread off; bare = a bun relay that does nothing else, the floor)
  --modes LIST             json,stream,stream-split (default: all three; stream-split = each SSE
                           event cut in two at an odd offset, as real networks deliver it)
  --connections LIST       wrk connections per cell (default: 1,16,64)
  --rates LIST             paced runs at these offered req/s, each connection pausing between
                           requests (default: 2000,8000; "" for none)
  --paced-connections N    connections the paced load is spread over (default: 64)
  --paced-modes LIST       modes of the paced runs (default: json,stream-split)
  --duration SECONDS       per cell (default: 10)
  --warmup SECONDS         per target and mode, before measuring (default: 5)
  --rounds N               repeat every cell N times, alternating targets; medians reported (default: 1)
  --chunks N               content chunks per streamed answer (default: 4)
  --ttfb-samples N         sequential streamed requests per target for time to first chunk (default: 200)
  --ttfb-chunk-delay-ms N  pause between streamed chunks while sampling it (default: 2)
  --soak-seconds N         (default: 60)   --soak-connections N (default: 64)
  --soak-warmup SECONDS    at the soak's connections, before its start RSS is read (default: 10)
  --profile-seconds N      per mode (default: 15)
  --gc-threads LIST        --gc: worker,main (default: both; SERVING_THREAD values)
  --quiet-threshold PCT    before each measurement, wait until other work uses less than PCT %
                           of the CPU for a second (default: 15) …
  --quiet-wait SECONDS     … for at most this long, then measure anyway and flag it (default: 300; 0: off)
  --retries N              measure a cell again when other work took more than PCT % during it,
                           keeping the least disturbed attempt (default: 3)
  --proxy-cpus LIST        run each proxy on these CPUs (e.g. 2-3) and the bench, wrk, the upstream
                           and the samplers on the others, so neither side's work lands on the
                           other's CPUs (needs taskset; default: every process on every CPU).
                           PostgreSQL is not moved: the report says where it runs
  --load-cpus LIST         the CPUs of the bench's side (default: every CPU the bench may use not in --proxy-cpus)
  --router-entry PATH      (default: apps/router/src/main.ts)
  --control-plane-entry PATH (default: apps/control-plane/src/main.ts)

Environment: BENCH_DATABASE_URL (a database used as is), else a fresh database
switchyard_bench on the TEST_DATABASE_URL server (default postgres://postgres@127.0.0.1:5432).
Needs wrk (apt-get install wrk), node and bun.`

const list = (text: string): Array<string> =>
  text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")

const positive = (name: string, text: string, allowZero = false): number => {
  const n = Number(text)
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1))
    throw new Error(`--${name} must be a whole number, got ${text}`)
  return n
}

/** Parses `argv`; `undefined` means `--help` was asked for. */
export const parseOptions = (argv: ReadonlyArray<string>): Options | undefined => {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      help: { type: "boolean" },
      soak: { type: "boolean" },
      profile: { type: "boolean" },
      gc: { type: "boolean" },
      targets: { type: "string", default: "direct,bare,switchyard,portkey" },
      modes: { type: "string", default: modeNames.join(",") },
      connections: { type: "string", default: "1,16,64" },
      rates: { type: "string", default: "2000,8000" },
      "paced-connections": { type: "string", default: "64" },
      "paced-modes": { type: "string", default: "json,stream-split" },
      duration: { type: "string", default: "10" },
      warmup: { type: "string", default: "5" },
      rounds: { type: "string", default: "1" },
      chunks: { type: "string", default: "4" },
      "ttfb-samples": { type: "string", default: "200" },
      "ttfb-chunk-delay-ms": { type: "string", default: "2" },
      "soak-seconds": { type: "string", default: "60" },
      "soak-connections": { type: "string", default: "64" },
      "soak-warmup": { type: "string", default: "10" },
      "profile-seconds": { type: "string", default: "15" },
      "gc-threads": { type: "string", default: "worker,main" },
      "quiet-threshold": { type: "string", default: "15" },
      "quiet-wait": { type: "string", default: "300" },
      retries: { type: "string", default: "3" },
      "proxy-cpus": { type: "string" },
      "load-cpus": { type: "string" },
      "router-entry": { type: "string", default: "apps/router/src/main.ts" },
      "control-plane-entry": { type: "string", default: "apps/control-plane/src/main.ts" }
    }
  })
  if (values.help === true) return undefined
  const targets = list(values.targets)
  for (const t of targets) {
    if (!targetNames.includes(t as TargetName))
      throw new Error(`unknown target ${t} (use ${targetNames.join(",")})`)
  }
  const modesOf = (name: string, text: string): Array<Mode> => {
    const named = list(text)
    for (const m of named)
      if (!modeNames.includes(m as Mode))
        throw new Error(`--${name}: unknown mode ${m} (use ${modeNames.join(",")})`)
    return named as Array<Mode>
  }
  const modes = modesOf("modes", values.modes)
  const pacedModes = modesOf("paced-modes", values["paced-modes"])
  return {
    task:
      values.soak === true
        ? "soak"
        : values.profile === true
          ? "profile"
          : values.gc === true
            ? "gc"
            : "compare",
    // Tables list targets in a fixed order whatever order they were given in.
    targets: targetNames.filter((t) => targets.includes(t)),
    modes,
    connections: list(values.connections).map((c) => positive("connections", c)),
    rates: list(values.rates).map((r) => positive("rates", r)),
    pacedConnections: positive("paced-connections", values["paced-connections"]),
    pacedModes,
    durationSeconds: positive("duration", values.duration),
    warmupSeconds: positive("warmup", values.warmup, true),
    rounds: positive("rounds", values.rounds),
    chunks: positive("chunks", values.chunks),
    ttfbSamples: positive("ttfb-samples", values["ttfb-samples"], true),
    ttfbChunkDelayMs: positive("ttfb-chunk-delay-ms", values["ttfb-chunk-delay-ms"], true),
    soakSeconds: positive("soak-seconds", values["soak-seconds"]),
    soakConnections: positive("soak-connections", values["soak-connections"]),
    soakWarmupSeconds: positive("soak-warmup", values["soak-warmup"], true),
    profileSeconds: positive("profile-seconds", values["profile-seconds"]),
    gcThreads: list(values["gc-threads"]).map((t) => {
      if (t !== "worker" && t !== "main") throw new Error(`--gc-threads: unknown ${t} (use worker,main)`)
      return t
    }),
    quietThreshold: positive("quiet-threshold", values["quiet-threshold"]) / 100,
    quietWaitSeconds: positive("quiet-wait", values["quiet-wait"], true),
    retries: positive("retries", values.retries, true),
    routerEntry: values["router-entry"],
    controlPlaneEntry: values["control-plane-entry"],
    proxyCpus: values["proxy-cpus"],
    loadCpus: values["load-cpus"]
  }
}
