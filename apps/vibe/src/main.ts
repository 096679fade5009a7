/**
 * Starts the vibe API on `PORT` (8090) and the apps origin on `VIBE_APPS_PORT` (8091), PostgreSQL
 * from `POSTGRES_CONNECTION_STRING`, migrations at start-up, JSON logs at `MODAL_VIBE_LOG_LEVEL`
 * (INFO), and a clean stop on SIGTERM/SIGINT (every layer's finalizer runs).
 */
import { createServer } from "node:http"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Config, Effect, Layer } from "effect"
import { ApiLive } from "./App.ts"
import * as Logging from "./Logging.ts"
import { ServicesLive } from "./Services.ts"

const Server = Layer.unwrapEffect(
  Effect.map(Config.port("PORT").pipe(Config.withDefault(8090)), (port) =>
    NodeHttpServer.layer(createServer, { port })
  )
)

const Main = ApiLive.pipe(Layer.provide(ServicesLive), Layer.provide(Server), Layer.provide(Logging.layer))

// JSON lines only: the pretty logger would print every line a second time.
NodeRuntime.runMain(Layer.launch(Main), { disablePrettyLogger: true })
