/**
 * The router's whole service graph, for main.ts: PostgreSQL (migrations of auth, vault and ledger
 * applied before anything else is built), the change feed (Redis when `REDIS_URL` is set, else
 * LISTEN/NOTIFY), the cached verifiers, the vault, credentials, routing, the ledger's batching
 * writer, pricing and metrics, health checks and the gateway's settings. Every usage event is
 * also published, fire-and-forget, to its user's room on the realtime hub (`@switchyard/realtime`).
 */
import {
  ApiKeyRepo,
  ApiKeyVerifier,
  authMigrations,
  ChangeFeed,
  UpstreamUrlGuard,
  UserTokenVerifier
} from "@switchyard/auth"
import { Database, Migrations, ResponseStore, responsesMigrations } from "@switchyard/db"
import {
  FailedRequests,
  LedgerDatabase,
  ledgerMigrations,
  Pricing,
  UsageMetrics,
  UsageRecorder
} from "@switchyard/ledger"
import { BudgetTap, Publisher, UsageTap } from "@switchyard/realtime"
import { Limiter, Providers, Routing } from "@switchyard/router-core"
import { Vault, vaultMigrations } from "@switchyard/vault"
import { Config, Effect, Layer, Option } from "effect"
import * as Accounts from "./Accounts.ts"
import * as CallerAuth from "./CallerAuth.ts"
import * as CredentialsLive from "./CredentialsLive.ts"
import * as GatewayConfig from "./GatewayConfig.ts"
import * as Health from "./Health.ts"
import * as ServingThread from "./serving/ServingThread.ts"

/**
 * Applies pending migrations at start-up. The ledger's go to the main database unless it has its
 * own (`LEDGER_PG_CONNECTION_STRING`, migrated by `LedgerDatabase.layer`).
 */
export const migrated = Layer.effectDiscard(
  Effect.gen(function* () {
    const ownLedger = yield* Config.option(Config.string("LEDGER_PG_CONNECTION_STRING"))
    const packages = Option.isSome(ownLedger)
      ? [authMigrations, vaultMigrations, responsesMigrations]
      : [authMigrations, vaultMigrations, responsesMigrations, ledgerMigrations]
    const applied = yield* Migrations.run(packages)
    if (applied.length > 0) yield* Effect.logInfo(`applied migrations: ${applied.join(", ")}`)
  })
)

/** Storage and feeds every service builds on, migrations done. */
const foundation = Layer.mergeAll(
  Vault.layerPg,
  ChangeFeed.layerFromConfig,
  migrated,
  ResponseStore.layerPg
).pipe(Layer.provideMerge(Database.layer))

/** Live events to the realtime hub (one publisher: layers are shared by reference). */
const publisher = Publisher.layerFromConfig

/** The ledger's recorder, with each event also published to the user's live view. */
const recorder = UsageTap.layer.pipe(Layer.provide(Layer.merge(UsageRecorder.layerPg, publisher)))

const ledger = Layer.mergeAll(recorder, FailedRequests.layerPg).pipe(
  Layer.provideMerge(UsageMetrics.layer),
  Layer.provideMerge(LedgerDatabase.layer)
)

const auth = CallerAuth.layer.pipe(
  Layer.provide(Layer.mergeAll(ApiKeyVerifier.layer, UserTokenVerifier.layer()))
)

/** The app, with the limiter (and whatever else) `serving` provides. */
const withServing = <A, E, R>(serving: Layer.Layer<A, E, R>) =>
  Layer.mergeAll(
    auth,
    CredentialsLive.layer.pipe(Layer.provide(Layer.merge(Providers.layer, UpstreamUrlGuard.layer))),
    Routing.layer,
    Pricing.layer,
    Health.layer,
    GatewayConfig.layer,
    // Seed 003's /auth/* on the router (better-auth loaded on the first such request).
    Accounts.layer,
    serving
  ).pipe(Layer.provideMerge(ledger), Layer.provideMerge(foundation))

/**
 * The app serving from this thread. Limits in memory, or shared through Redis when REDIS_URL is
 * set (its own connection); budget alerts at 80 % and 100 % published to the user's live view.
 */
export const layer = withServing(BudgetTap.layer().pipe(Layer.provide(Layer.merge(Limiter.layer, publisher))))

/**
 * The app with a serving thread (bun, see serving/ServingThread.ts): the limiter lives there, and
 * this thread's routes admit through it.
 */
export const layerWithServingThread = (options: ServingThread.StartOptions) =>
  withServing(
    ServingThread.layer(options).pipe(
      Layer.provide(Layer.mergeAll(ApiKeyRepo.layerPg, UpstreamUrlGuard.layer, publisher))
    )
  )
