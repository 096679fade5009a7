/**
 * The vault: provider credentials per owner and provider, encrypted at rest with AES-256-GCM
 * envelope encryption (see `Envelope.ts`), readable under the current and previous master keys,
 * and re-wrapped under the current key by `rotate` (`bun run vault:rotate`).
 *
 * Plaintext secrets only ever travel as `Redacted` values.
 */
import type { SqlClient } from "@effect/sql"
import type { DecryptionError, ServiceUnavailable } from "@switchyard/domain"
import { Clock, type ConfigError, Context, Effect, Either, Layer, Option, Redacted } from "effect"
import * as Envelope from "./Envelope.ts"
import * as MasterKeys from "./MasterKeys.ts"
import {
  type Rewrap,
  layerMemory as repoMemory,
  layerPg as repoPg,
  type SecretMetadata,
  toMetadata,
  VaultRepo
} from "./VaultRepo.ts"

export { SecretMetadata } from "./VaultRepo.ts"

/** Input of `put`. */
export interface PutSecret {
  readonly ownerId: string
  readonly provider: string
  readonly secret: Redacted.Redacted<string>
  /** Base URL of an OpenAI-compatible server; omitted means none. */
  readonly baseUrl?: string | null | undefined
}

/** A decrypted secret and its metadata. */
export interface RevealedSecret {
  readonly metadata: SecretMetadata
  readonly secret: Redacted.Redacted<string>
}

/** How far a rotation has got: reported after each committed batch. */
export interface RotationProgress {
  readonly rewrapped: number
  readonly unreadable: number
}

/** Options of `rotate`. */
export interface RotateOptions {
  /** Records re-wrapped per transaction (default 100). */
  readonly batchSize?: number | undefined
  /** Called after each committed batch (the CLI prints progress with it). */
  readonly onProgress?: ((progress: RotationProgress) => Effect.Effect<void>) | undefined
}

/** Outcome of `rotate`. */
export interface RotationResult {
  /** Data keys re-wrapped by this run. */
  readonly rewrapped: number
  /** Id of the current master key, which now wraps every readable record. */
  readonly keyId: string
  /**
   * Records that could not be re-wrapped (unknown master key, or altered): they were skipped and
   * stay as they were, so dropping a previous key is only safe when this is empty.
   */
  readonly unreadable: ReadonlyArray<DecryptionError>
}

/** The vault's operations. A database that fails is `ServiceUnavailable` (an outage, answered 503). */
export interface VaultService {
  /** Adds or replaces the owner's secret for the provider; a replacement keeps `createdAt` and is enabled. */
  readonly put: (input: PutSecret) => Effect.Effect<SecretMetadata, ServiceUnavailable>
  /** The decrypted secret, enabled or not; `None` when there is none. */
  readonly get: (
    ownerId: string,
    provider: string
  ) => Effect.Effect<Option.Option<RevealedSecret>, DecryptionError | ServiceUnavailable>
  /** The owner's secrets by provider, metadata only, at most `SECRET_LIST_LIMIT`. */
  readonly list: (ownerId: string) => Effect.Effect<ReadonlyArray<SecretMetadata>, ServiceUnavailable>
  /** Enables or disables a secret; `None` when there is no such secret. */
  readonly setEnabled: (
    ownerId: string,
    provider: string,
    enabled: boolean
  ) => Effect.Effect<Option.Option<SecretMetadata>, ServiceUnavailable>
  /** Deletes a secret; false when there was none. */
  readonly remove: (ownerId: string, provider: string) => Effect.Effect<boolean, ServiceUnavailable>
  /**
   * Re-wraps every data key that the current master key does not wrap. Each batch commits on its
   * own and only replaces records that did not change meanwhile, so it can be interrupted and run
   * again, and runs safely beside `put` and other rotations.
   */
  readonly rotate: (options?: RotateOptions) => Effect.Effect<RotationResult, ServiceUnavailable>
}

/** Most secrets `list` returns (an owner has one per provider, so a handful in practice). */
export const SECRET_LIST_LIMIT = 100

const DEFAULT_BATCH_SIZE = 100

/**
 * The last four characters, shown in the UI to tell keys apart; empty for secrets shorter than 16
 * characters, where four characters would give away too much of it.
 */
const last4 = (secret: Redacted.Redacted<string>): string => {
  const chars = Array.from(Redacted.value(secret))
  return chars.length >= 16 ? chars.slice(-4).join("") : ""
}

/** Builds the service over any `VaultRepo` with the given master keys. */
const make = (keys: MasterKeys.MasterKeys): Effect.Effect<VaultService, never, VaultRepo> =>
  Effect.gen(function* () {
    const repo = yield* VaultRepo
    const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis))

    const put = (input: PutSecret) =>
      Effect.gen(function* () {
        const binding = { ownerId: input.ownerId, provider: input.provider }
        const sealed = Envelope.seal(input.secret, binding, keys)
        const at = yield* now
        return yield* repo.upsert({
          ...binding,
          ...sealed,
          enabled: true,
          baseUrl: input.baseUrl ?? null,
          last4: last4(input.secret),
          createdAt: at,
          updatedAt: at
        })
      })

    const get = (ownerId: string, provider: string) =>
      Effect.flatMap(
        repo.find(ownerId, provider),
        Option.match({
          onNone: () => Effect.succeedNone,
          onSome: (record) =>
            Effect.map(Envelope.open(record, { ownerId, provider }, keys), (secret) =>
              Option.some<RevealedSecret>({ metadata: toMetadata(record), secret })
            )
        })
      )

    const rotate = (options?: RotateOptions) =>
      Effect.gen(function* () {
        const batchSize = Math.max(1, Math.floor(options?.batchSize ?? DEFAULT_BATCH_SIZE))
        const unreadable: Array<DecryptionError> = []
        let rewrapped = 0
        let after = Option.none<Envelope.Binding>()
        while (true) {
          const batch = yield* repo.notWrappedBy(keys.current.id, after, batchSize)
          const last = batch.at(-1)
          if (last === undefined) break
          const steps: Array<Rewrap> = []
          for (const record of batch) {
            const result = Envelope.rewrap(record, record, keys)
            if (Either.isRight(result)) steps.push({ from: record, to: result.right })
            else unreadable.push(result.left)
          }
          rewrapped += yield* repo.rewrap(steps)
          after = Option.some({ ownerId: last.ownerId, provider: last.provider })
          if (options?.onProgress) yield* options.onProgress({ rewrapped, unreadable: unreadable.length })
        }
        return { rewrapped, keyId: keys.current.id, unreadable }
      }).pipe(Effect.withSpan("Vault.rotate", { attributes: { keyId: keys.current.id } }))

    return {
      put,
      get,
      list: (ownerId) => repo.list(ownerId, SECRET_LIST_LIMIT),
      setEnabled: (ownerId, provider, enabled) =>
        Effect.flatMap(now, (at) => repo.setEnabled(ownerId, provider, enabled, at)),
      remove: (ownerId, provider) => repo.remove(ownerId, provider),
      rotate
    } satisfies VaultService
  })

/** The vault over `vault_secrets` with explicit master keys (needs a `SqlClient`). */
const layerPgWith = (keys: MasterKeys.MasterKeys) =>
  Layer.effect(Vault, make(keys)).pipe(Layer.provide(repoPg))

/** The vault over a Map with explicit master keys: same crypto, no database. */
const layerMemoryWith = (keys: MasterKeys.MasterKeys) =>
  Layer.effect(Vault, make(keys)).pipe(Layer.provide(repoMemory))

/** Encrypted provider credentials per owner and provider. */
export class Vault extends Context.Tag("@switchyard/vault/Vault")<Vault, VaultService>() {
  /** The service over any `VaultRepo` storage with explicit keys (tests sharing one storage between keys). */
  static readonly make = make
  /** Production: `vault_secrets` in PostgreSQL, keys from `VAULT_TOKEN_KEY` / `VAULT_PREVIOUS_KEYS`. */
  static readonly layerPg: Layer.Layer<Vault, ConfigError.ConfigError, SqlClient.SqlClient> =
    Layer.unwrapEffect(Effect.map(MasterKeys.config, layerPgWith))
  /** PostgreSQL storage with explicit keys (tests, tools). */
  static readonly layerPgWith = layerPgWith
  /** In memory under a fresh random master key: for tests and database-less runs. */
  static readonly layerMemory: Layer.Layer<Vault> = Layer.suspend(() => layerMemoryWith(MasterKeys.random()))
  /** In memory with explicit keys. */
  static readonly layerMemoryWith = layerMemoryWith
}
