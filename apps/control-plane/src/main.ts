/**
 * Starts the control plane: `PORT` (8000) on `HOST`, PostgreSQL from `POSTGRES_CONNECTION_STRING`,
 * migrations at start-up, and a clean stop on SIGTERM/SIGINT (every layer's finalizer runs).
 * The port answers from the start: 503 until migrations are done and every layer is built.
 */
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Database } from "@switchyard/db"
import { Config, Effect, Layer, Option } from "effect"
import { HttpLive } from "./App.ts"
import { makeGatedServer } from "./http/StartupGate.ts"
import { makeServices } from "./Services.ts"

/** `PORT` (8000) on `HOST` (every interface when unset, as seed 003's `0.0.0.0`). */
const Server = Layer.unwrapEffect(
  Effect.map(
    Config.all({
      port: Config.integer("PORT").pipe(Config.withDefault(8000)),
      host: Config.option(Config.nonEmptyString("HOST"))
    }),
    ({ host, port }) =>
      NodeHttpServer.layer(makeGatedServer, Option.isSome(host) ? { port, host: host.value } : { port })
  )
)

const Main = HttpLive.pipe(
  Layer.provide(makeServices()),
  Layer.provide(Database.layer),
  Layer.provide(Server)
)

NodeRuntime.runMain(Layer.launch(Main))
