/**
 * Reads a V8/JSC `.cpuprofile` (what `bun --cpu-prof` writes) and ranks where the time went:
 * self time per function, and per package (which `node_modules` package, or the repo's own
 * workspace), so the router's hot path shows what to remove.
 */
import { readFileSync } from "node:fs"

interface CallFrame {
  readonly functionName: string
  readonly url: string
  readonly lineNumber: number
  readonly columnNumber: number
}

interface ProfileNode {
  readonly id: number
  readonly callFrame: CallFrame
  readonly hitCount?: number
  readonly children?: ReadonlyArray<number>
}

interface CpuProfile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly startTime: number
  readonly endTime: number
  readonly samples?: ReadonlyArray<number>
  readonly timeDeltas?: ReadonlyArray<number>
}

/** One ranked row. */
export interface SelfTime {
  readonly name: string
  readonly where: string
  readonly selfMs: number
  readonly percent: number
}

/** A profile reduced to its heaviest functions and packages. */
export interface ProfileSummary {
  readonly file: string
  readonly sampledMs: number
  readonly functions: Array<SelfTime>
  readonly packages: Array<SelfTime>
  /** The repo's own source files, each charged with the native work it called directly. */
  readonly files: Array<SelfTime>
}

/** Which package a script URL belongs to: `effect`, `@effect/platform`, `apps/router`, `bun`… */
const packageOf = (url: string): string => {
  if (url === "") return "(native / bun runtime)"
  const modules = url.lastIndexOf("/node_modules/")
  if (modules >= 0) {
    const rest = url.slice(modules + "/node_modules/".length).split("/")
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!
  }
  const workspace = /\/(apps|packages)\/([^/]+)\//.exec(url)
  if (workspace !== null) return `${workspace[1]}/${workspace[2]}`
  if (url.startsWith("node:") || url.startsWith("bun:") || !url.includes("/")) return "(bun builtins)"
  return url
}

const shortUrl = (url: string): string => {
  const modules = url.lastIndexOf("/node_modules/")
  if (modules >= 0) return url.slice(modules + "/node_modules/".length)
  const workspace = /\/((?:apps|packages)\/.*)$/.exec(url)
  return workspace !== null ? workspace[1]! : url
}

const sumHits = (nodes: ReadonlyArray<ProfileNode>): number =>
  nodes.reduce((sum, n) => sum + (n.hitCount ?? 0), 0)

const median = (values: ReadonlyArray<number>): number => {
  const sorted = values.slice().sort((a, b) => a - b)
  return sorted.length === 0 ? 0 : sorted[Math.floor(sorted.length / 2)]!
}

/**
 * Self time per function and per package, heaviest first. Time is counted in samples (each one
 * sampling interval, the median gap between samples), not in the gaps themselves: a gap that
 * spans idle time would otherwise be charged to whatever ran just before it. A native frame (no
 * script URL: `fetch`, `Response`, `JSON.parse`…) is shown with the nearest JS caller that has
 * one, which says which line of ours paid for it.
 */
export const summarizeProfile = (file: string, top = 30): ProfileSummary => {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const hits = new Map<number, number>()
  if (profile.samples !== undefined) {
    for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1)
  } else {
    for (const node of profile.nodes) hits.set(node.id, node.hitCount ?? 0)
  }
  const sampleUs =
    profile.timeDeltas !== undefined && profile.timeDeltas.length > 0
      ? median(profile.timeDeltas)
      : (profile.endTime - profile.startTime) / Math.max(1, sumHits(profile.nodes))
  const callerFrameOf = (id: number): CallFrame | undefined => {
    let at = parent.get(id)
    while (at !== undefined) {
      const frame = byId.get(at)!.callFrame
      if (frame.url !== "") return frame
      at = parent.get(at)
    }
    return undefined
  }
  const callerOf = (id: number): string => {
    const frame = callerFrameOf(id)
    return frame === undefined
      ? ""
      : `${frame.functionName || "(anonymous)"} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`
  }
  const fns = new Map<string, { name: string; where: string; n: number }>()
  const pkgs = new Map<string, number>()
  const files = new Map<string, number>()
  let total = 0
  for (const [id, n] of hits) {
    const node = byId.get(id)
    if (node === undefined || n === 0) continue
    const frame = node.callFrame
    if (frame.functionName === "(idle)" || frame.functionName === "(root)") continue
    total += n
    const caller = frame.url === "" ? callerOf(id) : ""
    const where =
      frame.url !== ""
        ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}`
        : caller === ""
          ? "(native)"
          : `(native) ← ${caller}`
    const name = frame.functionName === "" ? "(anonymous)" : frame.functionName
    const key = `${name}@${where}`
    const entry = fns.get(key) ?? { name, where, n: 0 }
    entry.n += n
    fns.set(key, entry)
    const pkg = packageOf(frame.url)
    pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + n)
    const fileUrl = frame.url !== "" ? frame.url : (callerFrameOf(id)?.url ?? "")
    if (/\/(apps|packages)\//.test(fileUrl) && !fileUrl.includes("/node_modules/")) {
      const file = shortUrl(fileUrl)
      files.set(file, (files.get(file) ?? 0) + n)
    }
  }
  const percent = (n: number) => (total === 0 ? 0 : (100 * n) / total)
  return {
    file,
    sampledMs: (total * sampleUs) / 1000,
    functions: [...fns.values()]
      .sort((a, b) => b.n - a.n)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, selfMs: (f.n * sampleUs) / 1000, percent: percent(f.n) })),
    packages: [...pkgs.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([name, n]) => ({ name, where: "", selfMs: (n * sampleUs) / 1000, percent: percent(n) })),
    files: [...files.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 20)
      .map(([name, n]) => ({ name, where: "", selfMs: (n * sampleUs) / 1000, percent: percent(n) }))
  }
}

/** The summary as two markdown tables. */
export const profileTables = (summary: ProfileSummary): string =>
  [
    `Sampled time: ${summary.sampledMs.toFixed(0)} ms (${summary.file}). "(native)" is bun's own code (the HTTP server, fetch, JSON, streams), shown with the JS caller that has a source line.`,
    "",
    "| self ms | % | package |",
    "|---:|---:|---|",
    ...summary.packages.map((p) => `| ${p.selfMs.toFixed(1)} | ${p.percent.toFixed(1)} | ${p.name} |`),
    "",
    "| ms | % | our source file (with the native calls it makes) |",
    "|---:|---:|---|",
    ...summary.files.map((f) => `| ${f.selfMs.toFixed(1)} | ${f.percent.toFixed(1)} | ${f.name} |`),
    "",
    "| self ms | % | function | where |",
    "|---:|---:|---|---|",
    ...summary.functions.map(
      (f) => `| ${f.selfMs.toFixed(1)} | ${f.percent.toFixed(1)} | \`${f.name}\` | ${f.where} |`
    )
  ].join("\n")
