/**
 * Starts the vibe API on `PORT` (8090) and the apps origin on `VIBE_APPS_PORT` (8091), PostgreSQL
 * from `POSTGRES_CONNECTION_STRING`, migrations at start-up, JSON logs at `MODAL_VIBE_LOG_LEVEL`
 * (INFO), and a clean stop on SIGTERM/SIGINT (every layer's finalizer runs).
 */
import { createServer } from "node:http"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Config, Effect, Layer, Logger, LogLevel } from "effect"
import { ApiLive } from "./App.ts"
import { ServicesLive } from "./Services.ts"

const Server = Layer.unwrapEffect(
  Effect.map(Config.port("PORT").pipe(Config.withDefault(8090)), (port) =>
    NodeHttpServer.layer(createServer, { port })
  )
)

/** Seed 004's level names (DEBUG, INFO, WARNING, ERROR…), as Effect's. */
const Logging = Layer.unwrapEffect(
  Effect.map(
    Config.string("MODAL_VIBE_LOG_LEVEL").pipe(
      Config.withDefault("INFO"),
      Config.map((name) => name.toUpperCase().replace(/^WARN$/, "WARNING")),
      Config.map((name) => LogLevel.allLevels.find((level) => level.label === name) ?? LogLevel.Info)
    ),
    (level) => Layer.merge(Logger.json, Logger.minimumLogLevel(level))
  )
)

const Main = ApiLive.pipe(Layer.provide(ServicesLive), Layer.provide(Server), Layer.provide(Logging))

// JSON lines only: the pretty logger would print every line a second time.
NodeRuntime.runMain(Layer.launch(Main), { disablePrettyLogger: true })
