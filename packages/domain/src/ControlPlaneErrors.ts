/**
 * Errors of the control plane's API. Every body has `_tag` (which error) and `message` (what to
 * do about it), so clients can branch on one field and show the other.
 */
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import { Schema } from "effect"

/** No valid session cookie or bearer token came with the request. */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()(
  "Unauthorized",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 401 })
) {}

/** Email and password did not match an account. Never says which of the two was wrong. */
export class InvalidCredentials extends Schema.TaggedError<InvalidCredentials>()(
  "InvalidCredentials",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 401 })
) {}

/** An account with this email already exists. */
export class EmailTaken extends Schema.TaggedError<EmailTaken>()(
  "EmailTaken",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 409 })
) {}

/**
 * Too many sign-in attempts, from this client's address or for this account (brute-force
 * protection); `retryAfterSeconds` is also sent as `Retry-After`.
 */
export class TooManyRequests extends Schema.TaggedError<TooManyRequests>()(
  "TooManyRequests",
  { message: Schema.String, retryAfterSeconds: Schema.Int },
  HttpApiSchema.annotations({ status: 429 })
) {}

/**
 * A request that is well-formed JSON but not acceptable; `field` names the offending field
 * (schema violations answer with `HttpApiDecodeError`, whose `issues[].path` names it).
 */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()(
  "InvalidRequest",
  { message: Schema.String, field: Schema.String },
  HttpApiSchema.annotations({ status: 400 })
) {}

/** The request body is not valid JSON. */
export class MalformedBody extends Schema.TaggedError<MalformedBody>()(
  "MalformedBody",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 400 })
) {}

/** The request body is larger than the server accepts. */
export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()(
  "PayloadTooLarge",
  { message: Schema.String, limitBytes: Schema.Int },
  HttpApiSchema.annotations({ status: 413 })
) {}

/** The user already has an API key (one per user: regenerate it with `PUT`). */
export class ApiKeyAlreadyExists extends Schema.TaggedError<ApiKeyAlreadyExists>()(
  "ApiKeyAlreadyExists",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 409 })
) {}

/** The user has no API key. */
export class ApiKeyNotFound extends Schema.TaggedError<ApiKeyNotFound>()(
  "ApiKeyNotFound",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 404 })
) {}

/** The user has no secret stored for this provider. */
export class SecretNotFound extends Schema.TaggedError<SecretNotFound>()(
  "SecretNotFound",
  { message: Schema.String, provider: Schema.String },
  HttpApiSchema.annotations({ status: 404 })
) {}

/**
 * A dependency the request needs (database, vault) failed; nothing about the request was wrong.
 * Repositories fail with it when their database cannot be reached (an outage is an expected
 * failure, not a defect), so every edge can answer 503.
 */
export class ServiceUnavailable extends Schema.TaggedError<ServiceUnavailable>()(
  "ServiceUnavailable",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 503 })
) {
  /** The database could not be reached or failed the query. */
  static readonly database = () =>
    new ServiceUnavailable({ message: "The database is unavailable; try again shortly" })
}

/**
 * A cookie-authenticated change sent from a page of an origin the control plane does not trust
 * (cross-site request forgery). Clients outside a browser send `Authorization: Bearer` instead.
 */
export class CrossSiteRequest extends Schema.TaggedError<CrossSiteRequest>()(
  "CrossSiteRequest",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 403 })
) {}

/** The request body is not `application/json`, the only type the JSON routes accept. */
export class UnsupportedMediaType extends Schema.TaggedError<UnsupportedMediaType>()(
  "UnsupportedMediaType",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 415 })
) {}
