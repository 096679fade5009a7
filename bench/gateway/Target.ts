/**
 * A measured target: where wrk and the sampler send chat completions, with which headers, and
 * (for proxies) the process to watch. Also the two targets that need no setup of their own:
 * the upstream directly, and Portkey's open-source gateway under bun.
 */
import { fileURLToPath } from "node:url"
import { answersHttp, type Child, type Processes, waitUntil } from "./Processes.ts"

/**
 * The targets of a run. `switchyard-main` is the same router and deployment with its serving
 * thread off (`SERVING_THREAD=main`), to measure what the thread changes under the same load.
 * `bare` is the least a bun proxy does (bare/main.ts): the floor of what any gateway on bun adds
 * on this machine, against which the router's own cost shows.
 */
export type TargetName = "direct" | "bare" | "switchyard" | "switchyard-main" | "portkey"

/** The order targets are listed in tables. */
export const targetNames: ReadonlyArray<TargetName> = [
  "direct",
  "bare",
  "switchyard",
  "switchyard-main",
  "portkey"
]

/** One endpoint under test. */
export interface Target {
  readonly name: TargetName
  /** Full URL of `POST /v1/chat/completions`. */
  readonly url: string
  readonly headers: Record<string, string>
  /** The proxy's process (absent for `direct`). */
  readonly child?: Child
}

/**
 * The OpenAI credential each target presents to the upstream: one per target, so the upstream's
 * per-credential counters say how many requests each proxy really forwarded.
 */
export const upstreamKeys: Readonly<Record<TargetName, string>> = {
  direct: "sk-bench-direct-00000000000000000000",
  bare: "sk-bench-bare-0000000000000000000000",
  switchyard: "sk-bench-switchyard-0000000000000000",
  "switchyard-main": "sk-bench-switchyard-main-00000000000",
  portkey: "sk-bench-portkey-000000000000000000"
}

/** The fake upstream itself, with the platform key a client would send OpenAI. */
export const direct = (upstreamUrl: string): Target => ({
  name: "direct",
  url: `${upstreamUrl}/v1/chat/completions`,
  headers: { Authorization: `Bearer ${upstreamKeys.direct}` }
})

const repoRoot = fileURLToPath(new URL("../..", import.meta.url))

/** The bare relay (bare/main.ts) under bun: it passes the client's bearer key on as it is. */
export const bare = async (processes: Processes, port: number, upstreamUrl: string): Promise<Target> => {
  const child = processes.start({
    proxy: true,
    name: "bare",
    cmd: ["bun", fileURLToPath(new URL("./bare/main.ts", import.meta.url)), String(port), upstreamUrl],
    cwd: repoRoot,
    env: { NODE_ENV: "production" }
  })
  const url = `http://127.0.0.1:${port}/v1/chat/completions`
  await waitUntil(child, answersHttp(`http://127.0.0.1:${port}/`))
  return { name: "bare", url, headers: { Authorization: `Bearer ${upstreamKeys.bare}` }, child }
}

/**
 * Portkey's gateway (`@portkey-ai/gateway`, the root devDependency) under bun, which is how it
 * streams correctly and runs fastest (NOTES.md). It forwards the client's bearer key to the
 * custom host. It binds every interface on its own (no flag for it); we only talk to 127.0.0.1.
 */
export const portkey = async (processes: Processes, port: number, upstreamUrl: string): Promise<Target> => {
  const entry = `${repoRoot}node_modules/@portkey-ai/gateway/build/start-server.js`
  const child = processes.start({
    proxy: true,
    name: "portkey",
    cmd: ["bun", entry, `--port=${port}`, "--headless"],
    cwd: repoRoot
  })
  await waitUntil(child, answersHttp(`http://127.0.0.1:${port}/`))
  return {
    name: "portkey",
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    headers: {
      Authorization: `Bearer ${upstreamKeys.portkey}`,
      "x-portkey-provider": "openai",
      "x-portkey-custom-host": `${upstreamUrl}/v1`
    },
    child
  }
}
