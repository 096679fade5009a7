/**
 * The vault's migrations, applied by `Migrations.run` from `@switchyard/db` (bookkeeping table
 * `vault_migrations`).
 */
import * as Migrations from "@switchyard/db/migrations"
import createVaultSecrets from "./0001_create_vault_secrets.ts"

/** Every migration of the vault package, in order. */
export const vaultMigrations: Migrations.PackageMigrations = Migrations.define("vault", {
  "0001_create_vault_secrets": createVaultSecrets
})
