/**
 * The user's Switchyard API key (`ef_…`), as the control plane shows it.
 */
import { Schema } from "effect"
import { LimitsConfig } from "./Limits.ts"
import { ProviderId } from "./Provider.ts"

/** The stored key, masked: never the key itself. */
export class ApiKeyView extends Schema.Class<ApiKeyView>("ApiKeyView")({
  id: Schema.String,
  /** The first characters of the key, `ef_` included. */
  prefix: Schema.String,
  last4: Schema.String,
  /** `prefix…last4`, for display. */
  maskedKey: Schema.String,
  enabled: Schema.Boolean,
  createdAt: Schema.Date,
  /** When the router last saw the key (updated in batches, so it may lag a little). */
  lastUsedAt: Schema.NullOr(Schema.Date),
  /**
   * The key's own limits (budgets shown as `amountMicros`); `null` when none are set and the
   * operator's defaults apply. Kept when the key is regenerated.
   */
  limits: Schema.NullOr(LimitsConfig)
}) {}

/** A key just created or regenerated: the only time the full key is ever returned. */
export class CreatedApiKey extends Schema.Class<CreatedApiKey>("CreatedApiKey")({
  ...ApiKeyView.fields,
  key: Schema.Redacted(Schema.String)
}) {}

/** `PATCH /v1/secret/:provider`. */
export class SetEnabledRequest extends Schema.Class<SetEnabledRequest>("SetEnabledRequest")({
  enabled: Schema.Boolean
}) {}

/**
 * Limits as a key's owner sends them: a field the schema does not know (`rmp`) is refused rather
 * than silently dropped, since dropping it would reset that limit to the default.
 */
const StrictLimits = LimitsConfig.annotations({ parseOptions: { onExcessProperty: "error" } })

/** `PATCH /v1/apikey`. The description is what OpenAPI and Swagger UI show of it. */
export class UpdateApiKeyRequest extends Schema.Class<UpdateApiKeyRequest>("UpdateApiKeyRequest")(
  Schema.Struct({
    enabled: Schema.optional(Schema.Boolean),
    limits: Schema.optional(Schema.NullOr(StrictLimits))
  }).pipe(
    Schema.annotations({
      description:
        "`enabled`, `limits` or both. `limits` replaces the key's whole limits object: a field left " +
        "out inherits the operator's default, a null field means no limit of that kind, and `{}` or " +
        'null removes the key\'s own limits. A budget is `{ "usd": "20.00", "period": "month" }` or ' +
        '`{ "amountMicros": 20000000, "period": "month" }`.'
    }),
    Schema.filter((request) => request.enabled !== undefined || request.limits !== undefined, {
      message: () => "Give `enabled`, `limits` or both"
    })
  )
) {}

/** `POST /v1/apikey/verify`. */
export class VerifyKeyRequest extends Schema.Class<VerifyKeyRequest>("VerifyKeyRequest")({
  key: Schema.Redacted(Schema.String)
}) {}

/** A valid, enabled key: whose it is and which providers it can reach. */
export class ValidKey extends Schema.Class<ValidKey>("ValidKey")({
  valid: Schema.Literal(true),
  userId: Schema.String,
  /** Providers with an enabled user secret or a platform key, sorted. */
  providers: Schema.Array(ProviderId)
}) {}

/** Any key that cannot be used; deliberately says nothing about why. */
export class InvalidKey extends Schema.Class<InvalidKey>("InvalidKey")({
  valid: Schema.Literal(false)
}) {}

/** The answer of `POST /v1/apikey/verify`. */
export const VerifyKeyResponse = Schema.Union(ValidKey, InvalidKey)
export type VerifyKeyResponse = typeof VerifyKeyResponse.Type
