/**
 * `GET /health`: real checks of what the control plane needs to serve requests.
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import { Schema } from "effect"

/** Outcome of one check: `ok`, or what is wrong. */
export const HealthCheck = Schema.Struct({
  ok: Schema.Boolean,
  detail: Schema.optional(Schema.String)
})

/** Every check, by name (`database`, `migrations`). */
export const HealthChecks = Schema.Record({ key: Schema.String, value: HealthCheck })

/** All checks passed. */
export class Healthy extends Schema.Class<Healthy>("Healthy")({
  status: Schema.Literal("ok"),
  checks: HealthChecks
}) {}

/** At least one check failed; `failing` names which, `message` says why in one sentence. */
export class Unhealthy extends Schema.TaggedError<Unhealthy>()(
  "Unhealthy",
  {
    status: Schema.Literal("unhealthy"),
    message: Schema.String,
    failing: Schema.Array(Schema.String),
    checks: HealthChecks
  },
  HttpApiSchema.annotations({ status: 503 })
) {}

/** The health endpoint. */
export class HealthApi extends HttpApiGroup.make("health").add(
  HttpApiEndpoint.get("health", "/health").addSuccess(Healthy).addError(Unhealthy)
) {}
