/**
 * Starts the real control plane on a free port over its own fresh PostgreSQL database, captures
 * everything it logs, and gives tests a small fetch-based client.
 */
import * as HttpServer from "@effect/platform/HttpServer"
import { NodeHttpServer } from "@effect/platform-node"
import type { BetterAuthOptions } from "@switchyard/auth/better-auth"
import { TestDatabase } from "@switchyard/db/testing"
import { ConfigProvider, Context, Effect, Layer, Logger, Redacted } from "effect"
import { HttpLive } from "../src/App.ts"
import { controlPlaneMigrations } from "../src/ControlPlaneMigrations.ts"
import { makeServices } from "../src/Services.ts"

/** Where the server listens, and every line it logged. */
export class Server extends Context.Tag("test/Server")<
  Server,
  { readonly url: string; readonly logs: Array<string>; readonly databaseUrl?: string }
>() {}

export const CORS_ORIGIN = "http://app.example.test"

/** Test settings; everything else comes from the environment. */
const config = (databaseUrl: string) =>
  ConfigProvider.fromMap(
    new Map([
      ["POSTGRES_CONNECTION_STRING", databaseUrl],
      ["BETTER_AUTH_SECRET", "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz"],
      ["VAULT_TOKEN_KEY", Buffer.alloc(32, 7).toString("base64")],
      ["CORS_ORIGIN", CORS_ORIGIN],
      ["OPENAI_API_KEY", "sk-platform-openai"]
    ])
  ).pipe(ConfigProvider.orElse(() => ConfigProvider.fromEnv()))

/** A running control plane for one suite. */
export const serverLayer = (suite: string, auth: Partial<BetterAuthOptions> = {}) =>
  Layer.unwrapScoped(
    Effect.gen(function* () {
      const logs: Array<string> = []
      const capture = Logger.replace(
        Logger.defaultLogger,
        Logger.make((options) => {
          logs.push(Logger.logfmtLogger.log(options))
        })
      )
      const database = yield* Layer.build(TestDatabase.layer(suite, controlPlaneMigrations))
      const url = Redacted.value(Context.get(database, TestDatabase.TestDatabaseUrl))
      const app = HttpLive.pipe(
        Layer.provide(makeServices({ auth })),
        Layer.provideMerge(NodeHttpServer.layerTest),
        Layer.provide(Layer.succeedContext(database)),
        Layer.provide(Layer.setConfigProvider(config(url))),
        Layer.provide(capture)
      )
      return Layer.effect(
        Server,
        Effect.map(HttpServer.HttpServer, (server) => {
          const address = server.address as HttpServer.TcpAddress
          return { url: `http://127.0.0.1:${address.port}`, logs, databaseUrl: url }
        })
      ).pipe(Layer.provide(app))
    })
  )

/** A response, read whole. */
export interface Reply {
  readonly status: number
  readonly headers: globalThis.Headers
  readonly text: string
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON fields
  readonly body: any
}

/** Every response body the tests saw, for the "no secret ever again" checks. */
export const seen: Array<string> = []

/** One HTTP call to the server. */
export const call = (
  method: string,
  path: string,
  options: {
    readonly json?: unknown
    readonly raw?: string
    readonly token?: string
    readonly cookie?: string
    readonly headers?: Record<string, string>
  } = {}
) =>
  Effect.flatMap(Server, (server) =>
    Effect.promise(async (): Promise<Reply> => {
      const headers: Record<string, string> = { ...options.headers }
      if (options.json !== undefined || options.raw !== undefined)
        headers["content-type"] ??= "application/json"
      if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
      if (options.cookie !== undefined) headers.cookie = options.cookie
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers,
        ...(options.json !== undefined ? { body: JSON.stringify(options.json) } : {}),
        ...(options.raw !== undefined ? { body: options.raw } : {})
      })
      const text = await response.text()
      seen.push(text, JSON.stringify([...response.headers]))
      let body: unknown
      try {
        body = text === "" ? undefined : JSON.parse(text)
      } catch {
        body = undefined
      }
      return { status: response.status, headers: response.headers, text, body }
    })
  )

/** Registers a fresh user through seed 003's route; returns its bearer token. */
export const newUser = (name: string) =>
  Effect.gen(function* () {
    const email = `${name}-${crypto.randomUUID().slice(0, 8)}@example.com`
    const reply = yield* call("POST", "/auth/register", {
      json: { email, password: "correct-horse-battery" }
    })
    if (reply.status !== 200) throw new Error(`register failed: ${reply.status} ${reply.text}`)
    return { email, token: reply.body.access_token as string }
  })
