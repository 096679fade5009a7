/**
 * Starts the control plane: `PORT` (8000), PostgreSQL from `POSTGRES_CONNECTION_STRING`,
 * migrations at start-up, and a clean stop on SIGTERM/SIGINT (every layer's finalizer runs).
 * The port answers from the start: 503 until migrations are done and every layer is built.
 */
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Database } from "@switchyard/db"
import { Config, Effect, Layer } from "effect"
import { HttpLive } from "./App.ts"
import { makeGatedServer } from "./http/StartupGate.ts"
import { makeServices } from "./Services.ts"

const Server = Layer.unwrapEffect(
  Effect.map(Config.integer("PORT").pipe(Config.withDefault(8000)), (port) =>
    NodeHttpServer.layer(makeGatedServer, { port })
  )
)

const Main = HttpLive.pipe(
  Layer.provide(makeServices()),
  Layer.provide(Database.layer),
  Layer.provide(Server)
)

NodeRuntime.runMain(Layer.launch(Main))
