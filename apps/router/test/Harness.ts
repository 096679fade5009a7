/**
 * Starts the router the way main.ts does (one ManagedRuntime from a layer, the web handler served
 * by srvx on a real port) over test layers: static callers, an in-memory vault, the in-memory
 * ledger recorder, fake upstreams on loopback.
 */

import { ChangeFeed, UpstreamUrlGuard } from "@switchyard/auth"
import type { ResponseStore } from "@switchyard/db"
import type { UsageEvent } from "@switchyard/domain"
import { FailedRequests, Pricing, RecordedUsage, UsageMetrics, UsageRecorder } from "@switchyard/ledger"
import { type Credentials, Providers, Routing } from "@switchyard/router-core"
import { Vault } from "@switchyard/vault"
import { ConfigProvider, Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { type Caller, type CallerAuth, layerStatic } from "../src/CallerAuth.ts"
import * as CredentialsLive from "../src/CredentialsLive.ts"
import * as GatewayConfig from "../src/GatewayConfig.ts"
import * as Health from "../src/Health.ts"
import * as Router from "../src/Router.ts"
import type { Listening as Server } from "../src/Server.ts"
import * as AppServer from "../src/Server.ts"
import { UpstreamResolver } from "../src/UpstreamTarget.ts"

/** Users' own secrets, by `userId/provider` (stored in the in-memory vault at start). */
export type SecretTable = ReadonlyMap<string, Credentials.UserSecret>

/** Options of a test router. */
export interface HarnessOptions {
  /** Environment the router reads (base URLs, platform keys). */
  readonly env?: Readonly<Record<string, string>>
  readonly callers?: ReadonlyMap<string, Caller>
  readonly secrets?: SecretTable
  readonly settings?: Partial<GatewayConfig.GatewaySettings>
  readonly routing?: Parameters<typeof Routing.makeTable>[0]["file"]
  /** Model names no rule matches; default as in production (`UNKNOWN_MODELS` unset): routed. */
  readonly unknownModels?: Routing.UnknownModels
  /** Whether OpenAI-compatible base URLs may be private (fakes live on loopback). Default true. */
  readonly allowPrivateUpstreams?: boolean
  /** Replaces the static callers (e.g. the real verifiers over PostgreSQL). */
  readonly auth?: Layer.Layer<CallerAuth>
  /** Replaces DNS for user-supplied base URLs (a rebinding DNS in SSRF tests). */
  readonly resolver?: (host: string) => Promise<ReadonlyArray<string>>
  /** Where stored Responses live (PostgreSQL in the Responses tests); default: memory. */
  readonly responseStore?: Layer.Layer<ResponseStore, unknown>
}

/** A running test router. */
export interface TestRouter {
  readonly url: string
  /** Runs an effect against the router's services (vault, change feed…). */
  readonly run: <A, E>(effect: Effect.Effect<A, E, Vault | ChangeFeed>) => Promise<A>
  readonly events: () => Promise<ReadonlyArray<UsageEvent>>
  /** Waits until `n` events are recorded (they are recorded when streams end). */
  readonly waitForEvents: (n: number) => Promise<ReadonlyArray<UsageEvent>>
  readonly close: () => Promise<void>
}

/** The default caller: `ef_test_key` → user `u1`, key `k1`. */
export const TEST_KEY = "ef_test_key"
export const defaultCallers = new Map<string, Caller>([
  [TEST_KEY, { userId: "u1", apiKeyId: "k1" }],
  ["ef_other_key", { userId: "u2", apiKeyId: "k2" }]
])

/** Starts a router. */
export const startRouter = async (options: HarnessOptions = {}): Promise<TestRouter> => {
  const config = Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(options.env ?? {}))))
  const routing = Layer.effect(
    Routing.Routing,
    Effect.map(
      Routing.makeTable({
        file: options.routing ?? {},
        mockEnabled: true,
        defaultModel: undefined,
        unknownModels: options.unknownModels ?? Routing.routeUnknown
      }),
      (table) => ({ current: () => table })
    )
  )
  const ledger = Layer.mergeAll(
    UsageRecorder.layerMemory,
    Pricing.layerShipped,
    FailedRequests.layerMemory
  ).pipe(Layer.provideMerge(UsageMetrics.layer))
  const stores = Layer.mergeAll(Vault.layerMemory, ChangeFeed.layerMemory)
  const layer = Layer.mergeAll(
    options.auth ?? layerStatic(options.callers ?? defaultCallers),
    routing,
    CredentialsLive.layer.pipe(
      Layer.provide(Providers.layer),
      Layer.provide(
        Layer.succeed(
          UpstreamUrlGuard,
          UpstreamUrlGuard.make({
            allowPrivate: options.allowPrivateUpstreams ?? true,
            ...(options.resolver === undefined ? {} : { resolve: options.resolver })
          })
        )
      )
    ),
    ledger,
    Health.layerStatic,
    GatewayConfig.layerWith({
      allowPrivateUpstreams: options.allowPrivateUpstreams ?? true,
      ...options.settings
    }),
    options.resolver === undefined ? Layer.empty : Layer.succeed(UpstreamResolver, options.resolver),
    options.responseStore ?? Layer.empty
  ).pipe(Layer.provideMerge(stores), Layer.provide(config))
  const runtime = ManagedRuntime.make(layer)
  await runtime.runPromise(
    Effect.gen(function* () {
      const vault = yield* Vault
      for (const [key, value] of options.secrets ?? []) {
        const [ownerId, provider] = key.split("/") as [string, string]
        yield* vault.put({ ownerId, provider, secret: value.secret, baseUrl: value.baseUrl ?? null })
        if (!value.enabled) yield* vault.setEnabled(ownerId, provider, false)
      }
    })
  )
  const handler = await runtime.runPromise(Router.make)
  const server: Server = await AppServer.start(handler, {
    port: 0,
    hostname: "127.0.0.1",
    maxBodyBytes: 10 * 1024 * 1024
  })
  // A stream's event is recorded when its body ends, which can trail the client's last read: let
  // one turn of the event loop pass.
  const events = () =>
    new Promise((resolve) => setImmediate(resolve)).then(() =>
      runtime.runPromise(Effect.flatMap(RecordedUsage, (r) => r.events))
    )
  return {
    url: server.url!.replace(/\/$/, ""),
    run: (effect) => runtime.runPromise(effect),
    events,
    waitForEvents: async (n) => {
      for (let i = 0; i < 200; i++) {
        const seen = await events()
        if (seen.length >= n) return seen
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      return events()
    },
    close: async () => {
      await server.close(true)
      await runtime.dispose()
    }
  }
}

/** A user secret. */
export const secret = (key: string, baseUrl?: string): Credentials.UserSecret => ({
  enabled: true,
  baseUrl,
  secret: Redacted.make(key)
})
