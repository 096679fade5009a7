/**
 * Failed-request sync (seed 000): validates a client's report of a request that failed while it was
 * offline and stores it once per `(user, request_id)`. A repeat of the same request id answers with
 * the ORIGINAL `synced_at` and changes nothing, so clients may retry a sync freely.
 *
 * The router owns the HTTP route; it parses the JSON body and passes it here as `unknown`.
 */
import {
  FAILED_REQUEST_DATA_MAX_BYTES,
  FailedRequestStoreUnavailable,
  FailedRequestSync,
  type FailedRequestSynced,
  InvalidFailedRequest
} from "@switchyard/domain"
import { Clock, Context, Effect, Layer, ParseResult, Schema } from "effect"
import { LedgerSql } from "./LedgerDatabase.ts"

/** Stores synced failed requests. */
export class FailedRequests extends Context.Tag("@switchyard/ledger/FailedRequests")<
  FailedRequests,
  {
    /** Validates and stores `body` for `userId`; idempotent on `(userId, request_id)`. */
    readonly store: (
      userId: string,
      body: unknown
    ) => Effect.Effect<FailedRequestSynced, InvalidFailedRequest | FailedRequestStoreUnavailable>
  }
>() {
  /** Stored in the ledger database (`failed_requests`). */
  static readonly layerPg: Layer.Layer<FailedRequests, never, LedgerSql> = Layer.effect(
    FailedRequests,
    Effect.map(LedgerSql, (sql) => make(pgStore(sql)))
  )
  /** Kept in memory. */
  static readonly layerMemory: Layer.Layer<FailedRequests> = Layer.sync(FailedRequests, () =>
    make(memoryStore())
  )
}

const SYNCED_MESSAGE = "Request synced successfully"

/** Where validated reports go: returns the `synced_at` of the first stored copy. */
type Store = (
  userId: string,
  request: FailedRequestSync,
  now: Date
) => Effect.Effect<Date, FailedRequestStoreUnavailable>

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

/** True when a string or key anywhere in a JSON value contains a NUL character. */
const hasNul = (value: unknown): boolean => {
  if (typeof value === "string") return value.includes("\u0000")
  if (Array.isArray(value)) return value.some(hasNul)
  if (value !== null && typeof value === "object") {
    return Object.entries(value).some(([key, v]) => key.includes("\u0000") || hasNul(v))
  }
  return false
}

/** Validates a sync body (the field rules of `FailedRequestSync`, plus the size of `request_data`). */
export const validate = (body: unknown): Effect.Effect<FailedRequestSync, InvalidFailedRequest> =>
  Effect.gen(function* () {
    const request = yield* Effect.mapError(decode(body), invalid)
    const serialized = JSON.stringify(request.request_data)
    // jsonb refuses NUL in strings: a body carrying one is the client's problem, not a 503.
    if (hasNul(request.request_data)) {
      return yield* new InvalidFailedRequest({
        field: "request_data",
        message: "request_data must not contain NUL characters (\\u0000)"
      })
    }
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
  (sql: Context.Tag.Service<LedgerSql>): Store =>
  (userId, request, now) =>
    Effect.gen(function* () {
      // Insert, or learn that a copy exists. Two statements on purpose: a row committed by a
      // concurrent sync after this statement's snapshot is skipped by ON CONFLICT but would be
      // invisible to a SELECT in the same statement.
      const inserted = yield* sql<{ syncedAt: Date }>`
        INSERT INTO failed_requests (user_id, request_id, original_timestamp, request_data, error_message, synced_at)
        VALUES (${userId}, ${request.request_id}, ${new Date(request.original_timestamp)},
                ${JSON.stringify(request.request_data)}::jsonb, ${request.error}, ${now})
        ON CONFLICT (user_id, request_id) DO NOTHING
        RETURNING synced_at`
      if (inserted[0]) return inserted[0].syncedAt
      const existing = yield* sql<{ syncedAt: Date }>`
        SELECT synced_at FROM failed_requests WHERE user_id = ${userId} AND request_id = ${request.request_id}`
      return existing[0]!.syncedAt
    }).pipe(Effect.mapError(unavailable))

const memoryStore = (): Store => {
  const rows = new Map<string, Date>()
  return (userId, request, now) =>
    Effect.sync(() => {
      const key = `${userId}\u0000${request.request_id}`
      const existing = rows.get(key)
      if (existing) return existing
      rows.set(key, now)
      return now
    })
}
