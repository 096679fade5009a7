/**
 * The whole stack for one suite, as it runs in production but on free ports: a fresh PostgreSQL
 * database (auth, vault, ledger and vibe migrations), the real router (apps/router's AppLayer over
 * that database, the batching ledger writer) in front of a fake Anthropic upstream, and the vibe
 * API and apps origin as main.ts wires them. Tests talk to everything over HTTP.
 */
import * as http from "node:http"
import { createServer } from "node:http"
import * as HttpServer from "@effect/platform/HttpServer"
import { NodeHttpServer } from "@effect/platform-node"
import { SqlClient } from "@effect/sql"
import { ApiKeyFormat, ApiKeys, authMigrations, ChangeFeed } from "@switchyard/auth"
import { Database } from "@switchyard/db"
import { TestDatabase } from "@switchyard/db/testing"
import { ledgerMigrations } from "@switchyard/ledger"
import * as RouterLayer from "@switchyard/router/src/AppLayer.ts"
import * as RouterHandler from "@switchyard/router/src/Router.ts"
import * as RouterServer from "@switchyard/router/src/Server.ts"
import { vaultMigrations } from "@switchyard/vault"
import { type AppStatusEvent, AppStatusEvents, AppUrls, vibeMigrations } from "@switchyard/vibe"
import { ConfigProvider, Effect, Layer, Logger, ManagedRuntime, Redacted } from "effect"
import { SignJWT } from "jose"
import { ApiLive } from "../src/App.ts"
import { makeServices } from "../src/Services.ts"
import { type FakeAnthropic, startFakeAnthropic } from "./FakeAnthropic.ts"

const MASTER_KEY = Buffer.alloc(32, 5).toString("base64")
export const SERVICE_KEY = "svc_test_key_0123456789abcdef"
export const JWT_SECRET = "jwt-test-secret-0123456789abcdefghijklmnop"

/** A user with a Switchyard key and a session. */
export interface TestUser {
  readonly userId: string
  readonly key: string
  readonly session: string
}

/** A response, read whole. */
export interface Reply {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON fields
  readonly body: any
}

/** The running stack. */
export interface Stack {
  readonly apiUrl: string
  readonly appsPort: number
  readonly routerUrl: string
  readonly fake: FakeAnthropic
  readonly events: Array<AppStatusEvent>
  /** Every line the vibe service logged. */
  readonly logs: Array<string>
  readonly operator: TestUser
  readonly newUser: (name: string) => Promise<TestUser>
  readonly jwtFor: (
    sub: string,
    options?: { readonly secret?: string; readonly expiresIn?: string }
  ) => Promise<string>
  readonly call: (
    method: string,
    path: string,
    options?: { readonly json?: unknown; readonly raw?: string; readonly headers?: Record<string, string> }
  ) => Promise<Reply>
  /** GETs `path` on the apps origin as `<appId>.apps.localhost` (Node's fetch cannot resolve it: the Host header says it). */
  readonly viewApp: (appId: string, path?: string) => Promise<Reply>
  readonly query: <A extends object>(text: string, ...params: Array<unknown>) => Promise<ReadonlyArray<A>>
  /** Polls `check` until it is true (at most ~10 s); returns its last value. */
  readonly eventually: (check: () => Promise<boolean>) => Promise<boolean>
  readonly close: () => Promise<void>
}

const read = async (response: Response): Promise<Reply> => {
  const text = await response.text()
  let body: unknown
  try {
    body = text === "" ? undefined : JSON.parse(text)
  } catch {
    body = undefined
  }
  return { status: response.status, headers: response.headers, text, body }
}

/** Starts the stack; `env` adds to or overrides the vibe service's settings ("" removes one), `routerEnv` the router's. */
export const startStack = async (
  suite: string,
  env: Record<string, string> = {},
  routerEnv: Record<string, string> = {}
): Promise<Stack> => {
  const fake = await startFakeAnthropic()
  const control = ManagedRuntime.make(
    ApiKeys.layerPg.pipe(
      Layer.provideMerge(ChangeFeed.layerMemory),
      Layer.provideMerge(
        TestDatabase.layer(suite, [authMigrations, vaultMigrations, ledgerMigrations, vibeMigrations])
      )
    )
  )
  const databaseUrl = await control.runPromise(
    Effect.map(TestDatabase.TestDatabaseUrl, (url) => Redacted.value(url))
  )
  const query = <A extends object>(text: string, ...params: Array<unknown>) =>
    control.runPromise(
      Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe<A>(text, params)).pipe(Effect.orDie)
    )

  const newUser = async (name: string): Promise<TestUser> => {
    const userId = `${name}-${crypto.randomUUID().slice(0, 8)}`
    await query(
      `INSERT INTO "user" ("id", "name", "email", "emailVerified") VALUES ($1, $2, $3, true)`,
      userId,
      name,
      `${userId}@example.com`
    )
    const session = crypto.randomUUID().replace(/-/g, "")
    // Stored as the auth package stores sessions: the token's SHA-256, never the token.
    await query(
      `INSERT INTO "session" ("id", "token", "userId", "expiresAt", "updatedAt") VALUES ($1, $2, $3, now() + interval '1 day', now())`,
      `s-${userId}`,
      ApiKeyFormat.hash(session),
      userId
    )
    const issued = await control.runPromise(
      Effect.flatMap(ApiKeys, (keys) => keys.create(userId)).pipe(Effect.orDie)
    )
    return { userId, key: Redacted.value(issued.key), session }
  }
  const operator = await newUser("operator")

  const routerConfig = new Map([
    ["POSTGRES_CONNECTION_STRING", databaseUrl],
    ["VAULT_TOKEN_KEY", MASTER_KEY],
    ["ANTHROPIC_BASE_URL", fake.url],
    ["ANTHROPIC_API_KEY", "sk-ant-platform"],
    ["MOCK_PROVIDER", "true"],
    ["LEDGER_FLUSH_INTERVAL_MS", "20"],
    ...Object.entries(routerEnv)
  ])
  const router = ManagedRuntime.make(
    RouterLayer.layer.pipe(Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(routerConfig))))
  )
  const handler = await router.runPromise(RouterHandler.make)
  const routerServer = await RouterServer.start(handler, {
    port: 0,
    hostname: "127.0.0.1",
    maxBodyBytes: 1 << 20
  })
  const routerUrl = routerServer.url.replace(/\/$/, "")

  const logs: Array<string> = []
  const capture = Logger.replace(
    Logger.defaultLogger,
    Logger.make((options) => {
      logs.push(Logger.logfmtLogger.log(options))
    })
  )
  const events: Array<AppStatusEvent> = []
  const vibeEnv = new Map(
    Object.entries({
      VIBE_ROUTER_URL: routerUrl,
      VIBE_ROUTER_KEY: operator.key,
      VALID_API_KEYS: `other_service_key_zzzzzzzz, ${SERVICE_KEY}`,
      JWT_SECRET,
      VIBE_MODEL: "claude-sonnet-4-5",
      VIBE_EXPLAIN_MODEL: "claude-haiku-4-5",
      MODAL_VIBE_ALLOWED_ORIGINS: "http://dashboard.example.test",
      ...env
    }).filter(([, value]) => value !== "")
  )
  // Two calls, two listeners: layers are shared by reference.
  const listener = () => NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })
  const vibe = ManagedRuntime.make(
    ApiLive.pipe(
      Layer.provideMerge(
        makeServices({ appsListener: listener(), events: AppStatusEvents.layerMemory(events) })
      ),
      Layer.provideMerge(listener()),
      Layer.provide(Database.layerFromUrl(Redacted.make(databaseUrl), { maxConnections: 5 })),
      Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(vibeEnv))),
      Layer.provide(capture)
    )
  )
  const { apiPort, appUrl } = await vibe.runPromise(
    Effect.gen(function* () {
      const server = yield* HttpServer.HttpServer
      const urls = yield* AppUrls
      return {
        apiPort: (server.address as HttpServer.TcpAddress).port,
        appUrl: urls.urlOf("sb-00000000000000000000")
      }
    })
  )
  const appsPort = Number(new URL(appUrl).port)
  const apiUrl = `http://127.0.0.1:${apiPort}`

  return {
    apiUrl,
    appsPort,
    routerUrl,
    fake,
    events,
    logs,
    operator,
    newUser,
    jwtFor: (sub, options = {}) =>
      new SignJWT({})
        .setProtectedHeader({ alg: "HS256" })
        .setSubject(sub)
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? "1h")
        .sign(new TextEncoder().encode(options.secret ?? JWT_SECRET)),
    call: async (method, path, options = {}) => {
      const headers: Record<string, string> = { ...options.headers }
      if (options.json !== undefined || options.raw !== undefined)
        headers["content-type"] ??= "application/json"
      const body = options.json !== undefined ? JSON.stringify(options.json) : options.raw
      return read(
        await fetch(`${apiUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body }) })
      )
    },
    viewApp: (appId, path = "/") =>
      // node:http, since fetch does not let a caller set Host.
      new Promise<Reply>((resolve, reject) => {
        const request = http.get(
          {
            host: "127.0.0.1",
            port: appsPort,
            path,
            headers: { host: `${appId}.apps.localhost:${appsPort}` }
          },
          (response) => {
            const chunks: Array<Buffer> = []
            response.on("data", (chunk: Buffer) => chunks.push(chunk))
            response.on("end", () => {
              const headers = new Headers()
              for (const [name, value] of Object.entries(response.headers))
                if (typeof value === "string") headers.set(name, value)
              const text = Buffer.concat(chunks).toString("utf8")
              resolve({ status: response.statusCode ?? 0, headers, text, body: undefined })
            })
          }
        )
        request.on("error", reject)
      }),
    query,
    eventually: async (check) => {
      for (let i = 0; i < 200; i++) {
        if (await check()) return true
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      return check()
    },
    close: async () => {
      await vibe.dispose()
      await routerServer.close(true)
      await router.dispose()
      await control.dispose()
      await fake.close()
    }
  }
}
