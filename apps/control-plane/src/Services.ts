/**
 * Every service the control plane's handlers use, over one PostgreSQL client. Migrations run
 * before anything reads a table (better-auth checks its schema when it starts).
 */
import type { PgClient } from "@effect/sql-pg"
import { ApiKeys, ChangeFeed, PlatformProviders, SignInLockout, UpstreamUrlGuard } from "@switchyard/auth"
import { BetterAuth, type BetterAuthOptions, optionsFromConfig } from "@switchyard/auth/better-auth"
import { Migrations } from "@switchyard/db"
import { LedgerDatabase } from "@switchyard/ledger"
import { KeyChangeTap, Publisher } from "@switchyard/realtime"
import { Vault } from "@switchyard/vault"
import { Effect, Layer } from "effect"
import { AppMigrations, controlPlaneMigrations } from "./ControlPlaneMigrations.ts"
import { Secrets } from "./Secrets.ts"

/** What tests (or another deployment) may change. */
export interface ServicesOptions {
  readonly migrations?: ReadonlyArray<Migrations.PackageMigrations>
  /** Overrides of the better-auth settings read from the environment. */
  readonly auth?: Partial<BetterAuthOptions>
  /** Replaces `ChangeFeed.layerFromConfig`. */
  readonly changeFeed?: Layer.Layer<ChangeFeed, never, PgClient.PgClient>
}

/** The services, given the database client. */
export const makeServices = (options: ServicesOptions = {}) => {
  const migrations = options.migrations ?? controlPlaneMigrations
  const migrated = Layer.effectDiscard(Migrations.run(migrations).pipe(Effect.orDie))
  const auth = Layer.unwrapEffect(
    Effect.map(optionsFromConfig.pipe(Effect.orDie), (fromConfig) =>
      BetterAuth.layer({ ...fromConfig, ...options.auth })
    )
  ).pipe(
    // The lockout's table (without Redis) comes from the migrations.
    Layer.provide(SignInLockout.layerFromConfig.pipe(Layer.provide(migrated))),
    Layer.provide(migrated)
  )
  const vault = Vault.layerPg.pipe(Layer.orDie, Layer.provide(migrated))
  // The ledger's own database when LEDGER_PG_CONNECTION_STRING is set, else the main one.
  const ledger = LedgerDatabase.layer.pipe(Layer.orDie, Layer.provide(migrated))
  return Layer.mergeAll(
    auth,
    // Key changes are also published to the owner's live view on the realtime hub.
    KeyChangeTap.layer.pipe(Layer.provide(Layer.merge(ApiKeys.layerPg, Publisher.layerFromConfig))),
    Secrets.layer,
    PlatformProviders.layer,
    AppMigrations.layer(migrations)
  ).pipe(
    Layer.provideMerge(Layer.mergeAll(vault, ledger, UpstreamUrlGuard.layer)),
    Layer.provideMerge(options.changeFeed ?? ChangeFeed.layerFromConfig)
  )
}
