/**
 * The signed-in user, as handlers and `/auth/me` see it.
 */
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import { Context, Schema } from "effect"
import { Unauthorized } from "./ControlPlaneErrors.ts"

/** An account (better-auth's `user` row, without anything secret). */
export class User extends Schema.Class<User>("User")({
  id: Schema.String,
  email: Schema.String,
  name: Schema.String,
  emailVerified: Schema.Boolean,
  image: Schema.NullOr(Schema.String),
  /** Seed 002's first-run flag; the user sets it through better-auth's `update-user`. */
  hasCompletedOnboarding: Schema.Boolean,
  createdAt: Schema.Date
}) {}

/** The user a request is authenticated as; provided by `Authentication`. */
export class CurrentUser extends Context.Tag("@switchyard/domain/CurrentUser")<CurrentUser, User>() {}

/** Name of better-auth's session cookie (over HTTPS it carries the `__Secure-` prefix). */
export const SESSION_COOKIE = "better-auth.session_token"

/**
 * Turns a better-auth session (cookie from the web app, or `Authorization: Bearer <token>` from
 * desktop and CLI clients) into a `CurrentUser`; 401 otherwise.
 */
export class Authentication extends HttpApiMiddleware.Tag<Authentication>()("Authentication", {
  failure: Unauthorized,
  provides: CurrentUser,
  security: {
    bearer: HttpApiSecurity.bearer,
    session: HttpApiSecurity.apiKey({ in: "cookie", key: SESSION_COOKIE })
  }
}) {}
