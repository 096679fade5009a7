/**
 * Revocation across differently configured apps: the control plane without `REDIS_URL`, a router
 * with it (real PostgreSQL, real Redis). A key disabled in the control plane must stop working in
 * the router's cache at once, not when the cache entry expires ten minutes later.
 */
import { describe, expect, layer } from "@effect/vitest"
import { ApiKeyVerifier, ChangeFeed } from "@switchyard/auth"
import { Database } from "@switchyard/db"
import { Config, ConfigProvider, Context, Effect, Layer, Option, Redacted, Schedule } from "effect"
import { call, newUser, Server, serverLayer } from "./harness.ts"

const redisUrl = Config.string("TEST_REDIS_URL").pipe(Config.withDefault("redis://127.0.0.1:6379"))

describe("revocation with mixed change-feed settings", () => {
  layer(serverLayer("cp_revocation"), { excludeTestServices: true })((it) => {
    it.scoped("a key disabled on a control plane without REDIS_URL is refused by a router with it", () =>
      Effect.gen(function* () {
        const { databaseUrl } = yield* Server
        const health = yield* call("GET", "/health")
        // The control plane has no REDIS_URL: PostgreSQL only, and /health says so.
        expect(health.body.checks.changeFeed).toEqual({ ok: true, detail: "postgres listening" })

        // The router's side, configured with REDIS_URL: its own pool, feed and production verifier.
        const routerConfig = ConfigProvider.fromMap(new Map([["REDIS_URL", yield* redisUrl]]))
        const router = yield* Layer.build(
          ApiKeyVerifier.layer.pipe(
            Layer.provideMerge(ChangeFeed.layerFromConfig),
            Layer.provide(Database.layerFromUrl(Redacted.make(databaseUrl!))),
            Layer.provide(Layer.setConfigProvider(routerConfig))
          )
        )
        const verifier = Context.get(router, ApiKeyVerifier)
        const feed = Context.get(router, ChangeFeed)
        yield* feed.awaitListening.pipe(Effect.timeout("10 seconds"))
        expect(yield* feed.transports).toEqual([
          { name: "postgres", listening: true },
          { name: "redis", listening: true }
        ])

        const { token } = yield* newUser("revoked")
        const key = (yield* call("POST", "/v1/apikey", { token })).body.key as string
        // Cached as valid: from here only the feed can make the router read the key again.
        yield* Effect.repeat(verifier.verify(key), {
          until: Option.isSome,
          schedule: Schedule.spaced("10 millis")
        }).pipe(Effect.timeout("10 seconds"))

        const disabled = yield* call("PATCH", "/v1/apikey", { token, json: { enabled: false } })
        expect(disabled.body.enabled).toBe(false)
        // Bounded wait for the behaviour: the key is refused (a timeout fails the test).
        yield* Effect.repeat(verifier.verify(key), {
          until: Option.isNone,
          schedule: Schedule.spaced("10 millis")
        }).pipe(Effect.timeout("5 seconds"))
        expect(yield* verifier.verify(key)).toEqual(Option.none())
      })
    )
  })
})
