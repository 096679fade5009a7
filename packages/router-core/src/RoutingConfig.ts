/**
 * The operator's routing file (`SWITCHYARD_CONFIG`, YAML or JSON): model aliases and the default
 * model. Decoded with a schema at start-up; a bad file stops start-up with a message naming the
 * offending entry (with its line when the YAML itself is broken).
 *
 * ```yaml
 * defaultModel: fast
 * aliases:
 *   fast: openai/gpt-4o-mini
 *   smart: { provider: anthropic, model: claude-sonnet-4-5 }
 *   balanced:
 *     deployments:
 *       - { provider: openai, model: gpt-4o, weight: 3 }
 *       - { provider: openai-compatible, model: gpt-4o, weight: 1,
 *           credential: { env: LOCAL_LLM_KEY, baseUrl: "https://llm.internal/v1" } }
 *     fallbacks: [smart]
 * fallbacks: { gpt-4o-mini: [claude-3-5-haiku-latest] }
 * retry: { maxRetries: 2 }
 * timeouts: { firstByteMs: 60000 }
 * circuitBreaker: { failureThreshold: 5, cooldownMs: 30000 }
 * limits: { user: { rpm: 60 } }
 * ```
 */
import { RouteProviderId } from "@switchyard/domain"
import { Data, Effect, Either, ParseResult, Schema } from "effect"
import type * as Yaml from "yaml"
import { LimitDefaults } from "./limits/EffectiveLimits.ts"
import { CircuitBreakerConfig } from "./reliability/CircuitBreaker.ts"
import { RetryPolicy } from "./reliability/RetryPolicy.ts"
import { Timeouts } from "./reliability/Timeouts.ts"

/**
 * An operator key for one deployment: read from the environment variable `env` when the file is
 * loaded (a missing variable is a config error). Such a deployment never uses the user's key.
 */
export const DeploymentCredentialConfig = Schema.Struct({
  env: Schema.NonEmptyTrimmedString,
  /** Where to send (openai-compatible deployments); default: the provider's base URL. */
  baseUrl: Schema.optional(Schema.NonEmptyTrimmedString)
})
export type DeploymentCredentialConfig = typeof DeploymentCredentialConfig.Type

/** One deployment of an alias: where to send it and its share of the alias's traffic. */
export const DeploymentConfig = Schema.Struct({
  provider: RouteProviderId,
  model: Schema.NonEmptyTrimmedString,
  /** Share of the alias's traffic (default 1; 0: only when every other deployment failed). */
  weight: Schema.optional(Schema.NonNegative),
  /** The operator key this deployment is called with; absent: the user's key, else the platform's. */
  credential: Schema.optional(DeploymentCredentialConfig)
})
export type DeploymentConfig = typeof DeploymentConfig.Type

/** An alias spread over deployments, with the model names tried after all of them failed. */
export const AliasDeployments = Schema.Struct({
  deployments: Schema.NonEmptyArray(DeploymentConfig),
  fallbacks: Schema.optional(Schema.Array(Schema.NonEmptyTrimmedString))
})

/**
 * An alias target: `provider/model` or a bare name as a string, an explicit pair, or deployments
 * with fallbacks.
 */
export const AliasTarget = Schema.Union(
  Schema.NonEmptyTrimmedString,
  Schema.Struct({ provider: RouteProviderId, model: Schema.NonEmptyTrimmedString }),
  AliasDeployments
)
export type AliasTarget = typeof AliasTarget.Type

/** The file's schema. Unknown top-level keys are refused, so a typo does not pass silently. */
export const RoutingConfigFile = Schema.Struct({
  defaultModel: Schema.optional(Schema.NonEmptyTrimmedString),
  aliases: Schema.optional(Schema.Record({ key: Schema.NonEmptyTrimmedString, value: AliasTarget })),
  /** Fallback chains for any model name (an alias's own `fallbacks` come first). */
  fallbacks: Schema.optional(
    Schema.Record({ key: Schema.NonEmptyTrimmedString, value: Schema.Array(Schema.NonEmptyTrimmedString) })
  ),
  /** Operator default limits per key and per user (see limits/README.md). */
  limits: Schema.optional(LimitDefaults),
  /** Retries, timeouts and circuit breaking (see reliability/README.md). */
  retry: Schema.optional(RetryPolicy),
  timeouts: Schema.optional(Timeouts),
  circuitBreaker: Schema.optional(CircuitBreakerConfig)
})
export type RoutingConfigFile = typeof RoutingConfigFile.Type

/** The routing file could not be read, parsed or validated. */
export class RoutingConfigError extends Data.TaggedError("RoutingConfigError")<{
  readonly path: string
  readonly message: string
}> {}

/** The line (1-based) of the deepest node along `path` that exists in the document. */
const lineOf = (
  YAML: typeof Yaml,
  doc: Yaml.Document,
  counter: Yaml.LineCounter,
  path: ReadonlyArray<PropertyKey>
): number | undefined => {
  for (let depth = path.length; depth > 0; depth--) {
    const node = doc.getIn(path.slice(0, depth) as Array<unknown>, true) as Yaml.Node | undefined
    if (YAML.isNode(node) && node.range) return counter.linePos(node.range[0]).line
    // A missing key: point at its parent mapping's key instead.
  }
  return undefined
}

/**
 * Parses and validates the text of a routing file (YAML, which also accepts JSON). Errors name
 * the line: YAML syntax errors by the parser's position, schema errors by the offending node's.
 * The YAML parser is imported here, not at the top: every router thread loads this package, and
 * only one given a routing file needs the parser.
 */
export const parse = (path: string, text: string): Effect.Effect<RoutingConfigFile, RoutingConfigError> =>
  Effect.flatMap(
    Effect.promise(() => import("yaml")),
    (YAML) => parseWith(YAML, path, text)
  )

const parseWith = (
  YAML: typeof Yaml,
  path: string,
  text: string
): Either.Either<RoutingConfigFile, RoutingConfigError> => {
  const counter = new YAML.LineCounter()
  const doc = YAML.parseDocument(text, { lineCounter: counter, prettyErrors: true })
  const syntax = doc.errors[0]
  if (syntax !== undefined) {
    const line = syntax.linePos?.[0]?.line
    return Either.left(
      new RoutingConfigError({
        path,
        message: `${path}${line === undefined ? "" : `:${line}`}: ${syntax.message}`
      })
    )
  }
  const raw: unknown = doc.toJS() ?? {}
  return Schema.decodeUnknownEither(RoutingConfigFile)(raw, { onExcessProperty: "error" }).pipe(
    Either.mapLeft((error) => {
      // A union reports one issue per member; the deepest is the one that says what is wrong.
      const all = ParseResult.ArrayFormatter.formatErrorSync(error)
      // "Expected undefined" is the optional field's other branch: noise beside the real issue.
      const telling = all.filter((issue) => !issue.message.startsWith("Expected undefined"))
      const issues = (telling.length > 0 ? telling : [...all])
        .sort((a, b) => b.path.length - a.path.length)
        .slice(0, 3)
        .map((issue) => {
          const line = lineOf(YAML, doc, counter, issue.path)
          const where = issue.path.map(String).join(".") || "(top)"
          return `${path}${line === undefined ? "" : `:${line}`}: ${where}: ${issue.message}`
        })
      return new RoutingConfigError({
        path,
        message: `${path} is not a valid routing config:\n${issues.join("\n")}`
      })
    })
  )
}

/** Reads a routing file's text. */
export const read = (path: string): Effect.Effect<string, RoutingConfigError> =>
  Effect.tryPromise({
    try: () => import("node:fs/promises").then((fs) => fs.readFile(path, "utf8")),
    catch: (cause) =>
      new RoutingConfigError({
        path,
        message: `cannot read ${path}: ${cause instanceof Error ? cause.message : String(cause)}`
      })
  })

/** Reads and validates a routing file from disk. */
export const load = (path: string): Effect.Effect<RoutingConfigFile, RoutingConfigError> =>
  Effect.flatMap(read(path), (text) => parse(path, text))
