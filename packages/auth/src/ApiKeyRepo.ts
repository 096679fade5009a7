/**
 * Storage of API keys (one row per user, the key only as its hash, with the key's own limits), in
 * PostgreSQL or in memory. Every query runs on a unique index: `user_id` or `key_hash`.
 */
import { SqlClient, SqlSchema } from "@effect/sql"
import { LimitsConfig, ServiceUnavailable } from "@switchyard/domain"
import { Context, Effect, Layer, Option, Schema } from "effect"

/** One stored key. */
export const ApiKeyRecord = Schema.Struct({
  id: Schema.String,
  userId: Schema.String,
  keyHash: Schema.String,
  prefix: Schema.String,
  last4: Schema.String,
  enabled: Schema.Boolean,
  createdAt: Schema.DateFromSelf,
  updatedAt: Schema.DateFromSelf,
  lastUsedAt: Schema.NullOr(Schema.DateFromSelf),
  /** The key's own limits, decoded; `null` when the operator's defaults apply. */
  limits: Schema.NullOr(LimitsConfig)
})
export type ApiKeyRecord = typeof ApiKeyRecord.Type

/** A change to a key; fields left out stay as they are. */
export interface ApiKeyPatch {
  readonly enabled?: boolean
  /** Replaces the whole limits object; `null` removes it. */
  readonly limits?: LimitsConfig | null
}

/** The `limits` column's JSON text (budgets in their `amountMicros` form). */
const limitsJson = (limits: LimitsConfig | null): string | null =>
  limits === null ? null : JSON.stringify(Schema.encodeSync(LimitsConfig)(limits))

/** The hash and visible parts of a new key. */
export interface NewKey {
  readonly keyHash: string
  readonly prefix: string
  readonly last4: string
}

/** The key storage. A database that cannot be reached fails with `ServiceUnavailable`. */
export class ApiKeyRepo extends Context.Tag("@switchyard/auth/ApiKeyRepo")<
  ApiKeyRepo,
  {
    readonly findByUser: (userId: string) => Effect.Effect<Option.Option<ApiKeyRecord>, ServiceUnavailable>
    readonly findByHash: (keyHash: string) => Effect.Effect<Option.Option<ApiKeyRecord>, ServiceUnavailable>
    /** Stores the user's key; `None` when the user already has one. */
    readonly insert: (
      userId: string,
      key: NewKey
    ) => Effect.Effect<Option.Option<ApiKeyRecord>, ServiceUnavailable>
    /** Replaces the user's key in place, keeping its limits; returns the old hash and the new record. */
    readonly replace: (
      userId: string,
      key: NewKey
    ) => Effect.Effect<
      Option.Option<{ readonly oldHash: string; readonly record: ApiKeyRecord }>,
      ServiceUnavailable
    >
    /** Applies `patch` to the user's key; `None` when the user has none. */
    readonly update: (
      userId: string,
      patch: ApiKeyPatch
    ) => Effect.Effect<Option.Option<ApiKeyRecord>, ServiceUnavailable>
    /** Deletes the user's key; returns what was deleted. */
    readonly remove: (userId: string) => Effect.Effect<Option.Option<ApiKeyRecord>, ServiceUnavailable>
    /**
     * Records that keys were used at `at` (never moving `lastUsedAt` backwards). Meant for the
     * router's periodic batch, not for each request.
     */
    readonly markUsed: (keyIds: ReadonlyArray<string>, at: Date) => Effect.Effect<void, ServiceUnavailable>
  }
>() {
  /** PostgreSQL (`api_key` table from `authMigrations`). */
  static readonly layerPg: Layer.Layer<ApiKeyRepo, never, SqlClient.SqlClient> = Layer.effect(
    ApiKeyRepo,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const findByUser = SqlSchema.findOne({
        Request: Schema.String,
        Result: ApiKeyRecord,
        execute: (userId) => sql`SELECT * FROM api_key WHERE user_id = ${userId}`
      })
      const findByHash = SqlSchema.findOne({
        Request: Schema.String,
        Result: ApiKeyRecord,
        execute: (keyHash) => sql`SELECT * FROM api_key WHERE key_hash = ${keyHash}`
      })
      // A row that does not decode is a bug (schema and migration disagree), not a request error.
      const decode = (row: unknown) => Effect.orDie(Schema.decodeUnknown(ApiKeyRecord)(row))
      const decodeFirst = (rows: ReadonlyArray<unknown>) =>
        Effect.transposeMapOption(Option.fromNullable(rows[0]), decode)
      const outage = Effect.mapError(ServiceUnavailable.database)
      return {
        findByUser: (userId) => findByUser(userId).pipe(Effect.catchTag("ParseError", Effect.die), outage),
        findByHash: (keyHash) => findByHash(keyHash).pipe(Effect.catchTag("ParseError", Effect.die), outage),
        insert: (userId, key) =>
          sql`INSERT INTO api_key ${sql.insert({ id: crypto.randomUUID(), userId, ...key })}
              ON CONFLICT (user_id) DO NOTHING RETURNING *`.pipe(Effect.flatMap(decodeFirst), outage),
        replace: (userId, key) =>
          sql<{ oldHash: string }>`
            WITH old AS (SELECT id, key_hash FROM api_key WHERE user_id = ${userId} FOR UPDATE)
            UPDATE api_key SET key_hash = ${key.keyHash}, prefix = ${key.prefix}, last4 = ${key.last4},
              enabled = true, created_at = now(), updated_at = now(), last_used_at = NULL
            FROM old WHERE api_key.id = old.id
            RETURNING api_key.*, old.key_hash AS old_hash`.pipe(
            Effect.flatMap((rows) =>
              Effect.transposeMapOption(Option.fromNullable(rows[0]), (row) =>
                Effect.map(decode(row), (record) => ({ oldHash: row.oldHash, record }))
              )
            ),
            outage
          ),
        update: (userId, patch) =>
          sql`UPDATE api_key SET
                enabled = COALESCE(${patch.enabled ?? null}::boolean, enabled),
                limits = CASE WHEN ${patch.limits !== undefined}::boolean
                  THEN ${limitsJson(patch.limits ?? null)}::jsonb ELSE limits END,
                updated_at = now()
              WHERE user_id = ${userId} RETURNING *`.pipe(Effect.flatMap(decodeFirst), outage),
        remove: (userId) =>
          sql`DELETE FROM api_key WHERE user_id = ${userId} RETURNING *`.pipe(
            Effect.flatMap(decodeFirst),
            outage
          ),
        markUsed: (keyIds, at) =>
          keyIds.length === 0
            ? Effect.void
            : sql`UPDATE api_key SET last_used_at = ${at}
                  WHERE id IN ${sql.in(keyIds)} AND (last_used_at IS NULL OR last_used_at < ${at})`.pipe(
                Effect.asVoid,
                outage
              )
      }
    })
  )

  /** In memory, for fast tests. */
  static readonly layerMemory: Layer.Layer<ApiKeyRepo> = Layer.sync(ApiKeyRepo, () => {
    const byUser = new Map<string, ApiKeyRecord>()
    const update = (userId: string, f: (record: ApiKeyRecord) => ApiKeyRecord) =>
      Effect.sync(() => {
        const current = byUser.get(userId)
        if (current === undefined) return Option.none()
        const next = f(current)
        byUser.set(userId, next)
        return Option.some(next)
      })
    return {
      findByUser: (userId) => Effect.sync(() => Option.fromNullable(byUser.get(userId))),
      findByHash: (keyHash) =>
        Effect.sync(() => Option.fromNullable([...byUser.values()].find((r) => r.keyHash === keyHash))),
      insert: (userId, key) =>
        Effect.sync(() => {
          if (byUser.has(userId)) return Option.none()
          const now = new Date()
          const record: ApiKeyRecord = {
            id: crypto.randomUUID(),
            userId,
            ...key,
            enabled: true,
            createdAt: now,
            updatedAt: now,
            lastUsedAt: null,
            limits: null
          }
          byUser.set(userId, record)
          return Option.some(record)
        }),
      replace: (userId, key) =>
        Effect.sync(() => {
          const old = byUser.get(userId)
          if (old === undefined) return Option.none()
          const now = new Date()
          const record = { ...old, ...key, enabled: true, createdAt: now, updatedAt: now, lastUsedAt: null }
          byUser.set(userId, record)
          return Option.some({ oldHash: old.keyHash, record })
        }),
      update: (userId, patch) =>
        update(userId, (r) => ({
          ...r,
          enabled: patch.enabled ?? r.enabled,
          limits: patch.limits === undefined ? r.limits : patch.limits,
          updatedAt: new Date()
        })),
      remove: (userId) =>
        Effect.sync(() => {
          const old = byUser.get(userId)
          byUser.delete(userId)
          return Option.fromNullable(old)
        }),
      markUsed: (keyIds, at) =>
        Effect.sync(() => {
          for (const [userId, record] of byUser) {
            if (keyIds.includes(record.id) && (record.lastUsedAt === null || record.lastUsedAt < at)) {
              byUser.set(userId, { ...record, lastUsedAt: at })
            }
          }
        })
    }
  })
}
