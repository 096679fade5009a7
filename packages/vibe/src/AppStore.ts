/**
 * Apps, versions and history in PostgreSQL. Every query is by primary key or an index; every list
 * is bounded. A database failure is an expected failure (`VibeUnavailable`, 503), never a defect.
 */
import { SqlClient, type SqlError } from "@effect/sql"
import { type VibeAppStatus, VibeUnavailable } from "@switchyard/domain"
import { Context, Effect, Layer, Option } from "effect"
import * as AppStoreMemory from "./AppStoreMemory.ts"

/** An app as stored. */
export interface AppRecord {
  readonly id: string
  readonly ownerId: string
  readonly endUserId: string | null
  readonly status: VibeAppStatus
  readonly currentVersion: number | null
  readonly createdAt: Date
  readonly updatedAt: Date
}

/** A stored version, without its document. */
export interface VersionRecord {
  readonly version: number
  readonly prompt: string
  readonly model: string
  readonly bytes: number
  readonly createdAt: Date
}

/** A history message. */
export interface MessageRecord {
  readonly type: "user" | "assistant"
  readonly content: string
}

/** What the apps server needs to answer a request for an app. */
export interface ServedApp {
  readonly status: VibeAppStatus
  readonly html: string | null
}

/** The caller already created its allowance of apps this hour. */
export interface CreateLimitReached {
  readonly _tag: "CreateLimitReached"
  readonly retryAfterSeconds: number
}

/** Most history messages and versions returned. */
export const LIST_LIMIT = 500

/** The store. */
export class AppStore extends Context.Tag("@switchyard/vibe/AppStore")<
  AppStore,
  {
    /**
     * Creates an app in `creating` with its first user message, unless its owner (and end user)
     * created `perHour` apps in the last hour, deleted ones included.
     */
    readonly create: (app: {
      readonly id: string
      readonly ownerId: string
      readonly endUserId: string | null
      readonly prompt: string
      readonly perHour: number
    }) => Effect.Effect<AppRecord | CreateLimitReached, VibeUnavailable>
    /** The app, if it exists, is not deleted and belongs to `ownerId`. */
    readonly find: (id: string, ownerId: string) => Effect.Effect<Option.Option<AppRecord>, VibeUnavailable>
    readonly addMessage: (id: string, message: MessageRecord) => Effect.Effect<void, VibeUnavailable>
    /** Stores a new version, serves it, marks the app active and active just now; returns its number. */
    readonly addVersion: (
      id: string,
      version: { readonly html: string; readonly prompt: string; readonly model: string }
    ) => Effect.Effect<number, VibeUnavailable>
    readonly setStatus: (id: string, status: VibeAppStatus) => Effect.Effect<void, VibeUnavailable>
    /** The first user message (what the app was first asked to be). */
    readonly firstPrompt: (id: string) => Effect.Effect<string, VibeUnavailable>
    /** The served version's document. */
    readonly currentHtml: (id: string) => Effect.Effect<Option.Option<string>, VibeUnavailable>
    /** Oldest first, the last `LIST_LIMIT`. */
    readonly history: (id: string) => Effect.Effect<ReadonlyArray<MessageRecord>, VibeUnavailable>
    /** Oldest first, the last `LIST_LIMIT`. */
    readonly versions: (id: string) => Effect.Effect<ReadonlyArray<VersionRecord>, VibeUnavailable>
    /** Serves `version` again; false when the app has no such version. */
    readonly revert: (id: string, version: number) => Effect.Effect<boolean, VibeUnavailable>
    /** Drops versions and history; the row stays (for the hourly limit), never listed again. */
    readonly remove: (id: string) => Effect.Effect<void, VibeUnavailable>
    readonly countActive: Effect.Effect<number, VibeUnavailable>
    /** Stops the active apps idle for `idleSeconds`; returns them. */
    readonly stopIdle: (
      idleSeconds: number
    ) => Effect.Effect<
      ReadonlyArray<{ readonly id: string; readonly ownerId: string; readonly endUserId: string | null }>,
      VibeUnavailable
    >
    /** For the apps server: the app's status and served document, any owner. */
    readonly served: (id: string) => Effect.Effect<Option.Option<ServedApp>, VibeUnavailable>
    /** Records a view (at most one write per app every 30 s). */
    readonly touch: (id: string) => Effect.Effect<void, VibeUnavailable>
  }
>() {
  /** In process memory (tests). */
  static readonly layerMemory = Layer.sync(AppStore, AppStoreMemory.make)

  /** PostgreSQL (tables from `vibeMigrations`). */
  static readonly layerPg = Layer.effect(
    AppStore,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const unavailable = <A, R>(effect: Effect.Effect<A, SqlError.SqlError, R>) =>
        effect.pipe(
          Effect.tapError((error) => Effect.logError("vibe: database call failed", error.message)),
          Effect.mapError(
            () => new VibeUnavailable({ message: "The vibe-apps database is unavailable; try again shortly" })
          )
        )
      const appColumns = sql`id, owner_id, end_user_id, status, current_version, created_at, updated_at`

      const create = (app: {
        readonly id: string
        readonly ownerId: string
        readonly endUserId: string | null
        readonly prompt: string
        readonly perHour: number
      }) =>
        sql
          .withTransaction(
            Effect.gen(function* () {
              // One creator at a time per owner and end user, so two parallel creates cannot both pass the count.
              yield* sql`SELECT pg_advisory_xact_lock(hashtext(${`vibe:${app.ownerId}:${app.endUserId ?? ""}`}))`
              const recent = yield* sql<{ count: number; oldest: Date | null }>`
                SELECT count(*)::int AS count, min(created_at) AS oldest FROM vibe_apps
                WHERE owner_id = ${app.ownerId} AND end_user_id IS NOT DISTINCT FROM ${app.endUserId}
                  AND created_at > now() - interval '1 hour'`
              const { count, oldest } = recent[0] ?? { count: 0, oldest: null }
              if (count >= app.perHour) {
                const [{ now }] = (yield* sql<{ now: Date }>`SELECT now() AS now`) as [{ now: Date }]
                const freeAt = (oldest ?? now).getTime() + 3_600_000
                return {
                  _tag: "CreateLimitReached",
                  retryAfterSeconds: Math.max(1, Math.ceil((freeAt - now.getTime()) / 1000))
                } as const
              }
              const rows = yield* sql<AppRecord>`
                INSERT INTO vibe_apps (id, owner_id, end_user_id, status)
                VALUES (${app.id}, ${app.ownerId}, ${app.endUserId}, 'creating')
                RETURNING ${appColumns}`
              yield* sql`INSERT INTO vibe_app_messages (app_id, type, content) VALUES (${app.id}, 'user', ${app.prompt})`
              return rows[0] as AppRecord
            })
          )
          .pipe(unavailable)

      const find = (id: string, ownerId: string) =>
        sql<AppRecord>`SELECT ${appColumns} FROM vibe_apps
                       WHERE id = ${id} AND owner_id = ${ownerId} AND deleted_at IS NULL`.pipe(
          Effect.map((rows) => Option.fromNullable(rows[0])),
          unavailable
        )

      const addMessage = (id: string, message: MessageRecord) =>
        sql`INSERT INTO vibe_app_messages (app_id, type, content) VALUES (${id}, ${message.type}, ${message.content})`.pipe(
          Effect.asVoid,
          unavailable
        )

      const addVersion = (
        id: string,
        version: { readonly html: string; readonly prompt: string; readonly model: string }
      ) =>
        sql
          .withTransaction(
            Effect.gen(function* () {
              // The row lock taken here numbers concurrent edits of one app one after the other.
              const rows = yield* sql<{ latestVersion: number }>`
                UPDATE vibe_apps SET latest_version = latest_version + 1, current_version = latest_version + 1,
                  status = 'active', updated_at = now(), last_activity_at = now()
                WHERE id = ${id} RETURNING latest_version`
              const number = rows[0]?.latestVersion ?? 1
              yield* sql`INSERT INTO vibe_app_versions (app_id, version, html, prompt, model)
                         VALUES (${id}, ${number}, ${version.html}, ${version.prompt}, ${version.model})`
              return number
            })
          )
          .pipe(unavailable)

      const setStatus = (id: string, status: VibeAppStatus) =>
        sql`UPDATE vibe_apps SET status = ${status}, updated_at = now() WHERE id = ${id}`.pipe(
          Effect.asVoid,
          unavailable
        )

      const firstPrompt = (id: string) =>
        sql<{ content: string }>`SELECT content FROM vibe_app_messages
                                 WHERE app_id = ${id} AND type = 'user' ORDER BY id LIMIT 1`.pipe(
          Effect.map((rows) => rows[0]?.content ?? ""),
          unavailable
        )

      const currentHtml = (id: string) =>
        sql<{ html: string }>`SELECT v.html FROM vibe_apps a
                              JOIN vibe_app_versions v ON v.app_id = a.id AND v.version = a.current_version
                              WHERE a.id = ${id}`.pipe(
          Effect.map((rows) => Option.map(Option.fromNullable(rows[0]), (row) => row.html)),
          unavailable
        )

      const history = (id: string) =>
        sql<MessageRecord>`SELECT type, content FROM (
                             SELECT id, type, content FROM vibe_app_messages WHERE app_id = ${id}
                             ORDER BY id DESC LIMIT ${LIST_LIMIT}) last ORDER BY id`.pipe(unavailable)

      const versions = (id: string) =>
        sql<VersionRecord>`SELECT version, prompt, model, bytes, created_at FROM (
                             SELECT version, prompt, model, octet_length(html) AS bytes, created_at
                             FROM vibe_app_versions WHERE app_id = ${id}
                             ORDER BY version DESC LIMIT ${LIST_LIMIT}) last ORDER BY version`.pipe(
          unavailable
        )

      const revert = (id: string, version: number) =>
        sql<{
          id: string
        }>`UPDATE vibe_apps SET current_version = ${version}, updated_at = now(), last_activity_at = now()
                            WHERE id = ${id} AND EXISTS (
                              SELECT 1 FROM vibe_app_versions WHERE app_id = ${id} AND version = ${version})
                            RETURNING id`.pipe(
          Effect.map((rows) => rows.length > 0),
          unavailable
        )

      const remove = (id: string) =>
        sql
          .withTransaction(
            Effect.gen(function* () {
              yield* sql`DELETE FROM vibe_app_versions WHERE app_id = ${id}`
              yield* sql`DELETE FROM vibe_app_messages WHERE app_id = ${id}`
              yield* sql`UPDATE vibe_apps SET deleted_at = now(), status = 'stopped', current_version = NULL,
                           updated_at = now() WHERE id = ${id}`
            })
          )
          .pipe(unavailable)

      const countActive = sql<{ count: number }>`
        SELECT count(*)::int AS count FROM vibe_apps WHERE status = 'active' AND deleted_at IS NULL`.pipe(
        Effect.map((rows) => rows[0]?.count ?? 0),
        unavailable
      )

      const stopIdle = (idleSeconds: number) =>
        sql<{ id: string; ownerId: string; endUserId: string | null }>`
          UPDATE vibe_apps SET status = 'stopped', updated_at = now()
          WHERE status = 'active' AND deleted_at IS NULL
            AND last_activity_at < now() - make_interval(secs => ${idleSeconds})
          RETURNING id, owner_id, end_user_id`.pipe(unavailable)

      const served = (id: string) =>
        sql<ServedApp>`SELECT a.status, v.html FROM vibe_apps a
                       LEFT JOIN vibe_app_versions v ON v.app_id = a.id AND v.version = a.current_version
                       WHERE a.id = ${id} AND a.deleted_at IS NULL`.pipe(
          Effect.map((rows) => Option.fromNullable(rows[0])),
          unavailable
        )

      const touch = (id: string) =>
        sql`UPDATE vibe_apps SET last_activity_at = now()
            WHERE id = ${id} AND status = 'active' AND last_activity_at < now() - interval '30 seconds'`.pipe(
          Effect.asVoid,
          unavailable
        )

      return {
        create,
        find,
        addMessage,
        addVersion,
        setStatus,
        firstPrompt,
        currentHtml,
        history,
        versions,
        revert,
        remove,
        countActive,
        stopIdle,
        served,
        touch
      }
    })
  )
}
