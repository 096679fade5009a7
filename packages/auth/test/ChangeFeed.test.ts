import { SqlClient } from "@effect/sql"
import { describe, expect, it, layer } from "@effect/vitest"
import { Database } from "@switchyard/db"
import { TestDatabase } from "@switchyard/db/testing"
import { Config, ConfigProvider, Context, Effect, Layer, type Queue, Redacted } from "effect"
import { Redis } from "ioredis"
import type { Change } from "../src/Change.ts"
import { ChangeFeed } from "../src/ChangeFeed.ts"

const redisUrl = Config.string("TEST_REDIS_URL").pipe(Config.withDefault("redis://127.0.0.1:6379"))

/** Builds one feed instance (as one process would) in the current scope; waits until it listens. */
const instance = <E, R>(layer: Layer.Layer<ChangeFeed, E, R>) =>
  Effect.map(Layer.build(Layer.fresh(layer)), (context) => Context.get(context, ChangeFeed)).pipe(
    Effect.tap((feed) => guard(feed.awaitListening))
  )

/** The next change that is not a `Resync`. */
const nextChange = (queue: Queue.Dequeue<Change>): Effect.Effect<Change> =>
  queue.take.pipe(
    Effect.flatMap((change) => (change._tag === "Resync" ? nextChange(queue) : Effect.succeed(change)))
  )

/** Waits until the feed has (re)connected. */
const nextResync = (queue: Queue.Dequeue<Change>): Effect.Effect<void> =>
  queue.take.pipe(Effect.flatMap((change) => (change._tag === "Resync" ? Effect.void : nextResync(queue))))

const guard = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error("no change arrived") }))

const keyChange: Change = { _tag: "ApiKeyChanged", keyHash: "h1", userId: "u1" }
const secretChange: Change = { _tag: "SecretChanged", userId: "u1", provider: "openai" }

/** The contract every transport meets: all instances and all subscribers see a publish. */
const fanOut = <E>(layer: Layer.Layer<ChangeFeed, E>) =>
  Effect.gen(function* () {
    const a = yield* instance(layer)
    const b = yield* instance(layer)
    const a1 = yield* a.subscribe
    const b1 = yield* b.subscribe
    const b2 = yield* b.subscribe
    yield* a.publish(keyChange)
    expect(yield* guard(nextChange(a1))).toEqual(keyChange)
    expect(yield* guard(nextChange(b1))).toEqual(keyChange)
    expect(yield* guard(nextChange(b2))).toEqual(keyChange)
    return { a, b, b1 }
  })

describe("ChangeFeed", () => {
  it.scopedLive("memory: every subscriber receives a publish", () =>
    Effect.gen(function* () {
      const feed = yield* instance(ChangeFeed.layerMemory)
      const one = yield* feed.subscribe
      const two = yield* feed.subscribe
      yield* feed.publish(secretChange)
      expect(yield* one.take).toEqual(secretChange)
      expect(yield* two.take).toEqual(secretChange)
    })
  )

  layer(TestDatabase.layer("changefeed", []), { excludeTestServices: true })((it) => {
    it.scoped("postgres: two instances receive a NOTIFY, and a killed listener reconnects and resyncs", () =>
      Effect.gen(function* () {
        const url = yield* TestDatabase.TestDatabaseUrl
        const layer = ChangeFeed.layerPg.pipe(
          Layer.provide(Database.layerFromUrl(url, { maxConnections: 2 }))
        )
        const { a, b, b1 } = yield* fanOut(layer)

        const sql = yield* SqlClient.SqlClient
        const killed = yield* sql<{ pid: number }>`
          SELECT pg_terminate_backend(pid) AS pid FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'switchyard-changefeed'`
        expect(killed.length).toBe(2)
        yield* guard(nextResync(b1))
        expect(yield* b.isListening).toBe(true)
        yield* a.publish(secretChange)
        expect(yield* guard(nextChange(b1))).toEqual(secretChange)
      })
    )
  })

  it.scopedLive(
    "redis: two instances receive a publish, and a killed subscriber reconnects and resyncs",
    () =>
      Effect.gen(function* () {
        const url = yield* redisUrl
        const channel = `test_${crypto.randomUUID()}`
        const { a, b1 } = yield* fanOut(ChangeFeed.layerRedis(Redacted.make(url), { channel }))

        const admin = yield* Effect.acquireRelease(
          Effect.sync(() => new Redis(url)),
          (redis) => Effect.promise(() => redis.quit())
        )
        const clients = (yield* Effect.promise(() => admin.client("LIST") as Promise<string>))
          .split("\n")
          .filter((line) => line.includes(`name=switchyard-changefeed:${channel} `))
          .map((line) => /id=(\d+)/.exec(line)![1]!)
        expect(clients.length).toBe(2)
        for (const id of clients) yield* Effect.promise(() => admin.client("KILL", "ID", id))
        yield* guard(nextResync(b1))
        yield* a.publish(secretChange)
        expect(yield* guard(nextChange(b1))).toEqual(secretChange)
      })
  )

  layer(TestDatabase.layer("changefeed_config", []), { excludeTestServices: true })((it) => {
    /** A feed as an app builds it from its settings: `REDIS_URL` set or not. */
    const configured = (redis: string | undefined) =>
      ChangeFeed.layerFromConfig.pipe(
        Layer.provide(
          Layer.setConfigProvider(
            ConfigProvider.fromMap(new Map(redis === undefined ? [] : [["REDIS_URL", redis]]))
          )
        )
      )

    /** Waits for this test's own change (other suites may share the default Redis channel). */
    const mine = (queue: Queue.Dequeue<Change>, expected: Change): Effect.Effect<Change> =>
      Effect.flatMap(nextChange(queue), (change) =>
        JSON.stringify(change) === JSON.stringify(expected) ? Effect.succeed(change) : mine(queue, expected)
      )

    it.scoped("with REDIS_URL the feed publishes on both PostgreSQL and Redis, and says so", () =>
      Effect.gen(function* () {
        const url = yield* redisUrl
        const db = Database.layerFromUrl(yield* TestDatabase.TestDatabaseUrl, { maxConnections: 2 })
        const both = yield* instance(configured(url).pipe(Layer.provide(db)))
        expect(yield* both.transports).toEqual([
          { name: "postgres", listening: true },
          { name: "redis", listening: true }
        ])
        const pgOnly = yield* instance(ChangeFeed.layerPg.pipe(Layer.provide(db)))
        const redisOnly = yield* instance(ChangeFeed.layerRedis(Redacted.make(url)))
        expect(yield* pgOnly.transports).toEqual([{ name: "postgres", listening: true }])
        const overPg = yield* pgOnly.subscribe
        const overRedis = yield* redisOnly.subscribe
        const change: Change = { _tag: "SecretChanged", userId: crypto.randomUUID(), provider: "xai" }
        yield* both.publish(change)
        expect(yield* guard(mine(overPg, change))).toEqual(change)
        expect(yield* guard(mine(overRedis, change))).toEqual(change)
      })
    )

    it.scoped("mixed settings: an instance without REDIS_URL and one with it hear each other", () =>
      Effect.gen(function* () {
        const url = yield* redisUrl
        const db = Database.layerFromUrl(yield* TestDatabase.TestDatabaseUrl, { maxConnections: 2 })
        const controlPlane = yield* instance(configured(undefined).pipe(Layer.provide(db)))
        const router = yield* instance(configured(url).pipe(Layer.provide(db)))
        const atRouter = yield* router.subscribe
        const atControlPlane = yield* controlPlane.subscribe
        const disabled: Change = { _tag: "ApiKeyChanged", keyHash: crypto.randomUUID(), userId: "u1" }
        yield* controlPlane.publish(disabled)
        expect(yield* guard(mine(atRouter, disabled))).toEqual(disabled)
        const revoked: Change = { _tag: "SessionRevoked", tokenHash: crypto.randomUUID(), userId: "u1" }
        yield* router.publish(revoked)
        expect(yield* guard(mine(atControlPlane, revoked))).toEqual(revoked)
      })
    )
  })
})
