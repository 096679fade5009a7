/**
 * A user's provider credential (BYOK), as the control plane accepts and shows it. The secret
 * itself only ever travels inward: no response schema has a field for it.
 */
import { Schema } from "effect"
import { ProviderId } from "./Provider.ts"
import { HeaderSafeString } from "./SafeText.ts"

/** Largest accepted provider key, in UTF-8 bytes. */
export const MAX_SECRET_BYTES = 4096

const utf8 = new TextEncoder()

// Custom messages everywhere: the default ones quote the rejected value, which is a secret here.
// The key goes into an upstream request's header: no control characters (a CR or LF would split it).
const ProviderApiKey = HeaderSafeString("apiKey", MAX_SECRET_BYTES).pipe(
  Schema.filter((s) => s.trim().length > 0, { message: () => "apiKey must not be empty" }),
  Schema.filter((s) => utf8.encode(s).length <= MAX_SECRET_BYTES, {
    message: () => `apiKey must be at most ${MAX_SECRET_BYTES} bytes`
  })
)

/** An absolute `http:` or `https:` URL without credentials in it. */
export const UpstreamBaseUrl = HeaderSafeString("baseUrl", 2048).pipe(
  Schema.filter(
    (s) => {
      const url = URL.canParse(s) ? new URL(s) : undefined
      if (url === undefined) return "baseUrl must be an absolute URL"
      if (url.protocol !== "http:" && url.protocol !== "https:") return "baseUrl must use http or https"
      if (url.username !== "" || url.password !== "") return "baseUrl must not contain credentials"
      return true
    },
    { identifier: "UpstreamBaseUrl" }
  )
)

/** `POST /v1/secret`: add or replace the credential for one provider. */
export class PutSecretRequest extends Schema.Class<PutSecretRequest>("PutSecretRequest")(
  Schema.Struct({
    provider: ProviderId.annotations({
      message: () => ({
        message: `provider must be one of ${ProviderId.literals.join(", ")}`,
        override: true
      })
    }),
    apiKey: Schema.Redacted(ProviderApiKey),
    /** Required for `openai-compatible`; optional (a proxy or regional endpoint) for the others. */
    baseUrl: Schema.optional(UpstreamBaseUrl)
  }).pipe(
    Schema.filter((request) =>
      request.provider === "openai-compatible" && request.baseUrl === undefined
        ? { path: ["baseUrl"], message: "baseUrl is required for provider openai-compatible" }
        : true
    )
  )
) {}

/** A stored credential, described without the secret. */
export class SecretView extends Schema.Class<SecretView>("SecretView")({
  provider: ProviderId,
  enabled: Schema.Boolean,
  baseUrl: Schema.optional(Schema.String),
  /** Last four characters of the secret, so the user can tell which key it is. */
  last4: Schema.String,
  createdAt: Schema.Date,
  updatedAt: Schema.Date
}) {}

/** The `:provider` path parameter. */
export const SecretPath = Schema.Struct({
  provider: ProviderId.annotations({
    message: () => ({ message: `provider must be one of ${ProviderId.literals.join(", ")}`, override: true })
  })
})
