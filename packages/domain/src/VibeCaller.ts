/**
 * Who is calling the vibe-apps API: seed 004's "multi-auth" (a service key in `X-API-Key`, or a
 * bearer token) plus Switchyard's own credentials.
 */
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import { Context, type Option, type Redacted, Schema } from "effect"
import { VibeUnauthorized, VibeUnavailable } from "./VibeErrors.ts"

/** How the caller proved who it is. */
export type VibeCredentialKind = "service_key" | "api_key" | "session" | "jwt"

/** The authenticated caller. */
export interface VibeCallerInfo {
  /**
   * Who owns the apps this caller creates and may touch: `user:<id>` for a Switchyard key or session
   * (the same user either way), `jwt:<sub>`, or `service:<digest of the key>`.
   */
  readonly ownerId: string
  readonly kind: VibeCredentialKind
  /**
   * The caller's own credential for the router (its `ef_` key or session token), so generation is
   * limited and accounted to it; `None` for service keys and JWTs (the operator's router key is used).
   */
  readonly routerCredential: Option.Option<Redacted.Redacted<string>>
}

/** The caller of a request; provided by `VibeAuthentication`. */
export class VibeCaller extends Context.Tag("@switchyard/domain/VibeCaller")<VibeCaller, VibeCallerInfo>() {}

/**
 * `X-API-Key: <service key or ef_ key>` or `Authorization: Bearer <ef_ key, Switchyard session
 * token, or HS256 JWT>`; 401 otherwise, 503 when the credential cannot be checked (database down).
 */
export class VibeAuthentication extends HttpApiMiddleware.Tag<VibeAuthentication>()("VibeAuthentication", {
  failure: Schema.Union(VibeUnauthorized, VibeUnavailable),
  provides: VibeCaller,
  security: {
    apiKey: HttpApiSecurity.apiKey({ in: "header", key: "X-API-Key" }),
    bearer: HttpApiSecurity.bearer
  }
}) {}
