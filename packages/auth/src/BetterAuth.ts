/**
 * better-auth, set up for Switchyard: email/password (and GitHub when configured), cookie sessions,
 * bearer tokens for desktop clients, rate limits kept in PostgreSQL, and session ends published on
 * the change feed. Its tables come from `authMigrations`, not from better-auth's own migrator.
 */
import {
  EmailTaken,
  InvalidCredentials,
  InvalidRequest,
  TooManyRequests,
  User,
  unsafeTextReason
} from "@switchyard/domain"
import { betterAuth } from "better-auth"
import { APIError, createAuthMiddleware } from "better-auth/api"
import { bearer } from "better-auth/plugins"
import { Config, Context, Effect, Layer, Option, Redacted, Runtime } from "effect"
import pg from "pg"
import { ChangeFeed } from "./ChangeFeed.ts"
import { CLIENT_IP_HEADER } from "./ClientIp.ts"
import { hashedSessionAdapter, storedToken } from "./HashedSessionTokens.ts"
import { type Admission, SignInLockout } from "./SignInLockout.ts"
import { trustedOriginsConfig } from "./TrustedOrigins.ts"

export { CLIENT_IP_HEADER } from "./ClientIp.ts"

/** Where better-auth is mounted. */
export const AUTH_BASE_PATH = "/api/auth"

/** A rate-limit rule: at most `max` requests per `window` seconds per client address. */
export interface RateLimitRule {
  readonly window: number
  readonly max: number
}

/** Settings of the better-auth instance. */
export interface BetterAuthOptions {
  readonly databaseUrl: Redacted.Redacted<string>
  readonly secret: Redacted.Redacted<string>
  /** Public URL of the control plane (`BETTER_AUTH_BASE_URL`). */
  readonly baseUrl: string
  /** Browser origins allowed to call with cookies (`CORS_ORIGIN` and the base URL's origin). */
  readonly trustedOrigins: ReadonlyArray<string>
  readonly github: Option.Option<{
    readonly clientId: string
    readonly clientSecret: Redacted.Redacted<string>
  }>
  /** Sign-in and sign-up limit per client address. Default 5 per 60 s. */
  readonly credentialRateLimit?: RateLimitRule
  /**
   * Shortest password accepted at sign-up (`PASSWORD_MIN_LENGTH`, default 8); seed 003's example
   * password `test123` needs 7 or less.
   */
  readonly minPasswordLength?: number
}

/** better-auth's own minimum, kept as the default. */
export const DEFAULT_MIN_PASSWORD_LENGTH = 8

/** Longest string accepted in a better-auth body or query (names, emails, passwords, URLs). */
const MAX_AUTH_TEXT = 2048

/** The first string in `value` (searched depth-first) that cannot be stored, as a message naming it. */
const firstUnsafeText = (value: unknown, path: string): string | undefined => {
  if (typeof value === "string") return unsafeTextReason(path, value, MAX_AUTH_TEXT)
  if (typeof value !== "object" || value === null) return undefined
  for (const [key, inner] of Object.entries(value)) {
    const found = firstUnsafeText(inner, path === "" ? key : `${path}.${key}`)
    if (found !== undefined) return found
  }
  return undefined
}

/** The sign-in route the per-account lockout guards (both login routes end up there). */
const SIGN_IN_PATH = "/sign-in/email"

/** The email of a sign-in body, if it has one. */
const signInEmail = (ctx: { readonly path?: string; readonly body?: unknown }): string | undefined => {
  if (ctx.path !== SIGN_IN_PATH || typeof ctx.body !== "object" || ctx.body === null) return undefined
  const email = (ctx.body as { readonly email?: unknown }).email
  return typeof email === "string" ? email : undefined
}

const createAuth = (
  options: BetterAuthOptions,
  pool: pg.Pool,
  bridge: {
    readonly sessionEnded: (session: { readonly token: string; readonly userId: string }) => Promise<void>
    readonly signInAttempt: (email: string) => Promise<Admission>
    readonly signInSucceeded: (email: string) => Promise<void>
    readonly log: (level: "debug" | "info" | "warn" | "error", message: string) => void
  }
) => {
  const credentialRule = options.credentialRateLimit ?? { window: 60, max: 5 }
  return betterAuth({
    // Session tokens are stored as their SHA-256 (HashedSessionTokens.ts).
    database: hashedSessionAdapter(pool),
    baseURL: options.baseUrl,
    basePath: AUTH_BASE_PATH,
    secret: Redacted.value(options.secret),
    trustedOrigins: [...options.trustedOrigins],
    emailAndPassword: {
      enabled: true,
      minPasswordLength: options.minPasswordLength ?? DEFAULT_MIN_PASSWORD_LENGTH
    },
    socialProviders: Option.match(options.github, {
      onNone: () => ({}),
      onSome: (github) => ({
        github: { clientId: github.clientId, clientSecret: Redacted.value(github.clientSecret) }
      })
    }),
    user: {
      additionalFields: {
        hasCompletedOnboarding: { type: "boolean", defaultValue: false, required: false, input: true }
      }
    },
    rateLimit: {
      enabled: true,
      storage: "database",
      window: 60,
      max: 100,
      customRules: {
        "/sign-in/email": { ...credentialRule },
        "/sign-up/email": { ...credentialRule }
      }
    },
    advanced: {
      ipAddress: { ipAddressHeaders: [CLIENT_IP_HEADER] },
      // Explicit: better-auth turns its Origin check off by itself when NODE_ENV is "test", and
      // the tests must see what production does.
      disableOriginCheck: false,
      disableCSRFCheck: false
    },
    databaseHooks: {
      session: {
        delete: { after: (session) => bridge.sessionEnded(session) }
      }
    },
    hooks: {
      before: createAuthMiddleware(async (ctx) => {
        // Every string a client sends to better-auth's own routes is checked before any of them
        // runs: a NUL reached PostgreSQL (a 500), a lone surrogate has no UTF-8 form.
        const reason = firstUnsafeText(ctx.body, "") ?? firstUnsafeText(ctx.query, "")
        if (reason !== undefined)
          throw new APIError("BAD_REQUEST", { message: reason, code: "INVALID_FIELD" })
        const email = signInEmail(ctx)
        if (email === undefined) return
        const admission = await bridge.signInAttempt(email)
        if (admission._tag === "Locked") {
          const seconds = admission.retryAfterSeconds
          throw new APIError(
            "TOO_MANY_REQUESTS",
            {
              message: `Too many sign-in attempts for this account; try again in ${seconds} s`,
              code: "ACCOUNT_LOCKED",
              retryAfterSeconds: seconds
            },
            { "retry-after": String(seconds) }
          )
        }
      }),
      after: createAuthMiddleware(async (ctx) => {
        const email = signInEmail(ctx)
        if (email !== undefined && !(ctx.context.returned instanceof APIError))
          await bridge.signInSucceeded(email)
      })
    },
    // Messages only: better-auth's extra arguments can carry request data.
    logger: { level: "warn", log: (level, message) => bridge.log(level, message) },
    telemetry: { enabled: false },
    // Signed tokens only (what /auth/login and `set-auth-token` hand out): a bare token would let a
    // stored hash, used as is by the adapter, stand in for a session token.
    plugins: [bearer({ requireSignature: true })]
  })
}

/** The configured better-auth instance. */
export type AuthInstance = ReturnType<typeof createAuth>

/** Body of a better-auth error response. */
interface AuthFailure {
  readonly status: number
  readonly code: string
  readonly message: string
  readonly retryAfterSeconds?: number
}

/** Reads `BetterAuthOptions` from the environment. */
export const optionsFromConfig = Effect.gen(function* () {
  const origins = yield* trustedOriginsConfig
  const githubId = yield* Config.option(Config.nonEmptyString("GITHUB_CLIENT_ID"))
  const githubSecret = yield* Config.option(Config.redacted(Config.nonEmptyString("GITHUB_CLIENT_SECRET")))
  const minPasswordLength = yield* Config.integer("PASSWORD_MIN_LENGTH").pipe(
    Config.withDefault(DEFAULT_MIN_PASSWORD_LENGTH),
    Config.validate({
      message: "PASSWORD_MIN_LENGTH must be from 1 to 128",
      validation: (n) => n >= 1 && n <= 128
    })
  )
  const options: BetterAuthOptions = {
    minPasswordLength,
    databaseUrl: yield* Config.redacted("POSTGRES_CONNECTION_STRING"),
    secret: yield* Config.redacted("BETTER_AUTH_SECRET"),
    baseUrl: origins.baseUrl,
    trustedOrigins: origins.all,
    github: Option.zipWith(githubId, githubSecret, (clientId, clientSecret) => ({ clientId, clientSecret }))
  }
  return options
})

const make = (options: BetterAuthOptions) =>
  Effect.gen(function* () {
    const feed = yield* ChangeFeed
    const lockout = yield* SignInLockout
    const runtime = yield* Effect.runtime<never>()
    const pool = yield* Effect.acquireRelease(
      Effect.sync(() => new pg.Pool({ connectionString: Redacted.value(options.databaseUrl), max: 5 })),
      (p) => Effect.promise(() => p.end())
    )
    const auth = createAuth(options, pool, {
      sessionEnded: (session) =>
        Runtime.runPromise(runtime)(
          // A row deleted by user id carries its stored hash, one deleted by token the token.
          feed.publish({
            _tag: "SessionRevoked",
            tokenHash: storedToken(session.token),
            userId: session.userId
          })
        ),
      signInAttempt: (email) => Runtime.runPromise(runtime)(lockout.attempt(email)),
      signInSucceeded: (email) => Runtime.runPromise(runtime)(lockout.succeeded(email)),
      log: (level, message) => {
        const text = `better-auth: ${message}`
        const effect =
          level === "error"
            ? Effect.logError(text)
            : level === "warn"
              ? Effect.logWarning(text)
              : level === "info"
                ? Effect.logInfo(text)
                : Effect.logDebug(text)
        Runtime.runFork(runtime)(effect)
      }
    })

    const getUser = (headers: globalThis.Headers) =>
      Effect.promise(() => auth.api.getSession({ headers })).pipe(
        Effect.map((found) =>
          Option.map(
            Option.fromNullable(found),
            ({ user }) =>
              new User({
                id: user.id,
                email: user.email,
                name: user.name,
                emailVerified: user.emailVerified,
                image: user.image ?? null,
                hasCompletedOnboarding: user.hasCompletedOnboarding === true,
                createdAt: new Date(user.createdAt)
              })
          )
        )
      )

    /** Calls one of better-auth's own routes, so its rate limits and hooks apply as over HTTP. */
    const callRoute = (path: string, body: unknown, clientIp: string) =>
      Effect.promise(async () => {
        const response = await auth.handler(
          new Request(`${options.baseUrl}${AUTH_BASE_PATH}${path}`, {
            method: "POST",
            headers: { "content-type": "application/json", [CLIENT_IP_HEADER]: clientIp },
            body: JSON.stringify(body)
          })
        )
        const token = response.headers.get("set-auth-token")
        if (response.ok && token !== null) return { _tag: "Token" as const, token: Redacted.make(token) }
        const failure = (await response.json().catch(() => ({}))) as Partial<AuthFailure>
        return {
          _tag: "Failure" as const,
          status: response.status,
          code: failure.code ?? "",
          message: failure.message ?? response.statusText,
          retryAfterSeconds: Number(response.headers.get("retry-after") ?? "60") || 60
        }
      })

    const tooMany = (result: {
      readonly code: string
      readonly message: string
      readonly retryAfterSeconds: number
    }) =>
      new TooManyRequests({
        message:
          result.code === "ACCOUNT_LOCKED"
            ? result.message
            : "Too many attempts from this address; wait a minute and try again",
        retryAfterSeconds: result.retryAfterSeconds
      })

    return {
      auth,
      getUser,
      register: (input, clientIp) =>
        Effect.flatMap(
          callRoute(
            "/sign-up/email",
            { email: input.email, password: Redacted.value(input.password), name: input.name },
            clientIp
          ),
          (
            result
          ): Effect.Effect<Redacted.Redacted<string>, EmailTaken | InvalidRequest | TooManyRequests> => {
            if (result._tag === "Token") return Effect.succeed(result.token)
            if (result.status === 429) return Effect.fail(tooMany(result))
            if (result.code.startsWith("USER_ALREADY_EXISTS")) {
              return Effect.fail(new EmailTaken({ message: "An account with this email already exists" }))
            }
            if (result.status === 400) {
              const field =
                result.code === "INVALID_FIELD"
                  ? (result.message.split(" ")[0] ?? "body")
                  : result.code.includes("EMAIL")
                    ? "email"
                    : "password"
              return Effect.fail(new InvalidRequest({ message: result.message, field }))
            }
            return Effect.die(new Error(`better-auth sign-up answered ${result.status} ${result.code}`))
          }
        ),
      login: (input, clientIp) =>
        Effect.flatMap(
          callRoute(
            "/sign-in/email",
            { email: input.email, password: Redacted.value(input.password) },
            clientIp
          ),
          (result): Effect.Effect<Redacted.Redacted<string>, InvalidCredentials | TooManyRequests> => {
            if (result._tag === "Token") return Effect.succeed(result.token)
            if (result.status === 429) return Effect.fail(tooMany(result))
            if (result.status === 400 || result.status === 401 || result.status === 403) {
              return Effect.fail(new InvalidCredentials({ message: "Invalid email or password" }))
            }
            return Effect.die(new Error(`better-auth sign-in answered ${result.status} ${result.code}`))
          }
        )
    } satisfies Context.Tag.Service<BetterAuth>
  })

/** better-auth, wrapped for Effect callers. */
export class BetterAuth extends Context.Tag("@switchyard/auth/BetterAuth")<
  BetterAuth,
  {
    /** The raw instance (its `handler` is mounted at `/api/auth/*`). */
    readonly auth: AuthInstance
    /** The user of the session in these request headers (cookie or bearer), if any. */
    readonly getUser: (headers: globalThis.Headers) => Effect.Effect<Option.Option<User>>
    /** Seed 003's register: creates the account and returns a bearer token for a new session. */
    readonly register: (
      input: { readonly email: string; readonly password: Redacted.Redacted<string>; readonly name: string },
      clientIp: string
    ) => Effect.Effect<Redacted.Redacted<string>, EmailTaken | InvalidRequest | TooManyRequests>
    /** Seed 003's login: a bearer token for a new session. */
    readonly login: (
      input: { readonly email: string; readonly password: Redacted.Redacted<string> },
      clientIp: string
    ) => Effect.Effect<Redacted.Redacted<string>, InvalidCredentials | TooManyRequests>
  }
>() {
  /** An instance with explicit settings; needs the change feed for session revocations. */
  static readonly layer = (
    options: BetterAuthOptions
  ): Layer.Layer<BetterAuth, never, ChangeFeed | SignInLockout> => Layer.scoped(BetterAuth, make(options))

  /**
   * Configured from the environment: `BETTER_AUTH_SECRET`, `BETTER_AUTH_BASE_URL`,
   * `POSTGRES_CONNECTION_STRING`, `CORS_ORIGIN`, `GITHUB_CLIENT_ID` + `GITHUB_CLIENT_SECRET`.
   */
  static readonly layerConfig: Layer.Layer<BetterAuth, never, ChangeFeed | SignInLockout> =
    Layer.unwrapEffect(Effect.map(optionsFromConfig, BetterAuth.layer).pipe(Effect.orDie))
}
