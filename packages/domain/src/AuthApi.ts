/**
 * Seed 003's desktop-client account routes, served beside better-auth's own `/api/auth/*`:
 * register and log in with email and password, receive a bearer token, ask who you are.
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import { Schema } from "effect"
import { EmailTaken, InvalidCredentials, InvalidRequest, TooManyRequests } from "./ControlPlaneErrors.ts"
import { SafeString } from "./SafeText.ts"
import { Authentication, User } from "./User.ts"

const Email = SafeString("email", 254).pipe(
  Schema.trimmed({ message: () => "email must not have leading or trailing spaces" }),
  Schema.pattern(/^[^\s@]+@[^\s@]+$/, { message: () => "email must be an email address" }),
  Schema.maxLength(254, { message: () => "email must be at most 254 characters" })
)

// Only the length is checked here; better-auth enforces the minimum (`PASSWORD_MIN_LENGTH`, 8) and
// its maximum (128).
const Password = Schema.Redacted(
  SafeString("password", 1024).pipe(Schema.minLength(1, { message: () => "password must not be empty" }))
)

/** `POST /auth/register`. */
export class RegisterRequest extends Schema.Class<RegisterRequest>("RegisterRequest")({
  email: Email,
  password: Password,
  /** Display name; defaults to the part of the email before `@`. */
  name: Schema.optional(SafeString("name", 200))
}) {}

/** `POST /auth/login`. */
export class LoginRequest extends Schema.Class<LoginRequest>("LoginRequest")({
  email: SafeString("email", 254),
  password: Password
}) {}

/** The bearer token a desktop client sends as `Authorization: Bearer <access_token>`. */
export class AccessToken extends Schema.Class<AccessToken>("AccessToken")({
  access_token: Schema.Redacted(Schema.String),
  token_type: Schema.Literal("bearer")
}) {}

/** How people can sign in on this deployment, so a front end offers only what works. */
export class SignInMethods extends Schema.Class<SignInMethods>("SignInMethods")({
  emailPassword: Schema.Boolean,
  /** GitHub OAuth (`GITHUB_CLIENT_ID` and `GITHUB_CLIENT_SECRET` are set). */
  github: Schema.Boolean
}) {}

/** Seed 003's `/auth/*` routes, and the sign-in methods the dashboard asks for. */
export class AuthApi extends HttpApiGroup.make("auth")
  .add(
    HttpApiEndpoint.post("register", "/register")
      .setPayload(RegisterRequest)
      .addSuccess(AccessToken)
      .addError(EmailTaken)
      .addError(InvalidRequest)
      .addError(TooManyRequests)
  )
  .add(
    HttpApiEndpoint.post("login", "/login")
      .setPayload(LoginRequest)
      .addSuccess(AccessToken)
      .addError(InvalidCredentials)
      .addError(TooManyRequests)
  )
  .add(HttpApiEndpoint.get("me", "/me").addSuccess(User).middleware(Authentication))
  .add(HttpApiEndpoint.get("methods", "/methods").addSuccess(SignInMethods))
  .prefix("/auth") {}
