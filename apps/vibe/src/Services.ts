/**
 * The vibe app's service graph: PostgreSQL (auth's and vibe's migrations applied first), the change
 * feed and the auth package's cached verifiers, the settings, the router client, the apps origin
 * (which provides the apps' urls), the operations, the idle sweep and the `app_status` publisher.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpServer from "@effect/platform/HttpServer"
import { ApiKeyVerifier, authMigrations, ChangeFeed, UserTokenVerifier } from "@switchyard/auth"
import { Database, Migrations } from "@switchyard/db"
import { Publisher } from "@switchyard/realtime"
import {
  AppStatusEvents,
  AppStore,
  Generator,
  IdleSweep,
  RouterClient,
  VibeApps,
  VibeCredentials,
  VibeSettings,
  vibeMigrations
} from "@switchyard/vibe"
import { Effect, Layer } from "effect"
import { AppsServer, AppsServerOn } from "./AppsServer.ts"

/** Every package whose tables the vibe app reads: auth's keys and sessions, its own apps. */
export const VibeAppMigrations = [authMigrations, vibeMigrations] as const

const migrated = Layer.effectDiscard(
  Effect.gen(function* () {
    const applied = yield* Migrations.run(VibeAppMigrations)
    if (applied.length > 0) yield* Effect.logInfo(`applied migrations: ${applied.join(", ")}`)
  })
)

/** Options of `makeServices` (tests replace the apps listener and the event sink). */
export interface ServicesOptions {
  readonly appsListener?: Layer.Layer<HttpServer.HttpServer, unknown>
  readonly events?: Layer.Layer<AppStatusEvents>
}

/** The services over a `SqlClient`/`PgClient` (from `Database.layer` in main). */
export const makeServices = (options: ServicesOptions = {}) => {
  const foundation = Layer.mergeAll(
    ChangeFeed.layerFromConfig,
    migrated,
    AppStore.layerPg,
    VibeSettings.layer
  )
  const credentials = VibeCredentials.layer.pipe(
    Layer.provide(Layer.mergeAll(ApiKeyVerifier.layer, UserTokenVerifier.layer()))
  )
  const apps = options.appsListener === undefined ? AppsServer : AppsServerOn(options.appsListener)
  // To the owner's room on the realtime hub when one is configured (REDIS_URL, or REALTIME_URL and REALTIME_API_KEY).
  const events =
    options.events ?? AppStatusEvents.layerRealtime.pipe(Layer.provide(Publisher.layerFromConfig))
  const operations = VibeApps.layer.pipe(
    Layer.provide(Generator.layer),
    Layer.provide(RouterClient.layer.pipe(Layer.provide(FetchHttpClient.layer))),
    Layer.provideMerge(apps)
  )
  return Layer.mergeAll(operations, credentials, IdleSweep.layer).pipe(
    Layer.provide(events),
    Layer.provideMerge(foundation)
  )
}

/** In production: PostgreSQL from `POSTGRES_CONNECTION_STRING`. */
export const ServicesLive = makeServices().pipe(Layer.provide(Database.layer))
