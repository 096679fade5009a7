/**
 * The benchmark's tables (markdown, printed and stored in the results JSON): per mode and
 * concurrency, requests/s, p50 and p99 for each target, the latency each proxy adds over the
 * direct upstream, and Switchyard/Portkey ratios; the time-to-first-chunk table; the soak; and
 * the goals, each marked met or not.
 */
import type { CpuUse, Quiet } from "./Machine.ts"
import type { TargetName } from "./Target.ts"
import { errorCount, type WrkResult } from "./Wrk.ts"

/**
 * JSON bodies, SSE streams with each event in one write, or SSE streams with each event cut in two
 * at an odd offset (the shape real networks deliver).
 */
export type Mode = "json" | "stream" | "stream-split"

/** Every mode, in the order the tables show them. */
export const modeNames: ReadonlyArray<Mode> = ["json", "stream", "stream-split"]

/** A table's heading for one mode. */
export const modeTitle = (mode: Mode): string =>
  mode === "json"
    ? "Non-streaming (JSON)"
    : mode === "stream"
      ? "Streaming (SSE, one write per event; wrk latency = whole stream)"
      : "Streaming, realistic shape (SSE, each event in two pieces cut at an odd offset; wrk latency = whole stream)"

/** All wrk runs of one (mode, connections, target) cell, one per round. */
export interface Cell {
  readonly mode: Mode
  readonly connections: number
  readonly target: TargetName
  readonly runs: Array<WrkResult>
  /** The machine before each run: how busy other work kept it. */
  readonly machine: Array<Quiet>
  /** CPU use during each run. */
  readonly cpu: Array<CpuUse>
}

/** A cell reduced over its rounds (medians; errors summed). */
export interface CellSummary {
  readonly requestsPerSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly errors: number
  /** CPU time of the measured process per request, in microseconds. */
  readonly cpuUsPerRequest: number
  /** PostgreSQL's CPU time per request, in microseconds (the ledger's writes, for Switchyard). */
  readonly postgresUsPerRequest: number
}

/** Percentiles in milliseconds, as the sampler reports them. */
export interface Percentiles {
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly mean: number
}

/** The sampler's result for one target. */
export interface TtfbResult {
  readonly samples: number
  readonly errors: number
  readonly firstErrors: Array<string>
  readonly ttfbMs: Percentiles
  readonly totalMs: Percentiles
}

/** The soak's figures. */
export interface SoakResult {
  readonly seconds: number
  readonly connections: number
  readonly rssKiB: {
    readonly boot: number
    readonly start: number
    readonly peak: number
    readonly end: number
  }
  readonly rssSamplesKiB: Array<{ readonly atSeconds: number; readonly kib: number }>
  readonly wrk: WrkResult
  readonly upstreamCompletions: number
}

const median = (values: ReadonlyArray<number>): number => {
  const sorted = values.slice().sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Medians over the rounds of a cell. */
export const summarize = (cell: Cell): CellSummary => ({
  requestsPerSecond: median(cell.runs.map((r) => r.requestsPerSecond)),
  p50Ms: median(cell.runs.map((r) => r.latencyUs.p50)) / 1000,
  p99Ms: median(cell.runs.map((r) => r.latencyUs.p99)) / 1000,
  errors: cell.runs.reduce((sum, r) => sum + errorCount(r.errors), 0),
  cpuUsPerRequest: median(
    cell.runs.map((r, i) => ((cell.cpu[i]?.measuredMs ?? 0) * 1000) / Math.max(1, r.requests))
  ),
  postgresUsPerRequest: median(
    cell.runs.map((r, i) => ((cell.cpu[i]?.postgresMs ?? 0) * 1000) / Math.max(1, r.requests))
  )
})

const rps = (n: number): string => Math.round(n).toLocaleString("en-US")
const ms = (n: number): string => n.toFixed(3)
const plus = (n: number): string => `${n >= 0 ? "+" : "−"}${Math.abs(n).toFixed(3)}`
const times = (n: number): string => (Number.isFinite(n) ? `×${n.toFixed(2)}` : "–")

const find = (cells: ReadonlyArray<Cell>, mode: Mode, connections: number, target: TargetName) =>
  cells.find((c) => c.mode === mode && c.connections === connections && c.target === target)

/** The wrk table of one mode: one block of rows per concurrency. */
export const loadTable = (
  cells: ReadonlyArray<Cell>,
  mode: Mode,
  connectionsList: ReadonlyArray<number>,
  targets: ReadonlyArray<TargetName>
): string => {
  const lines = [
    "| conns | target | req/s | p50 ms | p99 ms | added p50 ms | added p99 ms | errors | CPU µs/req | PostgreSQL µs/req |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  ]
  for (const connections of connectionsList) {
    const summaries = new Map<TargetName, CellSummary>()
    for (const target of targets) {
      const cell = find(cells, mode, connections, target)
      if (cell !== undefined) summaries.set(target, summarize(cell))
    }
    const base = summaries.get("direct")
    for (const [target, s] of summaries) {
      const added = base !== undefined && target !== "direct"
      lines.push(
        `| ${connections} | ${target} | ${rps(s.requestsPerSecond)} | ${ms(s.p50Ms)} | ${ms(s.p99Ms)} | ${
          added ? plus(s.p50Ms - base.p50Ms) : ""
        } | ${added ? plus(s.p99Ms - base.p99Ms) : ""} | ${s.errors} | ${Math.round(s.cpuUsPerRequest)} | ${Math.round(
          s.postgresUsPerRequest
        )} |`
      )
    }
    const sy = summaries.get("switchyard")
    const pk = summaries.get("portkey")
    const floor = summaries.get("bare")
    if (sy !== undefined && floor !== undefined) {
      // What the router adds over the least a bun proxy does: its own cost, the scheduler's excluded.
      lines.push(
        `| ${connections} | **switchyard − bare** | **${times(sy.requestsPerSecond / floor.requestsPerSecond)}** | ${plus(
          sy.p50Ms - floor.p50Ms
        )} | ${plus(sy.p99Ms - floor.p99Ms)} | | | | ${plus(sy.cpuUsPerRequest - floor.cpuUsPerRequest)} | ${plus(
          sy.postgresUsPerRequest - floor.postgresUsPerRequest
        )} |`
      )
    }
    const single = summaries.get("switchyard-main")
    if (sy !== undefined && single !== undefined) {
      lines.push(
        `| ${connections} | **serving thread / without** | **${times(sy.requestsPerSecond / single.requestsPerSecond)}** | ${times(
          sy.p50Ms / single.p50Ms
        )} | ${times(sy.p99Ms / single.p99Ms)} | | | | ${times(sy.cpuUsPerRequest / single.cpuUsPerRequest)} | |`
      )
    }
    if (sy !== undefined && pk !== undefined) {
      // Ratio of the latency each proxy adds; meaningless when Portkey adds nothing.
      const addedRatio = (pick: (c: CellSummary) => number) => {
        if (base === undefined || pick(pk) - pick(base) <= 0) return ""
        return times((pick(sy) - pick(base)) / (pick(pk) - pick(base)))
      }
      lines.push(
        `| ${connections} | **switchyard/portkey** | **${times(sy.requestsPerSecond / pk.requestsPerSecond)}** | ${times(
          sy.p50Ms / pk.p50Ms
        )} | ${times(sy.p99Ms / pk.p99Ms)} | ${addedRatio((c) => c.p50Ms)} | ${addedRatio((c) => c.p99Ms)} | | ${times(
          sy.cpuUsPerRequest / pk.cpuUsPerRequest
        )} | |`
      )
    }
  }
  return lines.join("\n")
}

/** One line naming the cells measured while other work kept the machine busy. */
export const noiseNote = (cells: ReadonlyArray<Cell>, threshold: number): string => {
  const pct = (share: number) => `${Math.round(share * 100)} %`
  const noisy = cells.flatMap((c) =>
    c.runs.flatMap((_, i) => {
      const before = c.machine[i]
      const during = c.cpu[i]
      const why = [
        ...(before !== undefined && !before.quiet ? [`${pct(before.busy)} before`] : []),
        ...(during !== undefined && during.others >= threshold ? [`${pct(during.others)} during`] : [])
      ]
      return why.length === 0 ? [] : [`${c.mode} c${c.connections} ${c.target} (${why.join(", ")})`]
    })
  )
  return noisy.length === 0
    ? `Other work used under ${pct(threshold)} of the CPU before and during every cell.`
    : `Other work used the CPU (these figures are less reliable): ${noisy.join("; ")}.`
}

/** The time-to-first-chunk table (sequential sampler, one request at a time). */
export const ttfbTable = (
  ttfb: Readonly<Record<string, TtfbResult>>,
  targets: ReadonlyArray<TargetName>
): string => {
  const lines = [
    "| target | first chunk p50 ms | first chunk p99 ms | total p50 ms | total p99 ms | added first chunk p50 / p99 ms | samples | errors |",
    "|---|---:|---:|---:|---:|---:|---:|---:|"
  ]
  const base = ttfb.direct
  for (const target of targets) {
    const t = ttfb[target]
    if (t === undefined) continue
    const added =
      base !== undefined && target !== "direct"
        ? `${plus(t.ttfbMs.p50 - base.ttfbMs.p50)} / ${plus(t.ttfbMs.p99 - base.ttfbMs.p99)}`
        : ""
    lines.push(
      `| ${target} | ${ms(t.ttfbMs.p50)} | ${ms(t.ttfbMs.p99)} | ${ms(t.totalMs.p50)} | ${ms(t.totalMs.p99)} | ${added} | ${t.samples} | ${t.errors} |`
    )
  }
  const sy = ttfb.switchyard
  const pk = ttfb.portkey
  if (sy !== undefined && pk !== undefined) {
    lines.push(
      `| **switchyard/portkey** | ${times(sy.ttfbMs.p50 / pk.ttfbMs.p50)} | ${times(sy.ttfbMs.p99 / pk.ttfbMs.p99)} | ${times(
        sy.totalMs.p50 / pk.totalMs.p50
      )} | ${times(sy.totalMs.p99 / pk.totalMs.p99)} | | | |`
    )
  }
  return lines.join("\n")
}

/** One goal of the issue and whether this run met it. */
export interface Goal {
  readonly goal: string
  readonly measured: string
  readonly met: boolean
}

/**
 * The goals (issue 22), checked against this run's figures (only those the run measured):
 * ≥ 1.5 × Portkey's req/s in every cell at 16 and 64 connections; added p99 at 16 connections
 * ≤ 2.5 ms; added p99 ≤ Portkey's in every cell; added p99 at one connection ≤ 1.5 ms; no errors.
 */
export const goals = (
  cells: ReadonlyArray<Cell>,
  modes: ReadonlyArray<Mode>,
  connectionsList: ReadonlyArray<number>
): Array<Goal> => {
  const out: Array<Goal> = []
  for (const mode of modes) {
    const s = (connections: number, target: TargetName) => {
      const cell = find(cells, mode, connections, target)
      return cell === undefined ? undefined : summarize(cell)
    }
    for (const connections of connectionsList) {
      const d = s(connections, "direct")
      const y = s(connections, "switchyard")
      const p = s(connections, "portkey")
      if (connections >= 16 && y !== undefined && p !== undefined) {
        const ratio = y.requestsPerSecond / p.requestsPerSecond
        out.push({
          goal: `${mode} c${connections}: req/s ≥ 1.5 × Portkey`,
          measured: times(ratio),
          met: ratio >= 1.5
        })
      }
      if (d === undefined || y === undefined) continue
      const added = y.p99Ms - d.p99Ms
      if (connections === 16) {
        out.push({
          goal: `${mode} c16: added p99 ≤ 2.5 ms`,
          measured: `${plus(added)} ms`,
          met: added <= 2.5
        })
      }
      if (connections === 1) {
        out.push({ goal: `${mode} c1: added p99 ≤ 1.5 ms`, measured: `${plus(added)} ms`, met: added <= 1.5 })
      }
      if (p !== undefined) {
        const portkeyAdded = p.p99Ms - d.p99Ms
        out.push({
          goal: `${mode} c${connections}: added p99 ≤ Portkey's`,
          measured: `${plus(added)} vs ${plus(portkeyAdded)} ms`,
          met: added <= portkeyAdded
        })
      }
    }
  }
  const switchyardErrors = cells
    .filter((c) => c.target === "switchyard")
    .reduce((sum, c) => sum + summarize(c).errors, 0)
  if (cells.some((c) => c.target === "switchyard")) {
    out.push({
      goal: "zero errors through Switchyard",
      measured: String(switchyardErrors),
      met: switchyardErrors === 0
    })
  }
  return out
}

/** The goals as a table. */
export const goalsTable = (list: ReadonlyArray<Goal>): string =>
  [
    "| goal | measured | met |",
    "|---|---:|:---:|",
    ...list.map((g) => `| ${g.goal} | ${g.measured} | ${g.met ? "yes" : "**no**"} |`)
  ].join("\n")

/**
 * RSS growth over the soak, read through the garbage collector's sawtooth: the median of the
 * samples in the last quarter of the soak against the median of those in the first quarter. A
 * single sample lands anywhere on the sawtooth (it spans about a third of the RSS under this
 * load), so end-minus-start says more about where two collections happened to fall than about
 * growth; a leak raises the whole sawtooth, and the window medians follow it.
 */
export const windowedGrowth = (
  samples: ReadonlyArray<{ readonly atSeconds: number; readonly kib: number }>
) => {
  const last = samples.at(-1)?.atSeconds ?? 0
  const quarter = last / 4
  const first = samples.filter((s) => s.atSeconds <= quarter).map((s) => s.kib)
  const final = samples.filter((s) => s.atSeconds >= last - quarter).map((s) => s.kib)
  if (first.length === 0 || final.length === 0)
    return { firstKiB: Number.NaN, lastKiB: Number.NaN, growth: Number.NaN }
  const firstKiB = median(first)
  const lastKiB = median(final)
  return { firstKiB, lastKiB, growth: (lastKiB - firstKiB) / firstKiB }
}

/** The soak's summary table. */
export const soakTable = (soak: SoakResult): string => {
  const pointGrowth = (soak.rssKiB.end - soak.rssKiB.start) / soak.rssKiB.start
  const windowed = windowedGrowth(soak.rssSamplesKiB)
  const e = soak.wrk.errors
  const mib = (kib: number) => (kib / 1024).toFixed(1)
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`
  return [
    "| seconds | conns | requests | req/s | p50 ms | p99 ms | RSS boot / start / peak / end MiB | start → end | RSS median first / last quarter MiB | RSS growth | non-2xx | socket errors (connect/read/write/timeout) |",
    "|---:|---:|---:|---:|---:|---:|---|---:|---|---:|---:|---|",
    `| ${soak.seconds} | ${soak.connections} | ${soak.wrk.requests} | ${rps(soak.wrk.requestsPerSecond)} | ${ms(
      soak.wrk.latencyUs.p50 / 1000
    )} | ${ms(soak.wrk.latencyUs.p99 / 1000)} | ${mib(soak.rssKiB.boot)} / ${mib(soak.rssKiB.start)} / ${mib(
      soak.rssKiB.peak
    )} / ${mib(soak.rssKiB.end)} | ${pct(pointGrowth)} | ${mib(windowed.firstKiB)} / ${mib(windowed.lastKiB)} | ${pct(
      windowed.growth
    )} | ${e.status} | ${e.connect}/${e.read}/${e.write}/${e.timeout} |`
  ].join("\n")
}

/** One paced (open-loop) run: wrk holding each connection to a fixed request rate. */
export interface PacedCell {
  readonly mode: Mode
  /** The offered rate, requests per second over all connections. */
  readonly rate: number
  readonly connections: number
  readonly target: TargetName
  readonly run: WrkResult
}

/**
 * The paced table: at each offered rate, what each target achieved and its p50/p99, and what each
 * proxy adds over the direct upstream at the same rate.
 */
export const pacedTable = (cells: ReadonlyArray<PacedCell>, mode: Mode): string => {
  const lines = [
    "| offered req/s | target | achieved req/s | p50 ms | p99 ms | added p50 ms | added p99 ms | errors |",
    "|---:|---|---:|---:|---:|---:|---:|---:|"
  ]
  const rates = [...new Set(cells.filter((c) => c.mode === mode).map((c) => c.rate))]
  for (const rate of rates) {
    const row = cells.filter((c) => c.mode === mode && c.rate === rate)
    const base = row.find((c) => c.target === "direct")?.run
    for (const cell of row) {
      const r = cell.run
      const added = base !== undefined && cell.target !== "direct"
      lines.push(
        `| ${rps(rate)} | ${cell.target} | ${rps(r.requestsPerSecond)} | ${ms(r.latencyUs.p50 / 1000)} | ${ms(
          r.latencyUs.p99 / 1000
        )} | ${added ? plus((r.latencyUs.p50 - base.latencyUs.p50) / 1000) : ""} | ${
          added ? plus((r.latencyUs.p99 - base.latencyUs.p99) / 1000) : ""
        } | ${errorCount(r.errors)} |`
      )
    }
  }
  return lines.join("\n")
}
