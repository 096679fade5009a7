/**
 * A test router like `Harness.startRouter`, with the pieces the limits and reliability tests vary:
 * the limiter layer (memory, or Redis with its own connection: two routers = two instances), the
 * routing table service (so a test can reload it), extra environment. Served over real HTTP.
 */
import { ChangeFeed, UpstreamUrlGuard } from "@switchyard/auth"
import type { UsageEvent } from "@switchyard/domain"
import { FailedRequests, Pricing, RecordedUsage, UsageMetrics, UsageRecorder } from "@switchyard/ledger"
import { Limiter, Providers, Routing, type Timers } from "@switchyard/router-core"
import { Vault } from "@switchyard/vault"
import { ConfigProvider, Effect, Layer, ManagedRuntime } from "effect"
import { layerStatic } from "../src/CallerAuth.ts"
import * as CredentialsLive from "../src/CredentialsLive.ts"
import * as GatewayConfig from "../src/GatewayConfig.ts"
import * as Health from "../src/Health.ts"
import * as Reliability from "../src/Reliability.ts"
import * as Router from "../src/Router.ts"
import type { Listening as Server } from "../src/Server.ts"
import * as AppServer from "../src/Server.ts"
import { defaultCallers } from "./Harness.ts"

/** Options of a test router. */
export interface Options {
  readonly env?: Readonly<Record<string, string>>
  readonly callers?: Parameters<typeof layerStatic>[0]
  readonly settings?: Partial<GatewayConfig.GatewaySettings>
  /** Default: a fixed table from `routing`. */
  readonly routingLayer?: Layer.Layer<Routing.Routing, unknown>
  readonly routing?: Parameters<typeof Routing.makeTable>[0]["file"]
  /** Default: a memory limiter. */
  readonly limiter?: Layer.Layer<Limiter.Limiter>
  /** The fallback engine's timers (default: the system's). */
  readonly timers?: Timers.Timers
}

/** A running router. */
export interface Running {
  readonly url: string
  readonly server: Server
  readonly handler: Router.Handler
  readonly events: () => Promise<ReadonlyArray<UsageEvent>>
  readonly waitForEvents: (n: number) => Promise<ReadonlyArray<UsageEvent>>
  readonly close: () => Promise<void>
}

/** Starts a router. */
export const start = async (options: Options = {}): Promise<Running> => {
  const config = Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(options.env ?? {}))))
  const routing =
    options.routingLayer ??
    Layer.effect(
      Routing.Routing,
      Effect.map(
        Routing.makeTable({
          file: options.routing ?? {},
          mockEnabled: true,
          defaultModel: undefined,
          unknownModels: Routing.routeUnknown
        }),
        (table) => ({ current: () => table })
      )
    )
  const ledger = Layer.mergeAll(
    UsageRecorder.layerMemory,
    Pricing.layerShipped,
    FailedRequests.layerMemory
  ).pipe(Layer.provideMerge(UsageMetrics.layer))
  const layer = Layer.mergeAll(
    layerStatic(options.callers ?? defaultCallers),
    routing,
    CredentialsLive.layer.pipe(
      Layer.provide(Providers.layer),
      Layer.provide(Layer.succeed(UpstreamUrlGuard, UpstreamUrlGuard.make({ allowPrivate: true })))
    ),
    ledger,
    Health.layerStatic,
    GatewayConfig.layerWith({ allowPrivateUpstreams: true, ...options.settings }),
    options.limiter ?? Limiter.layerMemory(),
    options.timers === undefined ? Layer.empty : Reliability.layerTimers(options.timers)
  ).pipe(Layer.provideMerge(Layer.mergeAll(Vault.layerMemory, ChangeFeed.layerMemory)), Layer.provide(config))
  const runtime = ManagedRuntime.make(layer)
  const handler = await runtime.runPromise(Router.make)
  const server = await AppServer.start(handler, {
    port: 0,
    hostname: "127.0.0.1",
    maxBodyBytes: 10 * 1024 * 1024
  })
  const events = () =>
    new Promise((resolve) => setImmediate(resolve)).then(() =>
      runtime.runPromise(Effect.flatMap(RecordedUsage, (r) => r.events))
    )
  return {
    url: server.url!.replace(/\/$/, ""),
    server,
    handler,
    events,
    waitForEvents: async (n) => {
      for (let i = 0; i < 300; i++) {
        const seen = await events()
        if (seen.length >= n) return seen
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      return events()
    },
    close: async () => {
      await server.close(true).catch(() => undefined)
      await runtime.dispose()
    }
  }
}

/** Posts an OpenAI chat request. */
export const chat = (url: string, body: unknown, key = "ef_test_key", path = "/v1/chat/completions") =>
  fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}`, "x-api-key": key },
    body: JSON.stringify(body)
  })
