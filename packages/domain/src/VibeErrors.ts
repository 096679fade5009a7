/**
 * Errors of the vibe-apps API. Every body has `_tag` (which error) and `message` (what to do about
 * it); none ever carries a stack trace or a credential.
 */
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import { Schema } from "effect"

/** No valid `X-API-Key` or bearer token came with the request. */
export class VibeUnauthorized extends Schema.TaggedError<VibeUnauthorized>()(
  "VibeUnauthorized",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 401 })
) {}

/** No such app, or it belongs to someone else (the two are not told apart). */
export class VibeAppNotFound extends Schema.TaggedError<VibeAppNotFound>()(
  "VibeAppNotFound",
  { message: Schema.String, app_id: Schema.String },
  HttpApiSchema.annotations({ status: 404 })
) {}

/** A well-formed request that cannot be carried out; `field` names the offending field. */
export class VibeInvalidRequest extends Schema.TaggedError<VibeInvalidRequest>()(
  "VibeInvalidRequest",
  { message: Schema.String, field: Schema.String },
  HttpApiSchema.annotations({ status: 422 })
) {}

/**
 * Too many creates this hour, too many generations at once, or the router's own limits; the
 * `Retry-After` header (and `retry_after_seconds`) says when to try again.
 */
export class VibeRateLimited extends Schema.TaggedError<VibeRateLimited>()(
  "VibeRateLimited",
  { message: Schema.String, retry_after_seconds: Schema.Int },
  HttpApiSchema.annotations({ status: 429 })
) {}

/** The model's answer could not become an app (upstream error, not HTML, too large); the app keeps the reason in its history. */
export class VibeGenerationFailed extends Schema.TaggedError<VibeGenerationFailed>()(
  "VibeGenerationFailed",
  { message: Schema.String, app_id: Schema.String },
  HttpApiSchema.annotations({ status: 502 })
) {}

/** A dependency (database, router settings) is unavailable; nothing about the request was wrong. */
export class VibeUnavailable extends Schema.TaggedError<VibeUnavailable>()(
  "VibeUnavailable",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 503 })
) {}
