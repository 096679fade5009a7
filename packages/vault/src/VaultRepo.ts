/**
 * Storage of sealed secrets: the `vault_secrets` table, or a Map with the same behaviour. It never
 * sees a plaintext; the `Vault` service does the crypto on top of it.
 */
import { SqlClient, SqlSchema } from "@effect/sql"
import { ServiceUnavailable } from "@switchyard/domain"
import { Context, Effect, Layer, Option, Schema } from "effect"
import type * as Envelope from "./Envelope.ts"

/** What may be shown about a stored secret: everything but the secret. */
export const SecretMetadata = Schema.Struct({
  ownerId: Schema.String,
  provider: Schema.String,
  enabled: Schema.Boolean,
  /** Base URL of an OpenAI-compatible server, when the provider needs one. */
  baseUrl: Schema.NullOr(Schema.String),
  /** Last four characters of the secret, for the UI to tell keys apart. */
  last4: Schema.String,
  /** Id of the master key that wraps the secret's data key. */
  keyId: Schema.String,
  createdAt: Schema.DateFromSelf,
  updatedAt: Schema.DateFromSelf
})
export interface SecretMetadata extends Schema.Schema.Type<typeof SecretMetadata> {}

/** A stored secret: its metadata and its sealed envelope. */
export const SecretRecord = Schema.Struct({
  ...SecretMetadata.fields,
  ciphertext: Schema.Uint8ArrayFromSelf,
  nonce: Schema.Uint8ArrayFromSelf,
  tag: Schema.Uint8ArrayFromSelf,
  wrappedKey: Schema.Uint8ArrayFromSelf,
  wrappedKeyNonce: Schema.Uint8ArrayFromSelf,
  wrappedKeyTag: Schema.Uint8ArrayFromSelf
})
export interface SecretRecord extends Schema.Schema.Type<typeof SecretRecord> {}

/** One rotation step: replace the wrapped key of `from` by that of `to`, unless `from` has changed since. */
export interface Rewrap {
  readonly from: SecretRecord
  readonly to: Envelope.Sealed
}

/** Storage operations. Storage failures are defects (a 500 at the edge): callers cannot fix them. */
export interface VaultRepoService {
  /** Inserts or replaces the record; a replaced record keeps its `createdAt`. */
  readonly upsert: (record: SecretRecord) => Effect.Effect<SecretMetadata, ServiceUnavailable>
  readonly find: (
    ownerId: string,
    provider: string
  ) => Effect.Effect<Option.Option<SecretRecord>, ServiceUnavailable>
  /** Metadata of an owner's secrets by provider, at most `limit`. */
  readonly list: (
    ownerId: string,
    limit: number
  ) => Effect.Effect<ReadonlyArray<SecretMetadata>, ServiceUnavailable>
  readonly setEnabled: (
    ownerId: string,
    provider: string,
    enabled: boolean,
    updatedAt: Date
  ) => Effect.Effect<Option.Option<SecretMetadata>, ServiceUnavailable>
  readonly remove: (ownerId: string, provider: string) => Effect.Effect<boolean, ServiceUnavailable>
  /**
   * Up to `limit` records whose data key is not wrapped by `keyId`, in (owner, provider) order,
   * after the cursor: rotation walks the table once even past records it cannot re-wrap.
   */
  readonly notWrappedBy: (
    keyId: string,
    after: Option.Option<Envelope.Binding>,
    limit: number
  ) => Effect.Effect<ReadonlyArray<SecretRecord>, ServiceUnavailable>
  /**
   * Applies the steps atomically (all or none) and returns how many took effect: a step whose
   * record was replaced or re-wrapped meanwhile is skipped, as the record is then already under
   * the current key.
   */
  readonly rewrap: (steps: ReadonlyArray<Rewrap>) => Effect.Effect<number, ServiceUnavailable>
}

/** Where the vault keeps its sealed secrets. */
export class VaultRepo extends Context.Tag("@switchyard/vault/VaultRepo")<VaultRepo, VaultRepoService>() {}

const metadataColumns = "owner_id, provider, enabled, base_url, last4, key_id, created_at, updated_at"

/** The `vault_secrets` table (see `migrations/`). */
export const layerPg = Layer.effect(
  VaultRepo,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const columns = sql.literal(metadataColumns)

    const upsert = SqlSchema.single({
      Request: SecretRecord,
      Result: SecretMetadata,
      execute: (record) => sql`
        INSERT INTO vault_secrets ${sql.insert(record)}
        ON CONFLICT (owner_id, provider) DO UPDATE SET
          ciphertext = EXCLUDED.ciphertext,
          nonce = EXCLUDED.nonce,
          tag = EXCLUDED.tag,
          wrapped_key = EXCLUDED.wrapped_key,
          wrapped_key_nonce = EXCLUDED.wrapped_key_nonce,
          wrapped_key_tag = EXCLUDED.wrapped_key_tag,
          key_id = EXCLUDED.key_id,
          last4 = EXCLUDED.last4,
          base_url = EXCLUDED.base_url,
          enabled = EXCLUDED.enabled,
          updated_at = EXCLUDED.updated_at
        RETURNING ${columns}`
    })

    const Key = Schema.Struct({ ownerId: Schema.String, provider: Schema.String })

    const find = SqlSchema.findOne({
      Request: Key,
      Result: SecretRecord,
      execute: ({ ownerId, provider }) =>
        sql`SELECT * FROM vault_secrets WHERE owner_id = ${ownerId} AND provider = ${provider}`
    })

    const list = SqlSchema.findAll({
      Request: Schema.Struct({ ownerId: Schema.String, limit: Schema.Int }),
      Result: SecretMetadata,
      execute: ({ limit, ownerId }) =>
        sql`SELECT ${columns} FROM vault_secrets WHERE owner_id = ${ownerId} ORDER BY provider LIMIT ${limit}`
    })

    const setEnabled = SqlSchema.findOne({
      Request: Schema.Struct({ ...Key.fields, enabled: Schema.Boolean, updatedAt: Schema.DateFromSelf }),
      Result: SecretMetadata,
      execute: ({ enabled, ownerId, provider, updatedAt }) => sql`
        UPDATE vault_secrets SET enabled = ${enabled}, updated_at = ${updatedAt}
        WHERE owner_id = ${ownerId} AND provider = ${provider}
        RETURNING ${columns}`
    })

    const notWrappedBy = SqlSchema.findAll({
      Request: Schema.Struct({ keyId: Schema.String, after: Schema.NullOr(Key), limit: Schema.Int }),
      Result: SecretRecord,
      execute: ({ after, keyId, limit }) => sql`
        SELECT * FROM vault_secrets
        WHERE key_id <> ${keyId}
          ${after === null ? sql`` : sql`AND (owner_id, provider) > (${after.ownerId}, ${after.provider})`}
        ORDER BY owner_id, provider
        LIMIT ${limit}`
    })

    // A row that does not decode is a bug (a defect); a database that fails is an outage.
    const outage = <A, E extends { readonly _tag: string }>(effect: Effect.Effect<A, E>) =>
      effect.pipe(
        Effect.catchIf((e) => e._tag === "ParseError", Effect.die),
        Effect.mapError(ServiceUnavailable.database)
      )

    return VaultRepo.of({
      upsert: (record) => outage(upsert(record)),
      find: (ownerId, provider) => outage(find({ ownerId, provider })),
      list: (ownerId, limit) => outage(list({ ownerId, limit })),
      setEnabled: (ownerId, provider, enabled, updatedAt) =>
        outage(setEnabled({ ownerId, provider, enabled, updatedAt })),
      remove: (ownerId, provider) =>
        sql`DELETE FROM vault_secrets WHERE owner_id = ${ownerId} AND provider = ${provider} RETURNING provider`.pipe(
          Effect.map((rows) => rows.length > 0),
          Effect.mapError(ServiceUnavailable.database)
        ),
      notWrappedBy: (keyId, after, limit) =>
        outage(notWrappedBy({ keyId, after: Option.getOrNull(after), limit })),
      rewrap: (steps) =>
        sql
          .withTransaction(
            Effect.reduce(steps, 0, (applied, { from, to }) =>
              sql`
                UPDATE vault_secrets SET
                  wrapped_key = ${to.wrappedKey},
                  wrapped_key_nonce = ${to.wrappedKeyNonce},
                  wrapped_key_tag = ${to.wrappedKeyTag},
                  key_id = ${to.keyId}
                WHERE owner_id = ${from.ownerId} AND provider = ${from.provider}
                  AND key_id = ${from.keyId} AND wrapped_key = ${from.wrappedKey}
                RETURNING provider`.pipe(Effect.map((rows) => applied + rows.length))
            )
          )
          .pipe(Effect.mapError(ServiceUnavailable.database))
    })
  })
)

/** The metadata part of a record, without its envelope. */
export const toMetadata = (record: SecretMetadata): SecretMetadata => ({
  ownerId: record.ownerId,
  provider: record.provider,
  enabled: record.enabled,
  baseUrl: record.baseUrl,
  last4: record.last4,
  keyId: record.keyId,
  createdAt: record.createdAt,
  updatedAt: record.updatedAt
})

const compareKeys = (a: Envelope.Binding, b: Envelope.Binding): number =>
  a.ownerId < b.ownerId
    ? -1
    : a.ownerId > b.ownerId
      ? 1
      : a.provider < b.provider
        ? -1
        : a.provider > b.provider
          ? 1
          : 0

const bytesEqual = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && a.every((byte, i) => byte === b[i])

/** The same behaviour over a Map, for tests and apps that run without a database. */
export const layerMemory = Layer.sync(VaultRepo, () => {
  const records = new Map<string, SecretRecord>()
  const keyOf = (ownerId: string, provider: string) => JSON.stringify([ownerId, provider])

  return VaultRepo.of({
    upsert: (record) =>
      Effect.sync(() => {
        const existing = records.get(keyOf(record.ownerId, record.provider))
        const stored = existing === undefined ? record : { ...record, createdAt: existing.createdAt }
        records.set(keyOf(record.ownerId, record.provider), stored)
        return toMetadata(stored)
      }),
    find: (ownerId, provider) =>
      Effect.sync(() => Option.fromNullable(records.get(keyOf(ownerId, provider)))),
    list: (ownerId, limit) =>
      Effect.sync(() =>
        [...records.values()]
          .filter((record) => record.ownerId === ownerId)
          .sort(compareKeys)
          .slice(0, limit)
          .map(toMetadata)
      ),
    setEnabled: (ownerId, provider, enabled, updatedAt) =>
      Effect.sync(() => {
        const existing = records.get(keyOf(ownerId, provider))
        if (existing === undefined) return Option.none()
        const updated = { ...existing, enabled, updatedAt }
        records.set(keyOf(ownerId, provider), updated)
        return Option.some(toMetadata(updated))
      }),
    remove: (ownerId, provider) => Effect.sync(() => records.delete(keyOf(ownerId, provider))),
    notWrappedBy: (keyId, after, limit) =>
      Effect.sync(() =>
        [...records.values()]
          .filter(
            (record) =>
              record.keyId !== keyId &&
              Option.match(after, { onNone: () => true, onSome: (a) => compareKeys(record, a) > 0 })
          )
          .sort(compareKeys)
          .slice(0, limit)
      ),
    rewrap: (steps) =>
      Effect.sync(() => {
        let applied = 0
        for (const { from, to } of steps) {
          const key = keyOf(from.ownerId, from.provider)
          const current = records.get(key)
          // The same compare-and-swap as the SQL layer: skip records that changed since they were read.
          if (
            current === undefined ||
            current.keyId !== from.keyId ||
            !bytesEqual(current.wrappedKey, from.wrappedKey)
          )
            continue
          records.set(key, {
            ...current,
            wrappedKey: to.wrappedKey,
            wrappedKeyNonce: to.wrappedKeyNonce,
            wrappedKeyTag: to.wrappedKeyTag,
            keyId: to.keyId
          })
          applied++
        }
        return applied
      })
  })
})
