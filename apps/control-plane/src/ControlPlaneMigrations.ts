/**
 * The migrations the control plane runs at start-up and `/health` checks, in order.
 */
import { authMigrations } from "@switchyard/auth"
import type { Migrations } from "@switchyard/db"
import { ledgerMigrations } from "@switchyard/ledger"
import { vaultMigrations } from "@switchyard/vault"
import { Context, Layer } from "effect"

/** Every package whose tables the control plane uses. Add a package's migrations here. */
export const controlPlaneMigrations: ReadonlyArray<Migrations.PackageMigrations> = [
  authMigrations,
  vaultMigrations,
  ledgerMigrations
]

/** The migration list in use (what `/health` checks). */
export class AppMigrations extends Context.Tag("@switchyard/control-plane/AppMigrations")<
  AppMigrations,
  ReadonlyArray<Migrations.PackageMigrations>
>() {
  static readonly layer = (migrations: ReadonlyArray<Migrations.PackageMigrations>) =>
    Layer.succeed(AppMigrations, migrations)
}
