/**
 * Who a socket's token belongs to. Four kinds are accepted, tried in this order:
 *
 * 1. `ef_…`: a Switchyard API key, through `@switchyard/auth`'s cached `ApiKeyVerifier`.
 * 2. A three-part JWT when `JWT_SECRET` is set (the seed's shared secret): HS256 only, `exp` and
 *    `nbf` honoured, the user in `sub` or `user_id`, the display name in `name`.
 * 3. A Switchyard session token (what the control plane's sign-in returns), through the cached
 *    `UserTokenVerifier`.
 * 4. Any other token, when `LARAVEL_API_URL` is set: the backend's user endpoint
 *    (`GET {LARAVEL_API_URL}/api/user` with that bearer, Sanctum's default) vouches for it. Its
 *    answers are cached briefly (`REALTIME_TOKEN_CACHE_MS`, 60 s; refusals 5 s), keyed by the
 *    token's SHA-256 so no token is held in memory as given.
 *
 * Switchyard's two verifiers need the database: `layerWithSwitchyard` uses them, `layer` does not.
 */
import { createHash } from "node:crypto"
import { ApiKeyVerifier, UserTokenVerifier } from "@switchyard/auth"
import { Cache, Config, Context, Duration, Effect, Exit, Layer, Option, Redacted, Schema } from "effect"
import { type AuthenticatedUser, MAX_TOKEN_LENGTH } from "./Events.ts"

/** The token could not be checked (the backend that vouches for it failed): not the client's fault. */
export class TokenCheckUnavailable extends Schema.TaggedError<TokenCheckUnavailable>()(
  "TokenCheckUnavailable",
  { message: Schema.String }
) {}

const readOptions = Effect.gen(function* () {
  const jwtSecret = yield* Config.option(Config.redacted("JWT_SECRET"))
  const laravelUrl = yield* Config.option(Config.url("LARAVEL_API_URL"))
  const cacheMs = yield* Config.integer("REALTIME_TOKEN_CACHE_MS").pipe(Config.withDefault(60_000))
  return {
    jwtSecret: Option.filter(jwtSecret, (secret) => Redacted.value(secret).length > 0),
    laravelUrl: Option.map(laravelUrl, (url) => url.toString().replace(/\/$/, "")),
    cacheTtl: Duration.millis(cacheMs),
    negativeTtl: Duration.seconds(5)
  }
})

/** Verifies socket tokens. */
export class TokenVerifier extends Context.Tag("@switchyard/realtime/TokenVerifier")<
  TokenVerifier,
  {
    /** `Some` user for a valid token, `None` for any other. */
    readonly verify: (token: string) => Effect.Effect<Option.Option<AuthenticatedUser>, TokenCheckUnavailable>
  }
>() {
  /** JWT and Laravel tokens only (no database). */
  static readonly layer: Layer.Layer<TokenVerifier> = Layer.effect(
    TokenVerifier,
    Effect.flatMap(readOptions, (options) => make({ ...options, keys: undefined, sessions: undefined }))
  ).pipe(Layer.orDie)

  /** Also Switchyard's API keys and session tokens. */
  static readonly layerWithSwitchyard: Layer.Layer<TokenVerifier, never, ApiKeyVerifier | UserTokenVerifier> =
    Layer.effect(
      TokenVerifier,
      Effect.gen(function* () {
        const options = yield* readOptions
        const keys = yield* ApiKeyVerifier
        const sessions = yield* UserTokenVerifier
        return yield* make({ ...options, keys, sessions })
      })
    ).pipe(Layer.orDie)
}

/** What the verifier is built from. */
export interface TokenVerifierOptions {
  readonly jwtSecret: Option.Option<Redacted.Redacted<string>>
  readonly laravelUrl: Option.Option<string>
  readonly cacheTtl: Duration.Duration
  readonly negativeTtl: Duration.Duration
  readonly keys: Context.Tag.Service<ApiKeyVerifier> | undefined
  readonly sessions: Context.Tag.Service<UserTokenVerifier> | undefined
  /** Timeout of one call to the Laravel backend. */
  readonly laravelTimeout?: Duration.DurationInput
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/
const USER_ID = /^[A-Za-z0-9_-]{1,64}$/

/** A user id from a claim or a backend answer: a string or integer that fits in a room name. */
const userIdOf = (value: unknown): string | undefined => {
  const id = typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? String(value) : value
  return typeof id === "string" && USER_ID.test(id) ? id : undefined
}

const nameOf = (value: unknown): string | null =>
  typeof value === "string" && value.length > 0 ? value.slice(0, 200) : null

/** Builds a verifier. */
export const make = (options: TokenVerifierOptions) =>
  Effect.gen(function* () {
    const secret = Option.map(options.jwtSecret, (s) => new TextEncoder().encode(Redacted.value(s)))
    // Imported when a verifier is built, not at the top: the router's serving thread loads this
    // package's index but never verifies a realtime token.
    const { errors: JoseErrors, jwtVerify } = yield* Effect.promise(() => import("jose"))

    const viaJwt = (token: string, key: Uint8Array) =>
      Effect.tryPromise({
        try: () => jwtVerify(token, key, { algorithms: ["HS256"] }),
        catch: (error) => error
      }).pipe(
        Effect.map(({ payload }): Option.Option<AuthenticatedUser> => {
          const id = userIdOf(payload.sub ?? payload.user_id)
          return id === undefined
            ? Option.none()
            : Option.some({ id, name: nameOf(payload.name), via: "jwt" })
        }),
        // Every JOSE error (bad signature, expired, wrong algorithm, malformed) is a refusal.
        Effect.catchAll((error) =>
          error instanceof JoseErrors.JOSEError || error instanceof TypeError
            ? Effect.succeedNone
            : Effect.die(error)
        )
      )

    const askLaravel = (base: string) => (token: string) =>
      Effect.tryPromise({
        try: async (signal) => {
          const res = await fetch(`${base}/api/user`, {
            headers: { authorization: `Bearer ${token}`, accept: "application/json" },
            signal
          })
          if (res.status === 401 || res.status === 403) return Option.none<AuthenticatedUser>()
          if (!res.ok) throw new Error(`the backend answered ${res.status}`)
          const body = (await res.json()) as Record<string, unknown> | null
          const user = (body?.data as Record<string, unknown> | undefined) ?? body
          const id = userIdOf(user?.id)
          return id === undefined
            ? Option.none<AuthenticatedUser>()
            : Option.some<AuthenticatedUser>({ id, name: nameOf(user?.name), via: "laravel" })
        },
        catch: (error) =>
          new TokenCheckUnavailable({
            message: `the backend's user endpoint could not be asked: ${error instanceof Error ? error.message : String(error)}`
          })
      }).pipe(
        Effect.timeoutFail({
          duration: options.laravelTimeout ?? Duration.seconds(5),
          onTimeout: () =>
            new TokenCheckUnavailable({ message: "the backend's user endpoint did not answer in time" })
        })
      )

    const laravel = yield* Option.match(options.laravelUrl, {
      onNone: () => Effect.succeed(undefined),
      onSome: (base) => {
        const ask = askLaravel(base)
        const tokens = new Map<string, string>()
        return Effect.map(
          Cache.makeWith({
            capacity: 50_000,
            // Keyed by the token's hash; the token itself is handed over only for the lookup.
            lookup: (tokenHash: string) => ask(tokens.get(tokenHash) ?? ""),
            timeToLive: (exit) =>
              Exit.isSuccess(exit) && Option.isSome(exit.value)
                ? options.cacheTtl
                : Exit.isSuccess(exit)
                  ? options.negativeTtl
                  : Duration.zero
          }),
          (cache) => (token: string) =>
            Effect.suspend(() => {
              const tokenHash = createHash("sha256").update(token).digest("hex")
              tokens.set(tokenHash, token)
              return cache.get(tokenHash).pipe(Effect.ensuring(Effect.sync(() => tokens.delete(tokenHash))))
            })
        )
      }
    })

    // The key or session store is down: the token cannot be checked now (not "invalid").
    const outage = (error: { readonly message: string }) =>
      new TokenCheckUnavailable({ message: error.message })
    const verify = (
      token: string
    ): Effect.Effect<Option.Option<AuthenticatedUser>, TokenCheckUnavailable> => {
      if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return Effect.succeedNone
      if (token.startsWith("ef_")) {
        if (options.keys === undefined) return Effect.succeedNone
        return Effect.map(
          Effect.mapError(options.keys.verify(token), outage),
          Option.map((key): AuthenticatedUser => ({ id: key.userId, name: null, via: "api_key" }))
        )
      }
      if (Option.isSome(secret) && JWT_SHAPE.test(token)) return viaJwt(token, secret.value)
      const sessions = options.sessions
      const bySession: Effect.Effect<Option.Option<AuthenticatedUser>, TokenCheckUnavailable> = sessions ===
      undefined
        ? Effect.succeedNone
        : Effect.map(
            Effect.mapError(sessions.verify(token), outage),
            Option.map((user): AuthenticatedUser => ({ id: user.userId, name: null, via: "session" }))
          )
      return Effect.flatMap(bySession, (found) =>
        Option.isSome(found) || laravel === undefined ? Effect.succeed(found) : laravel(token)
      )
    }
    return { verify }
  })
