/**
 * Starts the control plane: `PORT` (8000), PostgreSQL from `POSTGRES_CONNECTION_STRING`,
 * migrations at start-up, and a clean stop on SIGTERM/SIGINT (every layer's finalizer runs).
 */
import { createServer } from "node:http"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Database } from "@switchyard/db"
import { Config, Effect, Layer } from "effect"
import { HttpLive } from "./App.ts"
import { makeServices } from "./Services.ts"

const Server = Layer.unwrapEffect(
  Effect.map(Config.integer("PORT").pipe(Config.withDefault(8000)), (port) =>
    NodeHttpServer.layer(createServer, { port })
  )
)

const Main = HttpLive.pipe(
  Layer.provide(makeServices()),
  Layer.provide(Database.layer),
  Layer.provide(Server)
)

NodeRuntime.runMain(Layer.launch(Main))
