import { describe, expect, it } from "@effect/vitest"
import { GatewayError, type ProviderId, ServiceUnavailable } from "@switchyard/domain"
import { ConfigProvider, Deferred, Effect, Exit, Fiber, Option, PubSub, Redacted, Stream } from "effect"
import * as Credentials from "../src/Credentials.ts"
import * as Providers from "../src/providers/Providers.ts"

const secrets = new Map<string, Credentials.UserSecret>()
let lookups = 0
const lookup: Credentials.SecretLookup = (userId: string, provider: ProviderId) =>
  Effect.sync(() => {
    lookups++
    return Option.fromNullable(secrets.get(`${userId}/${provider}`))
  })

const env = ConfigProvider.fromMap(
  new Map([
    ["OPENAI_API_KEY", "sk-platform"],
    ["ANTHROPIC_API_KEY", ""],
    ["OPENAI_BASE_URL", "http://127.0.0.1:9/v1/"]
  ])
)

const setup = Effect.gen(function* () {
  const changes = yield* PubSub.unbounded<Credentials.SecretChange>()
  const platformKeys = yield* Credentials.platformKeysConfig
  const service = yield* Credentials.make({ lookup, platformKeys, changes: Stream.fromPubSub(changes) })
  // Let the subscriber fiber start before publishing.
  yield* Effect.sleep("10 millis")
  return { service, changes }
}).pipe(Effect.provide(Providers.layer), Effect.withConfigProvider(env))

/** The change feed's first subscription empties the cache: let it run before the first lookup. */
const subscribed = Effect.sleep("10 millis")

const key = (c: Credentials.Credential) => Redacted.value(c.apiKey)

describe("Credentials", () => {
  it.scopedLive("prefers the user's enabled secret, then the platform key, else 401", () =>
    Effect.gen(function* () {
      secrets.clear()
      const { service } = yield* setup
      secrets.set("u1/openai", { enabled: true, baseUrl: undefined, secret: Redacted.make("sk-user") })
      secrets.set("u2/openai", { enabled: false, baseUrl: undefined, secret: Redacted.make("sk-off") })
      const own = yield* service.resolve("u1", "openai")
      expect([key(own), own.source, own.baseUrl]).toEqual(["sk-user", "user", "http://127.0.0.1:9/v1"])
      const platform = yield* service.resolve("u2", "openai")
      expect([key(platform), platform.source]).toEqual(["sk-platform", "platform"])
      const none = yield* Effect.exit(service.resolve("u1", "anthropic"))
      expect(none).toEqual(Exit.fail(Credentials.noKey("anthropic")))
      expect(Credentials.noKey("anthropic")).toMatchObject({
        status: 401,
        type: "authentication_error",
        message: "No API key configured for provider: anthropic"
      })
    })
  )

  it.scopedLive("uses the secret's baseUrl for openai-compatible, which has no platform key", () =>
    Effect.gen(function* () {
      secrets.clear()
      const { service } = yield* setup
      secrets.set("u1/openai-compatible", {
        enabled: true,
        baseUrl: "http://vllm.internal:8000/v1/",
        secret: Redacted.make("tok")
      })
      const c = yield* service.resolve("u1", "openai-compatible")
      expect([key(c), c.baseUrl]).toEqual(["tok", "http://vllm.internal:8000/v1"])
      const none = yield* Effect.exit(service.resolve("u2", "openai-compatible"))
      expect(none).toEqual(Exit.fail(Credentials.noKey("openai-compatible")))
    })
  )

  it.scopedLive("caches secrets and drops them when a change is published", () =>
    Effect.gen(function* () {
      secrets.clear()
      const { service, changes } = yield* setup
      secrets.set("u1/openai", { enabled: true, baseUrl: undefined, secret: Redacted.make("v1") })
      yield* service.resolve("u1", "openai")
      const before = lookups
      expect(key(yield* service.resolve("u1", "openai"))).toBe("v1")
      expect(lookups).toBe(before)
      secrets.set("u1/openai", { enabled: true, baseUrl: undefined, secret: Redacted.make("v2") })
      yield* PubSub.publish(changes, { userId: "u1", provider: "openai" })
      let seen = "v1"
      for (let i = 0; i < 100 && seen === "v1"; i++) {
        yield* Effect.sleep("10 millis")
        seen = key(yield* service.resolve("u1", "openai"))
      }
      expect(seen).toBe("v2")
    })
  )

  it.scopedLive("answers mock without any key", () =>
    Effect.gen(function* () {
      const { service } = yield* setup
      const c = yield* service.resolve("anyone", "mock")
      expect(c.source).toBe("builtin")
    })
  )

  it.scopedLive("resolveCached answers without a lookup only what needs none, and agrees with resolve", () =>
    Effect.gen(function* () {
      secrets.clear()
      const { service, changes } = yield* setup
      secrets.set("u1/openai", { enabled: true, baseUrl: undefined, secret: Redacted.make("sk-user") })
      // Nothing read yet: the hot path must fall back to resolve.
      expect(service.resolveCached("u1", "openai")).toBeUndefined()
      const before = lookups
      const resolved = yield* service.resolve("u1", "openai")
      const cached = service.resolveCached("u1", "openai")
      expect(cached).toEqual(resolved)
      expect(lookups).toBe(before + 1)
      // A cached "no secret" answers the platform key; no key at all is the 401, as a value.
      yield* service.resolve("u2", "openai")
      expect(key(service.resolveCached("u2", "openai") as Credentials.Credential)).toBe("sk-platform")
      yield* Effect.exit(service.resolve("u2", "anthropic"))
      expect(service.resolveCached("u2", "anthropic")).toEqual(Credentials.noKey("anthropic"))
      // Operator keys and the mock never need a lookup.
      const operator = { apiKey: Redacted.make("sk-op"), baseUrl: "http://127.0.0.1:9/op" }
      expect(service.resolveCached("u3", "openai", operator)).toMatchObject({
        source: "operator",
        baseUrl: "http://127.0.0.1:9/op"
      })
      expect(service.resolveCached("u3", "mock")).toMatchObject({ source: "builtin" })
      // A published change drops the cached answer.
      yield* PubSub.publish(changes, { userId: "u1", provider: "openai" })
      let dropped = false
      for (let i = 0; i < 100 && !dropped; i++) {
        yield* Effect.sleep("10 millis")
        dropped = service.resolveCached("u1", "openai") === undefined
      }
      expect(dropped).toBe(true)
    })
  )

  it.scopedLive("holds at most `capacity` answers, least recently used out first", () =>
    Effect.gen(function* () {
      secrets.clear()
      const changes = yield* PubSub.unbounded<Credentials.SecretChange>()
      const service = yield* Credentials.make({
        lookup,
        platformKeys: {},
        changes: Stream.fromPubSub(changes),
        capacity: 2
      }).pipe(Effect.provide(Providers.layer), Effect.withConfigProvider(env), Effect.tap(subscribed))
      for (const user of ["a", "b", "c"]) {
        secrets.set(`${user}/openai`, { enabled: true, baseUrl: undefined, secret: Redacted.make(user) })
        yield* service.resolve(user, "openai")
      }
      expect(service.resolveCached("a", "openai")).toBeUndefined()
      expect(key(service.resolveCached("c", "openai") as Credentials.Credential)).toBe("c")
      expect(key(service.resolveCached("b", "openai") as Credentials.Credential)).toBe("b")
    })
  )

  it.scopedLive("forgets 'no secret stored' sooner than a stored secret", () =>
    Effect.gen(function* () {
      secrets.clear()
      let now = 1_000
      const changes = yield* PubSub.unbounded<Credentials.SecretChange>()
      const service = yield* Credentials.make({
        lookup,
        platformKeys: {},
        changes: Stream.fromPubSub(changes),
        secretTtl: "10 minutes",
        absentTtl: "1 minute",
        now: () => now
      }).pipe(Effect.provide(Providers.layer), Effect.withConfigProvider(env), Effect.tap(subscribed))
      secrets.set("u1/openai", { enabled: true, baseUrl: undefined, secret: Redacted.make("sk-user") })
      yield* service.resolve("u1", "openai")
      yield* Effect.exit(service.resolve("u2", "openai"))
      expect(service.resolveCached("u2", "openai")).toEqual(Credentials.noKey("openai"))
      now += 61_000
      expect(service.resolveCached("u2", "openai")).toBeUndefined()
      expect(key(service.resolveCached("u1", "openai") as Credentials.Credential)).toBe("sk-user")
      now += 10 * 60_000
      expect(service.resolveCached("u1", "openai")).toBeUndefined()
    })
  )

  it.scopedLive("a store that is down is a 503 for this request, not a defect, and is not cached", () =>
    Effect.gen(function* () {
      secrets.clear()
      let down = true
      const changes = yield* PubSub.unbounded<Credentials.SecretChange>()
      const service = yield* Credentials.make({
        lookup: (userId, provider) =>
          down ? Effect.fail(ServiceUnavailable.database()) : lookup(userId, provider),
        platformKeys: { openai: Redacted.make("sk-platform") },
        changes: Stream.fromPubSub(changes)
      }).pipe(Effect.provide(Providers.layer), Effect.withConfigProvider(env), Effect.tap(subscribed))
      const failed = yield* Effect.flip(service.resolve("u1", "openai"))
      expect([failed.status, failed.type]).toEqual([503, "api_error"])
      expect(service.resolveCached("u1", "openai")).toBeUndefined()
      down = false
      expect(key(yield* service.resolve("u1", "openai"))).toBe("sk-platform")
    })
  )

  describe("under load", () => {
    const stored = (secret: string): Credentials.UserSecret => ({
      enabled: true,
      baseUrl: undefined,
      secret: Redacted.make(secret)
    })
    /** A service whose lookups are counted, answer `current`, and can be held open or made to fail. */
    const loaded = (clock: { now: number }) =>
      Effect.gen(function* () {
        const state = {
          current: "v1",
          calls: 0,
          failing: false,
          gate: undefined as Deferred.Deferred<void> | undefined
        }
        const changes = yield* PubSub.unbounded<Credentials.SecretChange>()
        const service = yield* Credentials.make({
          lookup: () =>
            Effect.gen(function* () {
              state.calls++
              if (state.gate !== undefined) yield* Deferred.await(state.gate)
              if (state.failing) return yield* Effect.fail(ServiceUnavailable.database())
              return Option.some(stored(state.current))
            }),
          platformKeys: {},
          changes: Stream.fromPubSub(changes),
          secretTtl: "10 minutes",
          now: () => clock.now
        }).pipe(Effect.provide(Providers.layer), Effect.withConfigProvider(env), Effect.tap(subscribed))
        return { service, state, changes }
      })
    const cachedKey = (service: Credentials.Credentials["Type"]) => {
      const found = service.resolveCached("u1", "openai")
      return found === undefined || found instanceof GatewayError ? found : key(found)
    }

    it.scopedLive("concurrent misses share one lookup", () =>
      Effect.gen(function* () {
        const { service, state } = yield* loaded({ now: 1_000 })
        state.gate = yield* Deferred.make<void>()
        const waiting = yield* Effect.forkScoped(
          Effect.all(
            Array.from({ length: 64 }, () => service.resolve("u1", "openai")),
            { concurrency: "unbounded" }
          )
        )
        yield* Effect.sleep("20 millis")
        yield* Deferred.succeed(state.gate, undefined)
        const answers = yield* Fiber.join(waiting)
        expect(answers.map(key)).toEqual(Array.from({ length: 64 }, () => "v1"))
        expect(state.calls).toBe(1)
      })
    )

    it.scopedLive("an answer read in the last fifth of its life is served while it is looked up again", () =>
      Effect.gen(function* () {
        const clock = { now: 1_000 }
        const { service, state } = yield* loaded(clock)
        yield* service.resolve("u1", "openai")
        state.current = "v2"
        // Seven minutes in: not due, nothing is looked up.
        clock.now += 7 * 60_000
        expect(cachedKey(service)).toBe("v1")
        yield* Effect.sleep("10 millis")
        expect(state.calls).toBe(1)
        // Eight and a half minutes in: served at once, and refreshed in the background.
        clock.now += 90_000
        state.gate = yield* Deferred.make<void>()
        expect(cachedKey(service)).toBe("v1")
        expect(cachedKey(service)).toBe("v1")
        yield* Effect.sleep("10 millis")
        expect(state.calls).toBe(2)
        yield* Deferred.succeed(state.gate, undefined)
        yield* Effect.sleep("10 millis")
        expect(cachedKey(service)).toBe("v2")
        // The refreshed answer lives a full lifetime from its refresh: past the first one's expiry.
        clock.now += 5 * 60_000
        expect(cachedKey(service)).toBe("v2")
        expect(state.calls).toBe(2)
      })
    )

    it.scopedLive(
      "a refresh that fails keeps the answer until its own expiry, then the request gets the 503",
      () =>
        Effect.gen(function* () {
          const clock = { now: 1_000 }
          const { service, state } = yield* loaded(clock)
          yield* service.resolve("u1", "openai")
          state.failing = true
          clock.now += 9 * 60_000
          for (let i = 0; i < 5; i++) {
            expect(cachedKey(service)).toBe("v1")
            yield* Effect.sleep("10 millis")
          }
          // One refresh, not one per read: a store that is down is asked once per answer.
          expect(state.calls).toBe(2)
          clock.now += 61_000
          expect(cachedKey(service)).toBeUndefined()
          const failed = yield* Effect.flip(service.resolve("u1", "openai"))
          expect([failed.status, failed.type]).toEqual([503, "api_error"])
          state.failing = false
          expect(key(yield* service.resolve("u1", "openai"))).toBe("v1")
        })
    )

    it.scopedLive("a lookup that hangs is a 503 after its timeout, and the next request looks up again", () =>
      Effect.gen(function* () {
        let hung = true
        let calls = 0
        const changes = yield* PubSub.unbounded<Credentials.SecretChange>()
        const service = yield* Credentials.make({
          lookup: () => {
            calls++
            return hung ? Effect.never : Effect.succeed(Option.some(stored("v1")))
          },
          platformKeys: {},
          changes: Stream.fromPubSub(changes),
          lookupTimeout: "100 millis"
        }).pipe(Effect.provide(Providers.layer), Effect.withConfigProvider(env), Effect.tap(subscribed))
        const waiting = yield* Effect.forkScoped(
          Effect.all(
            Array.from({ length: 8 }, () => Effect.flip(service.resolve("u1", "openai"))),
            {
              concurrency: "unbounded"
            }
          )
        )
        const failures = yield* Fiber.join(waiting).pipe(Effect.timeout("5 seconds"))
        expect(failures.map((failed) => [failed.status, failed.type])).toEqual(
          Array.from({ length: 8 }, () => [503, "api_error"])
        )
        expect(calls).toBe(1)
        hung = false
        expect(key(yield* service.resolve("u1", "openai"))).toBe("v1")
        expect(calls).toBe(2)
      })
    )

    it.scopedLive(
      "a change published during a lookup: its callers get the answer, the cache does not keep it",
      () =>
        Effect.gen(function* () {
          const { service, state, changes } = yield* loaded({ now: 1_000 })
          state.gate = yield* Deferred.make<void>()
          const waiting = yield* Effect.forkScoped(service.resolve("u1", "openai"))
          yield* Effect.sleep("10 millis")
          yield* PubSub.publish(changes, { userId: "u1" })
          yield* Effect.sleep("10 millis")
          yield* Deferred.succeed(state.gate, undefined)
          expect(key(yield* Fiber.join(waiting))).toBe("v1")
          expect(cachedKey(service)).toBeUndefined()
          state.gate = undefined
          state.current = "v2"
          expect(key(yield* service.resolve("u1", "openai"))).toBe("v2")
        })
    )
  })
})
