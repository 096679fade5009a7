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
