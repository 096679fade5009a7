/**
 * The hub's entry point (`bun apps/realtime/src/main.ts`; port 8070, `PORT` to change): reads the
 * settings, builds the token verifier through one ManagedRuntime, serves Socket.IO and the HTTP
 * API on the configured engine, and on SIGTERM/SIGINT withdraws its presence, closes the sockets,
 * disposes of the runtime and exits 0.
 */
import { readFileSync } from "node:fs"
import { TokenVerifier } from "@switchyard/realtime"
import { type Effect, ManagedRuntime, Option } from "effect"
import * as Serve from "./Serve.ts"
import * as Settings from "./Settings.ts"
import * as Verification from "./Verification.ts"

const runtime = ManagedRuntime.make(Verification.layer)

const main = async () => {
  const settings = await runtime.runPromise(Settings.load)
  const verifier = await runtime.runPromise(TokenVerifier)
  const verify = Verification.verifyWith(verifier, (effect) => runtime.runPromise(effect))
  const server = await Serve.start(settings, verify)
  if (Option.isNone(settings.apiKeyHash) && Option.isNone(settings.apiKey)) {
    console.warn(
      "realtime: neither WEBSOCKET_API_KEY_HASH nor LARAVEL_API_KEY is set: the broadcast API refuses every call"
    )
  }
  console.log(
    `realtime: listening on ${server.url} (engine ${settings.engine}, ${Option.isSome(settings.redisUrl) ? `Redis prefix ${settings.redisPrefix}` : "single instance"})`
  )

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    console.log(`realtime: ${signal} received; closing`)
    await server.close().catch((error: unknown) => console.error("realtime: close failed:", error))
    await runtime.dispose()
    console.log("realtime: stopped")
    process.exit(0)
  }
  process.once("SIGTERM", () => void stop("SIGTERM"))
  process.once("SIGINT", () => void stop("SIGINT"))
  // Test harnesses and benchmarks set this: a hub whose parent died (a killed test run) must not
  // linger as an orphan holding a port and, with Redis, beating its heartbeat.
  if (process.env.REALTIME_EXIT_WITH_PARENT === "1") {
    const parent = parentPid()
    setInterval(() => {
      if (parentPid() !== parent) void stop("parent gone")
    }, 1000).unref()
  }
}

/** The parent's pid as the kernel has it now (bun's `process.ppid` is read once, at start). */
const parentPid = (): number => {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8")
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
  } catch {
    return process.ppid
  }
}

main().catch(async (error: unknown) => {
  console.error("realtime: could not start:", error instanceof Error ? error.message : error)
  await runtime.dispose().catch(() => undefined)
  process.exit(1)
})

export type { Effect }
