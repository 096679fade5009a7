/**
 * Failed-request sync (seed 000, `POST /v1/sync/failed-request`): a client that failed while offline
 * reports the request later; the gateway stores it once per `(user, request_id)`.
 */
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import { Schema } from "effect"
import { isStorableText } from "./StoredText.ts"

/** Largest accepted `request_data`, measured as its JSON serialization in UTF-8 bytes. */
export const FAILED_REQUEST_DATA_MAX_BYTES = 64 * 1024

/** Longest accepted `request_id` (the seed's column is `VARCHAR(255)`). */
export const FAILED_REQUEST_ID_MAX_LENGTH = 255

/** Longest accepted `error` message, in characters. */
export const FAILED_REQUEST_ERROR_MAX_LENGTH = 16 * 1024

/**
 * PostgreSQL text cannot hold NUL characters nor (being UTF-8) lone surrogates: refuse them up
 * front rather than fail to store (a 503 the client would retry for ever).
 */
const noNul = <A extends string, I, R>(self: Schema.Schema<A, I, R>) =>
  self.pipe(
    Schema.filter(isStorableText, {
      message: () => "must not contain NUL characters or unpaired surrogates (invalid UTF-8)"
    })
  )

const EARLIEST = Date.parse("0001-01-01T00:00:00Z")
const LATEST = Date.parse("9999-12-31T23:59:59Z")

/** The request body, as the seed's clients send it (snake_case on the wire). */
export const FailedRequestSync = Schema.Struct({
  request_id: Schema.String.pipe(
    Schema.minLength(1, { message: () => "must be a non-empty string" }),
    noNul,
    Schema.maxLength(FAILED_REQUEST_ID_MAX_LENGTH, {
      message: () => `must be at most ${FAILED_REQUEST_ID_MAX_LENGTH} characters`
    })
  ),
  /** When the request originally failed: a date string (ISO 8601 preferred). */
  original_timestamp: Schema.String.pipe(
    Schema.filter(
      (s) => {
        const t = Date.parse(s)
        return !Number.isNaN(t) && t >= EARLIEST && t <= LATEST
      },
      { message: () => "must be a date (ISO 8601) between years 1 and 9999" }
    )
  ),
  /** The original request, a JSON object or array, at most `FAILED_REQUEST_DATA_MAX_BYTES` serialized. */
  request_data: Schema.Union(
    Schema.Record({ key: Schema.String, value: Schema.Unknown }),
    Schema.Array(Schema.Unknown)
  ).annotations({ message: () => "must be a JSON object or array" }),
  error: Schema.String.pipe(
    noNul,
    Schema.maxLength(FAILED_REQUEST_ERROR_MAX_LENGTH, {
      message: () => `must be at most ${FAILED_REQUEST_ERROR_MAX_LENGTH} characters`
    })
  )
})
export type FailedRequestSync = typeof FailedRequestSync.Type

/** The answer: the same for the first sync and for every repeat of the same `request_id`. */
export const FailedRequestSynced = Schema.Struct({
  message: Schema.String,
  request_id: Schema.String,
  /** ISO 8601 time of the FIRST successful sync of this request id. */
  synced_at: Schema.String
})
export type FailedRequestSynced = typeof FailedRequestSynced.Type

/** A sync body that cannot be stored; `field` names the offending field (`body` for the whole). */
export class InvalidFailedRequest extends Schema.TaggedError<InvalidFailedRequest>()(
  "InvalidFailedRequest",
  { field: Schema.String, message: Schema.String },
  HttpApiSchema.annotations({ status: 400 })
) {}

/** The failed-request store could not be reached; the client should retry later. */
export class FailedRequestStoreUnavailable extends Schema.TaggedError<FailedRequestStoreUnavailable>()(
  "FailedRequestStoreUnavailable",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 503 })
) {}

/** The user's stored failed requests already fill their quota (count or bytes). */
export class FailedRequestQuotaExceeded extends Schema.TaggedError<FailedRequestQuotaExceeded>()(
  "FailedRequestQuotaExceeded",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 429 })
) {}
