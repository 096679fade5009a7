/**
 * Errors of the Responses API's conversation state (`previous_response_id`, `store`, `GET` and
 * `DELETE /v1/responses/{id}`), kept by the gateway in PostgreSQL per user.
 */
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import { Schema } from "effect"

/** The stored responses' database is unavailable; nothing about the request was wrong. */
export class ResponseStoreUnavailable extends Schema.TaggedError<ResponseStoreUnavailable>()(
  "ResponseStoreUnavailable",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 503 })
) {}

/**
 * The stored conversation a request names (`previous_response_id`, `item_reference`) is larger
 * than the gateway forwards in one request: it would be rebuilt in memory before any upstream
 * could refuse it.
 */
export class ConversationTooLarge extends Schema.TaggedError<ConversationTooLarge>()(
  "ConversationTooLarge",
  { message: Schema.String, maxBytes: Schema.Number },
  HttpApiSchema.annotations({ status: 413 })
) {}
