import { describe, expect, it } from "@effect/vitest"
import { LimitExceeded, LimitsConfig, LimitsUnavailable } from "@switchyard/domain"
import { ConfigProvider, Effect, Either, Schema } from "effect"
import * as EffectiveLimits from "../../src/limits/EffectiveLimits.ts"
import * as LimitErrors from "../../src/limits/LimitErrors.ts"
import * as RateLimitHeaders from "../../src/limits/RateLimitHeaders.ts"

const decode = Schema.decodeUnknownEither(LimitsConfig)

describe("LimitsConfig", () => {
  it("decodes budgets in USD or micro-dollars to integer micro-dollars, exactly", () => {
    expect(decode({ budget: { usd: "12.50", period: "month" } })).toEqual(
      Either.right({ budget: { amountMicros: 12_500_000, period: "month" } })
    )
    expect(decode({ budget: { usd: "0.000001", period: "day" } })).toEqual(
      Either.right({ budget: { amountMicros: 1, period: "day" } })
    )
    // 0.1 + 0.2 style floating point never enters: "0.3" is exactly 300000.
    expect(decode({ budget: { usd: 0.3, period: "day" } })).toEqual(
      Either.right({ budget: { amountMicros: 300_000, period: "day" } })
    )
    expect(decode({ budget: { usd: 25, period: "day" } })).toEqual(
      Either.right({ budget: { amountMicros: 25_000_000, period: "day" } })
    )
    expect(decode({ budget: { amountMicros: 7, period: "day" } })).toEqual(
      Either.right({ budget: { amountMicros: 7, period: "day" } })
    )
    expect(Either.isLeft(decode({ budget: { usd: "1.0000001", period: "day" } }))).toBe(true)
    expect(Either.isLeft(decode({ budget: { usd: "-1", period: "day" } }))).toBe(true)
    expect(Either.isLeft(decode({ budget: { usd: "5", period: "week" } }))).toBe(true)
    expect(Either.isLeft(decode({ budget: { amountMicros: 1.5, period: "day" } }))).toBe(true)
  })

  it("accepts positive whole limits and null (no limit), refuses the rest", () => {
    expect(decode({ rpm: 60, tpm: 100_000, concurrency: 4 })).toEqual(
      Either.right({ rpm: 60, tpm: 100_000, concurrency: 4 })
    )
    expect(decode({ rpm: null, budget: null })).toEqual(Either.right({ rpm: null, budget: null }))
    expect(Either.isLeft(decode({ rpm: 0 }))).toBe(true)
    expect(Either.isLeft(decode({ tpm: 1.5 }))).toBe(true)
    expect(Either.isLeft(decode({ concurrency: -1 }))).toBe(true)
  })

  it("encodes a budget back as micro-dollars", () => {
    expect(Schema.encodeSync(LimitsConfig)({ budget: { amountMicros: 5, period: "day" } })).toEqual({
      budget: { amountMicros: 5, period: "day" }
    })
  })
})

describe("EffectiveLimits", () => {
  const defaults = Schema.decodeUnknownSync(EffectiveLimits.LimitDefaults)({
    user: { rpm: 60, budget: { usd: "20", period: "month" } },
    key: { rpm: 600 }
  })

  it("stored values win field by field; null removes a default; absent inherits it", () => {
    expect(
      EffectiveLimits.resolve(defaults, { key: { rpm: 10, tpm: 5000 }, user: { budget: null } })
    ).toEqual({
      key: { rpm: 10, tpm: 5000, concurrency: undefined, budget: undefined },
      user: { rpm: 60, tpm: undefined, concurrency: undefined, budget: undefined }
    })
    expect(EffectiveLimits.resolve(defaults, {}).user.budget).toEqual({
      amountMicros: 20_000_000,
      period: "month"
    })
    expect(EffectiveLimits.hasAny(EffectiveLimits.resolve({}, {}).user)).toBe(false)
  })

  const fromEnv = (env: Record<string, string>) =>
    Effect.runSync(
      Effect.either(
        Effect.withConfigProvider(
          EffectiveLimits.routeRatesConfig,
          ConfigProvider.fromMap(new Map(Object.entries(env)))
        )
      )
    )

  it("maps the seeds' variables onto per-family rates, with the seeds' defaults", () => {
    expect(fromEnv({})).toEqual(Either.right({ api: 1000, chat: 60 }))
    expect(fromEnv({ RATE_LIMIT_REQUESTS_PER_MINUTE: "10" })).toEqual(Either.right({ api: 1000, chat: 10 }))
    expect(fromEnv({ API_RATE_LIMIT: "500" })).toEqual(Either.right({ api: 500, chat: 60 }))
    expect(fromEnv({ API_RATE_LIMIT: "1000", API_RATE_LIMIT_MINUTES: "3" })).toEqual(
      Either.right({ api: 334, chat: 60 })
    )
    // 0 turns a rate off.
    expect(fromEnv({ API_RATE_LIMIT: "0", RATE_LIMIT_REQUESTS_PER_MINUTE: "0" })).toEqual(
      Either.right({ api: 0, chat: 0 })
    )
    expect(Either.isLeft(fromEnv({ RATE_LIMIT_REQUESTS_PER_MINUTE: "-1" }))).toBe(true)
    expect(Either.isLeft(fromEnv({ RATE_LIMIT_REQUESTS_PER_MINUTE: "many" }))).toBe(true)
    expect(Either.isLeft(fromEnv({ API_RATE_LIMIT_MINUTES: "0" }))).toBe(true)
  })

  it("a user rate in the defaults replaces the per-family rates", () => {
    const rates = EffectiveLimits.SEED_RATES
    expect(EffectiveLimits.routeRate(rates, "api", {})).toEqual({ family: "api", rpm: 1000 })
    expect(EffectiveLimits.routeRate(rates, "chat", { key: { rpm: 5 } })).toEqual({ family: "chat", rpm: 60 })
    expect(EffectiveLimits.routeRate(rates, "chat", { user: { rpm: 600 } })).toBeUndefined()
    expect(EffectiveLimits.routeRate(rates, "api", { user: { rpm: null } })).toBeUndefined()
    expect(EffectiveLimits.routeRate(EffectiveLimits.NO_RATES, "api", {})).toBeUndefined()
  })

  it("the file's defaults override the environment's", () => {
    expect(
      EffectiveLimits.mergeDefaults({ user: { rpm: 60 } }, { user: { tpm: 1000 }, key: { rpm: 5 } })
    ).toEqual({
      user: { rpm: 60, tpm: 1000 },
      key: { rpm: 5 }
    })
    expect(EffectiveLimits.mergeDefaults({ user: { rpm: 60 } }, { user: { rpm: 30 } }).user).toEqual({
      rpm: 30
    })
  })
})

describe("RateLimitHeaders", () => {
  it("formats durations the way OpenAI does", () => {
    expect(RateLimitHeaders.formatDuration(0)).toBe("0ms")
    expect(RateLimitHeaders.formatDuration(17.2)).toBe("18ms")
    expect(RateLimitHeaders.formatDuration(1000)).toBe("1s")
    expect(RateLimitHeaders.formatDuration(1200)).toBe("1.2s")
    expect(RateLimitHeaders.formatDuration(360_000)).toBe("6m0s")
    expect(RateLimitHeaders.formatDuration(3_723_500)).toBe("1h2m3.5s")
  })

  it("renders a refusal with retry-after in whole seconds, at least 1", () => {
    const refusal = new LimitExceeded({
      kind: "tokens",
      scope: "user",
      limit: 1000,
      remaining: 10,
      resetSeconds: 0.2,
      tokens: { limit: 1000, remaining: 10, resetMs: 59_400 },
      message: "m"
    })
    expect(RateLimitHeaders.fromLimitExceeded(refusal)).toEqual({
      "x-ratelimit-limit-tokens": "1000",
      "x-ratelimit-remaining-tokens": "10",
      "x-ratelimit-reset-tokens": "59.4s",
      "retry-after": "1"
    })
  })

  it("maps refusals onto gateway errors: 429 rate limits, 429 insufficient_quota, 503", () => {
    const base = { scope: "key" as const, limit: 1, remaining: 0, resetSeconds: 1, message: "m" }
    expect(LimitErrors.toGatewayError(new LimitExceeded({ ...base, kind: "requests" }))).toMatchObject({
      status: 429,
      type: "rate_limit_error",
      code: "rate_limit_exceeded"
    })
    expect(LimitErrors.toGatewayError(new LimitExceeded({ ...base, kind: "budget" }))).toMatchObject({
      status: 429,
      code: "insufficient_quota"
    })
    expect(LimitErrors.toGatewayError(new LimitsUnavailable({ message: "x" }))).toMatchObject({ status: 503 })
  })
})
