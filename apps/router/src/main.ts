/**
 * The router's entry point (`bun apps/router/src/main.ts`, also runs under Node 20): builds the
 * app's one ManagedRuntime, serves the web handler on `PORT` (8080), and on SIGTERM/SIGINT stops
 * accepting, lets in-flight requests and streams finish within `SHUTDOWN_GRACE_MS`, disposes of
 * the runtime (which flushes the ledger and closes the pools) and exits 0.
 *
 * Under bun the public port is served from a serving thread (serving/ServingThread.ts) unless
 * `SERVING_THREAD=main`: the model routes run there, away from this thread's garbage, and this
 * thread answers the other routes on a Unix socket the serving thread passes them to.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { trustedOriginsConfig } from "@switchyard/auth"
import { Config, Effect, ManagedRuntime, Option } from "effect"
import { missingAllocatorSetting } from "./Allocator.ts"
import * as AppLayer from "./AppLayer.ts"
import { withCors } from "./Cors.ts"
import { GatewayConfig } from "./GatewayConfig.ts"
import * as Router from "./Router.ts"
import * as Server from "./Server.ts"
import * as ServingProgram from "./serving/ServingProgram.ts"
import { ServingThread } from "./serving/ServingThread.ts"

const listenConfig = Config.all({
  port: Config.port("PORT").pipe(Config.withDefault(8080)),
  // Every interface unless `HOST` names one (seed 003's setting).
  hostname: Config.option(Config.nonEmptyString("HOST")).pipe(Config.map(Option.getOrUndefined)),
  graceMs: Config.integer("SHUTDOWN_GRACE_MS").pipe(Config.withDefault(10_000)),
  // The same `CORS_ORIGIN` list as the control plane's (comma-separated origins).
  corsOrigins: trustedOriginsConfig.pipe(Config.map((origins) => origins.cors)),
  servingThread: Config.literal(
    "worker",
    "main"
  )("SERVING_THREAD").pipe(Config.withDefault("worker" as const)),
  // Read again where the worker starts; checked here too, so a bad value stops start-up at once.
  servingBundle: ServingProgram.bundleConfig
})

const fail = async (
  what: string,
  error: unknown,
  runtime?: ManagedRuntime.ManagedRuntime<never, unknown>
) => {
  console.error(`router: ${what}:`, error instanceof Error ? error.message : error)
  await runtime?.dispose().catch(() => undefined)
  process.exit(1)
}

/** Drains on the first SIGTERM/SIGINT with `stop`, then exits 0. */
const onSignal = (stop: () => Promise<void>) => {
  let stopping = false
  const handle = (signal: string) => {
    if (stopping) return
    stopping = true
    console.log(`router: ${signal} received; draining`)
    void stop().then(() => {
      console.log("router: stopped")
      process.exit(0)
    })
  }
  process.once("SIGTERM", () => handle("SIGTERM"))
  process.once("SIGINT", () => handle("SIGINT"))
}

/** Everything in this thread: the runtime and the public port. */
const serveHere = async (
  port: number,
  hostname: string | undefined,
  graceMs: number,
  corsOrigins: ReadonlyArray<string>
) => {
  const runtime = ManagedRuntime.make(AppLayer.layer)
  const { settings, handler } = await runtime
    .runPromise(Effect.all({ settings: GatewayConfig, handler: Router.make }))
    .catch((error: unknown) => fail("could not start", error, runtime as never))
  const server = await Server.start(withCors(handler, corsOrigins), {
    port,
    maxBodyBytes: settings.maxBodyBytes,
    ...(hostname === undefined ? {} : { hostname })
  })
  console.log(`router: listening on ${server.url ?? `:${port}`}`)
  onSignal(async () => {
    const drained = await Server.drain(server, graceMs)
    if (!drained) console.log("router: grace period over; closed the requests still in flight")
    // Disposing flushes the ledger: every finished request's usage event is already queued.
    await runtime.dispose()
  })
}

/** The public port in the serving thread; this thread's routes on a Unix socket for it. */
const serveFromWorker = async (
  port: number,
  hostname: string | undefined,
  graceMs: number,
  corsOrigins: ReadonlyArray<string>
) => {
  const ownerSocket = path.join(os.tmpdir(), `switchyard-router-${process.pid}.sock`)
  fs.rmSync(ownerSocket, { force: true })
  const runtime = ManagedRuntime.make(
    AppLayer.layerWithServingThread({ port, hostname, ownerSocket, corsOrigins })
  )
  const { settings, handler, serving } = await runtime
    .runPromise(Effect.all({ settings: GatewayConfig, handler: Router.make, serving: ServingThread }))
    .catch((error: unknown) => fail("could not start", error, runtime as never))
  // CORS is the serving thread's: it answers the browser for both threads.
  const owner = await Server.start(handler, {
    port: 0,
    unix: ownerSocket,
    maxBodyBytes: settings.maxBodyBytes
  })
  const url = await serving
    .listen()
    .catch((error: unknown) => fail("could not listen", error, runtime as never))
  console.log(`router: listening on ${url} (serving thread, ${serving.program} program)`)
  // Without its serving thread the router answers nothing: stop (flushing the ledger) and exit 1,
  // so the supervisor starts a new one rather than keeping a process with no public port.
  void serving.died.then(async (reason) => {
    console.error(`router: ${reason}; stopping`)
    await owner.close(true).catch(() => undefined)
    fs.rmSync(ownerSocket, { force: true })
    await runtime.dispose().catch(() => undefined)
    process.exit(1)
  })
  onSignal(async () => {
    // The serving thread drains first: requests it passed here are among its own in flight.
    const drained = await serving.drain(graceMs)
    if (!drained) console.log("router: grace period over; closed the requests still in flight")
    await owner.close(true).catch(() => undefined)
    fs.rmSync(ownerSocket, { force: true })
    // Disposing flushes the ledger, which holds the serving thread's last usage events by now.
    await runtime.dispose()
  })
}

const main = async () => {
  const { port, hostname, graceMs, corsOrigins, servingThread } = await Effect.runPromise(listenConfig)
  // Read from the process's own environment, not Config: that is where mimalloc reads it.
  const allocatorNotice = missingAllocatorSetting(process.env, typeof Bun !== "undefined")
  if (allocatorNotice !== undefined) console.log(allocatorNotice)
  if (typeof Bun !== "undefined" && servingThread === "worker")
    await serveFromWorker(port, hostname, graceMs, corsOrigins)
  else await serveHere(port, hostname, graceMs, corsOrigins)
}

main().catch((error: unknown) => fail("could not start", error))
