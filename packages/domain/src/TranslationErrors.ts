/**
 * Errors of wire-format translation (router-core's `translate`): a client body that is not a valid
 * request, a request strict mode refuses to translate lossily, and an upstream answer that cannot
 * be read.
 */
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import { Schema } from "effect"

/** A client request body with a missing or ill-typed field; `field` is its path, e.g. `messages[2].content`. */
export class InvalidRequestField extends Schema.TaggedError<InvalidRequestField>()(
  "InvalidRequestField",
  {
    field: Schema.String,
    message: Schema.String
  },
  HttpApiSchema.annotations({ status: 400 })
) {}

/**
 * Strict mode is on and the target provider has no equivalent for these request fields (e.g.
 * `cache_control`, `top_k`): the request is refused rather than translated with loss.
 */
export class StrictModeViolation extends Schema.TaggedError<StrictModeViolation>()(
  "StrictModeViolation",
  {
    /** The first field that could not be carried: the one the error message names. */
    field: Schema.String,
    /** Every field that could not be carried. */
    fields: Schema.Array(Schema.String),
    message: Schema.String
  },
  HttpApiSchema.annotations({ status: 400 })
) {}

/** The upstream provider answered with a body that is not its wire format. */
export class MalformedUpstream extends Schema.TaggedError<MalformedUpstream>()(
  "MalformedUpstream",
  {
    message: Schema.String
  },
  HttpApiSchema.annotations({ status: 502 })
) {}
