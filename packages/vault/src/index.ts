/**
 * Encrypted provider credentials: AES-256-GCM envelope encryption with master-key rotation.
 */

export { DecryptionError, DecryptionFailure } from "@switchyard/domain"
export * as Envelope from "./Envelope.ts"
export * as MasterKeys from "./MasterKeys.ts"
export { vaultMigrations } from "./migrations/index.ts"
export * from "./Vault.ts"
export * as VaultRepo from "./VaultRepo.ts"
