/**
 * The browser origins the control plane trusts with cookies: the web front ends of `CORS_ORIGIN`
 * (one origin, or several separated by commas) and the control plane's own public origin (from
 * `BETTER_AUTH_BASE_URL`). CORS, the cross-site request check and better-auth's `trustedOrigins`
 * all read this one list, so they cannot disagree.
 */
import { Config, ConfigError, Either } from "effect"

/** The configured origins. */
export interface TrustedOrigins {
  /** Public URL of the control plane (`BETTER_AUTH_BASE_URL`). */
  readonly baseUrl: string
  /** The web front ends (`CORS_ORIGIN`): CORS answers these. */
  readonly cors: ReadonlyArray<string>
  /** `cors` and the control plane's own origin: cookie-authenticated changes may come from these. */
  readonly all: ReadonlyArray<string>
}

/** `value` as a bare origin (`scheme://host[:port]`), or why it is not one. */
const asOrigin = (name: string, value: string): Either.Either<string, ConfigError.ConfigError> => {
  const url = URL.canParse(value) ? new URL(value) : undefined
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    return Either.left(ConfigError.InvalidData([name], `${name}: "${value}" is not an http(s) URL`))
  }
  return Either.right(url.origin)
}

/** Reads `BETTER_AUTH_BASE_URL` (default `http://localhost:8000`) and `CORS_ORIGIN` (default `http://localhost:3000`). */
export const trustedOriginsConfig: Config.Config<TrustedOrigins> = Config.all({
  baseUrl: Config.string("BETTER_AUTH_BASE_URL").pipe(
    Config.withDefault("http://localhost:8000"),
    Config.mapOrFail((value) => Either.map(asOrigin("BETTER_AUTH_BASE_URL", value), () => value))
  ),
  cors: Config.string("CORS_ORIGIN").pipe(
    Config.withDefault("http://localhost:3000"),
    Config.mapOrFail((value) =>
      Either.all(
        value
          .split(",")
          .map((part) => part.trim())
          .filter((part) => part !== "")
          .map((part) => asOrigin("CORS_ORIGIN", part))
      )
    )
  )
}).pipe(
  Config.map(({ baseUrl, cors }) => ({
    baseUrl,
    cors,
    all: [...new Set([...cors, new URL(baseUrl).origin])]
  }))
)
