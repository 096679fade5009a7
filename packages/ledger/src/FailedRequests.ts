/**
 * Failed-request sync (seed 000): validates a client's report of a request that failed while it was
 * offline and stores it once per `(user, request_id)`. A repeat of the same request id answers with
 * the ORIGINAL `synced_at` and changes nothing, so clients may retry a sync freely.
 *
 * The router owns the HTTP route; it parses the JSON body and passes it here as `unknown`.
 */
import {
  FAILED_REQUEST_DATA_MAX_BYTES,
  FailedRequestQuotaExceeded,
  FailedRequestStoreUnavailable,
  FailedRequestSync,
  type FailedRequestSynced,
  InvalidFailedRequest,
  MAX_JSON_DEPTH,
  unstorablePath
} from "@switchyard/domain"
import { Clock, Config, type ConfigError, Context, Effect, Layer, ParseResult, Schema } from "effect"
import { LedgerSql } from "./LedgerDatabase.ts"

/** How much one user may keep stored: a client reporting in a loop must not fill the disk. */
export interface Quota {
  readonly maxRequests: number
  /** Sum of the stored (`pg_column_size`) sizes of a user's `request_data`. */
  readonly maxBytes: number
}

const defaultQuota: Quota = { maxRequests: 1000, maxBytes: 10 * 1024 * 1024 }

const quotaConfig: Config.Config<Quota> = Config.all({
  maxRequests: Config.integer("FAILED_REQUESTS_MAX_PER_USER").pipe(
    Config.withDefault(defaultQuota.maxRequests)
  ),
  maxBytes: Config.integer("FAILED_REQUESTS_MAX_BYTES_PER_USER").pipe(
    Config.withDefault(defaultQuota.maxBytes)
  )
})

const overQuota = (quota: Quota) =>
  new FailedRequestQuotaExceeded({
    message: `Your stored failed requests have reached the quota (${quota.maxRequests} requests or ${quota.maxBytes} bytes); older ones must expire first`
  })

/** Stores synced failed requests. */
export class FailedRequests extends Context.Tag("@switchyard/ledger/FailedRequests")<
  FailedRequests,
  {
    /** Validates and stores `body` for `userId`; idempotent on `(userId, request_id)`. */
    readonly store: (
      userId: string,
      body: unknown
    ) => Effect.Effect<
      FailedRequestSynced,
      InvalidFailedRequest | FailedRequestQuotaExceeded | FailedRequestStoreUnavailable
    >
  }
>() {
  /**
   * Stored in the ledger database (`failed_requests`), within the per-user quota of
   * `FAILED_REQUESTS_MAX_PER_USER` (1000) and `FAILED_REQUESTS_MAX_BYTES_PER_USER` (10 MiB).
   */
  static readonly layerPg: Layer.Layer<FailedRequests, ConfigError.ConfigError, LedgerSql> = Layer.effect(
    FailedRequests,
    Effect.flatMap(quotaConfig, (quota) => Effect.map(LedgerSql, (sql) => make(pgStore(sql, quota))))
  )
  /** `layerPg` with an explicit quota (tests). */
  static readonly layerPgWith = (quota: Quota): Layer.Layer<FailedRequests, never, LedgerSql> =>
    Layer.effect(
      FailedRequests,
      Effect.map(LedgerSql, (sql) => make(pgStore(sql, quota)))
    )
  /** Kept in memory (quota by count only). */
  static readonly layerMemory: Layer.Layer<FailedRequests> = Layer.sync(FailedRequests, () =>
    make(memoryStore(defaultQuota))
  )
  /** `layerMemory` with an explicit quota. */
  static readonly layerMemoryWith = (quota: Quota): Layer.Layer<FailedRequests> =>
    Layer.sync(FailedRequests, () => make(memoryStore(quota)))
}

const SYNCED_MESSAGE = "Request synced successfully"

/** Where validated reports go: returns the `synced_at` of the first stored copy. */
type Store = (
  userId: string,
  request: FailedRequestSync,
  now: Date
) => Effect.Effect<Date, FailedRequestStoreUnavailable | FailedRequestQuotaExceeded>

const decode = Schema.decodeUnknown(FailedRequestSync, { errors: "first", onExcessProperty: "ignore" })

/** Turns a schema failure into an error naming the first offending field. */
const invalid = (error: ParseResult.ParseError) => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  const field = issue?.path[0]
  return new InvalidFailedRequest({
    field: field === undefined ? "body" : String(field),
    message:
      field === undefined
        ? "body must be a JSON object"
        : `${String(field)} ${issue?.message ?? "is invalid"}`
  })
}

/** Validates a sync body (the field rules of `FailedRequestSync`, plus the size of `request_data`). */
export const validate = (body: unknown): Effect.Effect<FailedRequestSync, InvalidFailedRequest> =>
  Effect.gen(function* () {
    const request = yield* Effect.mapError(decode(body), invalid)
    // jsonb refuses NUL and unpaired surrogates: a body carrying one is the client's problem, not a
    // 503. Checked before serialising: this also bounds the nesting `JSON.stringify` recurses into.
    const bad = unstorablePath(request.request_data, "request_data")
    if (bad !== undefined) {
      return yield* new InvalidFailedRequest({
        field: "request_data",
        message: `${bad} must not contain NUL characters (\\u0000) or unpaired surrogates (invalid UTF-8), nor nest deeper than ${MAX_JSON_DEPTH} levels`
      })
    }
    const serialized = JSON.stringify(request.request_data)
    const bytes = Buffer.byteLength(serialized, "utf8")
    if (bytes > FAILED_REQUEST_DATA_MAX_BYTES) {
      return yield* new InvalidFailedRequest({
        field: "request_data",
        message: `request_data must be at most ${FAILED_REQUEST_DATA_MAX_BYTES} bytes of JSON (got ${bytes})`
      })
    }
    return request
  })

const make = (store: Store): Context.Tag.Service<FailedRequests> => ({
  store: (userId, body) =>
    Effect.gen(function* () {
      const request = yield* validate(body)
      const now = new Date(yield* Clock.currentTimeMillis)
      const syncedAt = yield* store(userId, request, now)
      return { message: SYNCED_MESSAGE, request_id: request.request_id, synced_at: syncedAt.toISOString() }
    })
})

const unavailable = (error: unknown) =>
  new FailedRequestStoreUnavailable({
    message: `failed requests cannot be stored right now: ${error instanceof Error ? error.message : String(error)}`
  })

const pgStore =
  (sql: Context.Tag.Service<LedgerSql>, quota: Quota): Store =>
  (userId, request, now) =>
    Effect.gen(function* () {
      // Insert while the user is within quota (their rows are found by the primary key's prefix),
      // or learn that a copy exists. Two statements on purpose: a row committed by a concurrent
      // sync after this statement's snapshot is skipped by ON CONFLICT but would be invisible to
      // a SELECT in the same statement. Concurrent syncs of one user may pass the quota by as
      // many rows as are in flight at once.
      const inserted = yield* sql<{ syncedAt: Date }>`
        INSERT INTO failed_requests (user_id, request_id, original_timestamp, request_data, error_message, synced_at)
        SELECT ${userId}, ${request.request_id}, ${new Date(request.original_timestamp)},
               ${JSON.stringify(request.request_data)}::jsonb, ${request.error}, ${now}
        FROM (SELECT count(*) AS n, coalesce(sum(pg_column_size(request_data)), 0) AS bytes
              FROM failed_requests WHERE user_id = ${userId}) AS stored
        WHERE stored.n < ${quota.maxRequests} AND stored.bytes < ${quota.maxBytes}
        ON CONFLICT (user_id, request_id) DO NOTHING
        RETURNING synced_at`
      if (inserted[0]) return inserted[0].syncedAt
      const existing = yield* sql<{ syncedAt: Date }>`
        SELECT synced_at FROM failed_requests WHERE user_id = ${userId} AND request_id = ${request.request_id}`
      if (existing[0]) return existing[0].syncedAt
      return yield* overQuota(quota)
    }).pipe(
      Effect.catchIf(
        (error): error is Exclude<typeof error, FailedRequestQuotaExceeded> =>
          !(error instanceof FailedRequestQuotaExceeded),
        (error) => Effect.fail(unavailable(error))
      )
    )

const memoryStore = (quota: Quota): Store => {
  const rows = new Map<string, Date>()
  const perUser = new Map<string, number>()
  return (userId, request, now) =>
    Effect.suspend(() => {
      const key = `${userId}\u0000${request.request_id}`
      const existing = rows.get(key)
      if (existing) return Effect.succeed(existing)
      const count = perUser.get(userId) ?? 0
      if (count >= quota.maxRequests) return Effect.fail(overQuota(quota))
      perUser.set(userId, count + 1)
      rows.set(key, now)
      return Effect.succeed(now)
    })
}
