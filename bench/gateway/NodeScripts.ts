/**
 * The parts of the benchmark that run under Node (the fake upstream and the time-to-first-chunk
 * sampler): bundled from TypeScript with `Bun.build` into the run's work directory, then started
 * with `node`, each in its own process.
 */
import { fileURLToPath } from "node:url"
import { answersHttp, type Child, type Processes, waitUntil } from "./Processes.ts"

/** Paths of the bundled scripts. */
export interface NodeScripts {
  readonly upstream: string
  readonly ttfb: string
}

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

/** Bundles both scripts for Node into `outDir`. */
export const buildNodeScripts = async (outDir: string): Promise<NodeScripts> => {
  const result = await Bun.build({
    entrypoints: [here("./upstream/main.ts"), here("./ttfb/main.ts")],
    target: "node",
    outdir: outDir,
    naming: "[dir]/[name].mjs"
  })
  if (!result.success) throw new Error(`bundling the Node scripts failed:\n${result.logs.join("\n")}`)
  return { upstream: `${outDir}/upstream/main.mjs`, ttfb: `${outDir}/ttfb/main.mjs` }
}

/** The running fake upstream. */
export interface Upstream {
  readonly url: string
  readonly child: Child
}

/** What the upstream has answered so far. */
export interface UpstreamStats {
  readonly completions: number
  readonly streamed: number
  readonly unauthorized: number
  readonly badRequests: number
  readonly credentials: Record<string, number>
}

/** Starts the fake upstream under Node on `port`. */
export const startUpstream = async (
  processes: Processes,
  scripts: NodeScripts,
  port: number,
  chunks: number
): Promise<Upstream> => {
  const child = processes.start({
    name: "upstream",
    cmd: ["node", scripts.upstream, String(port), String(chunks)]
  })
  const url = `http://127.0.0.1:${port}`
  await waitUntil(child, answersHttp(`${url}/v1/models`))
  return { url, child }
}

/** The upstream's counters. */
export const upstreamStats = async (upstream: Upstream): Promise<UpstreamStats> => {
  const response = await fetch(`${upstream.url}/__bench/stats`)
  return (await response.json()) as UpstreamStats
}

/** Sets the pause between streamed chunks (0: all at once). */
export const setChunkDelay = async (upstream: Upstream, chunkDelayMs: number): Promise<void> => {
  const response = await fetch(`${upstream.url}/__bench/config`, {
    method: "POST",
    body: JSON.stringify({ chunkDelayMs })
  })
  await response.arrayBuffer()
}
