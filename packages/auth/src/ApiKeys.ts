/**
 * The API-key lifecycle behind `/v1/apikey`: one key per user, shown in full only when created or
 * regenerated, every change published on the change feed so routers drop it at once.
 */
import type { SqlClient } from "@effect/sql"
import {
  ApiKeyAlreadyExists,
  ApiKeyNotFound,
  type LimitsConfig,
  type ServiceUnavailable
} from "@switchyard/domain"
import { Context, Effect, Layer, Option, Redacted } from "effect"
import * as ApiKeyFormat from "./ApiKeyFormat.ts"
import { type ApiKeyPatch, type ApiKeyRecord, ApiKeyRepo } from "./ApiKeyRepo.ts"
import { ChangeFeed } from "./ChangeFeed.ts"

/** A key that was just made: the only place its plaintext exists. */
export interface IssuedKey {
  readonly key: Redacted.Redacted<string>
  readonly record: ApiKeyRecord
}

/** Who a valid, enabled key belongs to, and the limits its owner set on it. */
export interface VerifiedKey {
  readonly keyId: string
  readonly userId: string
  /**
   * The key's own limits (decoded: budgets in micro-dollars); `null` when none are set. A field
   * left out inherits the operator's default; a `null` field means no limit of that kind.
   */
  readonly limits: LimitsConfig | null
}

const notFound = () => new ApiKeyNotFound({ message: "You have no API key; create one with POST /v1/apikey" })

/** The API-key lifecycle. */
export class ApiKeys extends Context.Tag("@switchyard/auth/ApiKeys")<
  ApiKeys,
  {
    readonly get: (userId: string) => Effect.Effect<Option.Option<ApiKeyRecord>, ServiceUnavailable>
    readonly create: (userId: string) => Effect.Effect<IssuedKey, ApiKeyAlreadyExists | ServiceUnavailable>
    /** A new key in place of the old one, which stops working at once. */
    readonly regenerate: (userId: string) => Effect.Effect<IssuedKey, ApiKeyNotFound | ServiceUnavailable>
    /**
     * Changes whether the key works and/or its limits (`limits` replaces the whole object; `{}` and
     * `null` both remove it). Published, so routers drop the cached key at once.
     */
    readonly update: (
      userId: string,
      patch: ApiKeyPatch
    ) => Effect.Effect<ApiKeyRecord, ApiKeyNotFound | ServiceUnavailable>
    /** `update(userId, { enabled })`. */
    readonly setEnabled: (
      userId: string,
      enabled: boolean
    ) => Effect.Effect<ApiKeyRecord, ApiKeyNotFound | ServiceUnavailable>
    readonly remove: (userId: string) => Effect.Effect<void, ApiKeyNotFound | ServiceUnavailable>
    /** Reads the database (no cache): the authoritative answer, for `/v1/apikey/verify`. */
    readonly verify: (rawKey: string) => Effect.Effect<Option.Option<VerifiedKey>, ServiceUnavailable>
  }
>() {
  /** Over any `ApiKeyRepo`. */
  static readonly layerWithRepo: Layer.Layer<ApiKeys, never, ApiKeyRepo | ChangeFeed> = Layer.effect(
    ApiKeys,
    Effect.gen(function* () {
      const repo = yield* ApiKeyRepo
      const feed = yield* ChangeFeed
      const changed = (userId: string, ...hashes: ReadonlyArray<string>) =>
        Effect.forEach(hashes, (keyHash) => feed.publish({ _tag: "ApiKeyChanged", keyHash, userId }), {
          discard: true
        })
      const fresh = () => {
        const key = ApiKeyFormat.generate()
        const raw = Redacted.value(key)
        return { key, stored: { keyHash: ApiKeyFormat.hash(raw), ...ApiKeyFormat.visibleParts(raw) } }
      }
      const update = (userId: string, patch: ApiKeyPatch) =>
        Effect.gen(function* () {
          const record = yield* repo.update(userId, normalize(patch))
          if (Option.isNone(record)) return yield* notFound()
          yield* changed(userId, record.value.keyHash)
          return record.value
        })
      return {
        get: repo.findByUser,
        create: (userId) =>
          Effect.gen(function* () {
            const { key, stored } = fresh()
            const record = yield* repo.insert(userId, stored)
            if (Option.isNone(record)) {
              return yield* new ApiKeyAlreadyExists({
                message: "You already have an API key; regenerate it with PUT /v1/apikey"
              })
            }
            yield* changed(userId, stored.keyHash)
            return { key, record: record.value }
          }),
        regenerate: (userId) =>
          Effect.gen(function* () {
            const { key, stored } = fresh()
            const replaced = yield* repo.replace(userId, stored)
            if (Option.isNone(replaced)) return yield* notFound()
            yield* changed(userId, replaced.value.oldHash, stored.keyHash)
            return { key, record: replaced.value.record }
          }),
        update,
        setEnabled: (userId, enabled) => update(userId, { enabled }),
        remove: (userId) =>
          Effect.gen(function* () {
            const record = yield* repo.remove(userId)
            if (Option.isNone(record)) return yield* notFound()
            yield* changed(userId, record.value.keyHash)
          }),
        verify: (rawKey) =>
          ApiKeyFormat.isWellFormed(rawKey)
            ? Effect.map(repo.findByHash(ApiKeyFormat.hash(rawKey)), toVerified)
            : Effect.succeedNone
      }
    })
  )

  /** PostgreSQL. */
  static readonly layerPg: Layer.Layer<ApiKeys, never, SqlClient.SqlClient | ChangeFeed> =
    ApiKeys.layerWithRepo.pipe(Layer.provide(ApiKeyRepo.layerPg))

  /** In memory (with its own `ApiKeyRepo.layerMemory`). */
  static readonly layerMemory: Layer.Layer<ApiKeys, never, ChangeFeed> = ApiKeys.layerWithRepo.pipe(
    Layer.provide(ApiKeyRepo.layerMemory)
  )
}

/** Limits with no field set say nothing: stored as no limits at all, so one form means "defaults". */
const normalize = (patch: ApiKeyPatch): ApiKeyPatch =>
  patch.limits != null && Object.values(patch.limits).every((value) => value === undefined)
    ? { ...patch, limits: null }
    : patch

/** A stored key counts only while enabled. */
export const toVerified = (record: Option.Option<ApiKeyRecord>): Option.Option<VerifiedKey> =>
  Option.flatMap(record, (r) =>
    r.enabled ? Option.some({ keyId: r.id, userId: r.userId, limits: r.limits }) : Option.none()
  )
