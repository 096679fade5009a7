/**
 * The router's entry point (`bun apps/router/src/main.ts`, also runs under Node 20): builds the
 * app's one ManagedRuntime, serves the web handler on `PORT` (8080), and on SIGTERM/SIGINT stops
 * accepting, lets in-flight requests and streams finish within `SHUTDOWN_GRACE_MS`, disposes of
 * the runtime (which flushes the ledger and closes the pools) and exits 0.
 */

import { trustedOriginsConfig } from "@switchyard/auth"
import { Config, Effect, ManagedRuntime, Option } from "effect"
import * as AppLayer from "./AppLayer.ts"
import { withCors } from "./Cors.ts"
import { GatewayConfig } from "./GatewayConfig.ts"
import * as Router from "./Router.ts"
import * as Server from "./Server.ts"

const runtime = ManagedRuntime.make(AppLayer.layer)

const startup = Effect.gen(function* () {
  const port = yield* Config.port("PORT").pipe(Config.withDefault(8080))
  // Every interface unless `HOST` names one (seed 003's setting).
  const hostname = Option.getOrUndefined(yield* Config.option(Config.nonEmptyString("HOST")))
  const graceMs = yield* Config.integer("SHUTDOWN_GRACE_MS").pipe(Config.withDefault(10_000))
  const settings = yield* GatewayConfig
  // The same `CORS_ORIGIN` list as the control plane's (comma-separated origins).
  const origins = yield* trustedOriginsConfig
  const handler = withCors(yield* Router.make, origins.cors)
  return { port, hostname, graceMs, settings, handler }
})

const fail = async (what: string, error: unknown) => {
  console.error(`router: ${what}:`, error instanceof Error ? error.message : error)
  await runtime.dispose().catch(() => undefined)
  process.exit(1)
}

const main = async () => {
  const { port, hostname, graceMs, settings, handler } = await runtime.runPromise(startup)
  const server = await Server.start(handler, {
    port,
    maxBodyBytes: settings.maxBodyBytes,
    ...(hostname === undefined ? {} : { hostname })
  })
  console.log(`router: listening on ${server.url ?? `:${port}`}`)

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    console.log(`router: ${signal} received; draining for up to ${graceMs} ms`)
    const drained = await Server.drain(server, graceMs)
    if (!drained) console.log(`router: grace period over; closed the requests still in flight`)
    // Disposing flushes the ledger: every finished request's usage event is already queued.
    await runtime.dispose()
    console.log("router: stopped")
    process.exit(0)
  }
  process.once("SIGTERM", () => void stop("SIGTERM"))
  process.once("SIGINT", () => void stop("SIGINT"))
}

main().catch((error: unknown) => fail("could not start", error))
