/**
 * Usage limits of an API key or a user: requests per minute, tokens per minute, concurrent
 * requests and a spend budget per UTC day or month. One schema serves the operator's config file
 * (`limits:` defaults), `PATCH /v1/apikey` and the router's limiter; refusals are `LimitExceeded`.
 */
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import { ParseResult, Schema } from "effect"

/** The calendar period a budget resets on (UTC). */
export const BudgetPeriod = Schema.Literal("day", "month")
export type BudgetPeriod = typeof BudgetPeriod.Type

const USD = /^(\d{1,12})(?:\.(\d{1,6}))?$/

/**
 * A dollar amount written as `"12.50"` (or a YAML/JSON number such as `25`), decoded to integer
 * micro-dollars without going through floating point arithmetic.
 */
export const UsdMicros = Schema.transformOrFail(
  Schema.Union(Schema.String, Schema.Number),
  Schema.NonNegativeInt,
  {
    strict: true,
    decode: (input, _, ast) => {
      const text = typeof input === "number" ? String(input) : input.trim().replace(/^\$/, "")
      const match = USD.exec(text)
      if (match === null) {
        return ParseResult.fail(
          new ParseResult.Type(ast, input, `expected a dollar amount such as "12.50" (at most 6 decimals)`)
        )
      }
      const fraction = (match[2] ?? "").padEnd(6, "0")
      return ParseResult.succeed(Number(match[1]) * 1_000_000 + Number(fraction))
    },
    encode: (micros) => {
      const whole = Math.floor(micros / 1_000_000)
      const fraction = String(micros % 1_000_000)
        .padStart(6, "0")
        .replace(/0+$/, "")
      return ParseResult.succeed(fraction.length > 0 ? `${whole}.${fraction}` : String(whole))
    }
  }
)

/** A decoded budget: an amount in integer micro-dollars per period. */
export interface Budget {
  readonly amountMicros: number
  readonly period: BudgetPeriod
}

const BudgetMicros = Schema.Struct({ amountMicros: Schema.NonNegativeInt, period: BudgetPeriod })

const BudgetUsd = Schema.transform(
  Schema.Struct({ usd: UsdMicros, period: BudgetPeriod }),
  Schema.typeSchema(BudgetMicros),
  {
    strict: true,
    decode: ({ usd, period }) => ({ amountMicros: usd, period }),
    encode: ({ amountMicros, period }) => ({ usd: amountMicros, period })
  }
)

/**
 * A spend budget: `{ amountMicros: 25000000, period: month }` or `{ usd: "25.00", period: month }`.
 * Both decode to `{ amountMicros, period }`; encoding gives the `amountMicros` form.
 */
export const BudgetConfig: Schema.Schema<
  Budget,
  | { readonly amountMicros: number; readonly period: BudgetPeriod }
  | { readonly usd: string | number; readonly period: BudgetPeriod }
> = Schema.Union(BudgetMicros, BudgetUsd)

/** A positive whole number of requests, tokens or concurrent requests. */
const Count = Schema.Int.pipe(Schema.positive())

/**
 * Limits of one key or one user. Each field: absent → the operator's default applies; `null` → no
 * limit of that kind (overriding the default); a value → that limit.
 *
 * - `rpm`: requests per minute, `tpm`: tokens (input + output) per minute. Both refill
 *   continuously (a token bucket holding one minute's worth), so a burst of `rpm` requests passes
 *   at once and then one more every `60 / rpm` seconds.
 * - `concurrency`: requests in flight at once (streams count until they end).
 * - `budget`: spend per UTC calendar day or month, in micro-dollars.
 *
 * Both scopes are enforced on every request, so a key's own limits (set by its owner with
 * `PATCH /v1/apikey`) can only tighten what the operator set for the user.
 */
export const LimitsConfig = Schema.Struct({
  rpm: Schema.optional(Schema.NullOr(Count)),
  tpm: Schema.optional(Schema.NullOr(Count)),
  concurrency: Schema.optional(Schema.NullOr(Count)),
  budget: Schema.optional(Schema.NullOr(BudgetConfig))
})
export type LimitsConfig = typeof LimitsConfig.Type

/** What a limit counts, in OpenAI's header vocabulary where it has one. */
export const LimitKind = Schema.Literal("requests", "tokens", "concurrency", "budget")
export type LimitKind = typeof LimitKind.Type

/**
 * Whose limit: the API key's own, its user's (shared by all their keys and sessions), or the user's
 * request rate on one family of routes (the seeds' defaults: seed 000's API, seed 003's chat).
 */
export const LimitScope = Schema.Literal("key", "user", "route")
export type LimitScope = typeof LimitScope.Type

/** The state of one rate window, as OpenAI's `x-ratelimit-*` headers report it. */
export const RateLimitWindow = Schema.Struct({
  limit: Schema.Number,
  remaining: Schema.Number,
  /** Milliseconds until the window is full again. */
  resetMs: Schema.Number
})
export type RateLimitWindow = typeof RateLimitWindow.Type

/**
 * A request refused by a limit. `limit` is the configured maximum, `remaining` what was left of
 * it, `resetSeconds` how long until this limit would admit the request (the `Retry-After`).
 * `requests` / `tokens` give the rate windows for the `x-ratelimit-*` headers.
 */
export class LimitExceeded extends Schema.TaggedError<LimitExceeded>()(
  "LimitExceeded",
  {
    kind: LimitKind,
    scope: LimitScope,
    limit: Schema.Number,
    remaining: Schema.Number,
    resetSeconds: Schema.Number,
    requests: Schema.optional(RateLimitWindow),
    tokens: Schema.optional(RateLimitWindow),
    message: Schema.String
  },
  HttpApiSchema.annotations({ status: 429 })
) {}

/**
 * The shared limit store (Redis) could not be reached and the operator chose to refuse requests
 * rather than let them through unchecked (`LIMITS_REDIS_FAILURE=closed`).
 */
export class LimitsUnavailable extends Schema.TaggedError<LimitsUnavailable>()(
  "LimitsUnavailable",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 503 })
) {}
