/**
 * Publishes control-plane changes (keys, secrets, sessions) to every running instance, so routers
 * can drop what they cached the moment it changes. PostgreSQL LISTEN/NOTIFY with one database,
 * Redis pub/sub when `REDIS_URL` is set, or in process memory for tests.
 *
 * Delivery is at most once. When a connection is lost the feed reconnects and emits `Resync` once
 * it listens again: subscribers must then drop everything they cached, since changes may have
 * been missed in between. (It is also emitted when the feed first starts listening.)
 */
import { PgClient } from "@effect/sql-pg"
import {
  Config,
  Context,
  Duration,
  Effect,
  Layer,
  Option,
  PubSub,
  type Queue,
  type Redacted,
  Schedule,
  Schema,
  type Scope,
  Stream,
  SubscriptionRef
} from "effect"
import { identity } from "effect/Function"
import { type Change, ChangeJson } from "./Change.ts"
import type { FeedTransport } from "./internal/feedTransport.ts"
import * as PgTransport from "./internal/pgTransport.ts"
import * as RedisTransport from "./internal/redisTransport.ts"

/** The change feed. */
export class ChangeFeed extends Context.Tag("@switchyard/auth/ChangeFeed")<
  ChangeFeed,
  {
    /**
     * Sends a change to every instance (this one included). Never fails: a change that cannot be
     * sent is logged, and cached entries still expire on their own.
     */
    readonly publish: (change: Change) => Effect.Effect<void>
    /** Every change from now on, as a stream (subscribes when the stream starts). */
    readonly changes: Stream.Stream<Change>
    /**
     * Subscribes now and returns the queue of changes from this moment: for callers that must not
     * miss anything between subscribing and consuming (a cache that starts serving right away).
     */
    readonly subscribe: Effect.Effect<Queue.Dequeue<Change>, never, Scope.Scope>
    /** Whether the feed is listening right now (for `/health`). */
    readonly isListening: Effect.Effect<boolean>
    /** Waits until the feed is listening (at once in memory). */
    readonly awaitListening: Effect.Effect<void>
  }
>() {
  /** In process memory: one instance only (tests, single-process tools). */
  static readonly layerMemory: Layer.Layer<ChangeFeed> = Layer.scoped(
    ChangeFeed,
    Effect.gen(function* () {
      const hub = yield* Effect.acquireRelease(PubSub.unbounded<Change>(), PubSub.shutdown)
      const listening = yield* SubscriptionRef.make(true)
      return fromHub(hub, listening, (change) => PubSub.publish(hub, change).pipe(Effect.asVoid))
    })
  )

  /** PostgreSQL LISTEN/NOTIFY on the application's database. */
  static readonly layerPg: Layer.Layer<ChangeFeed, never, PgClient.PgClient> = Layer.scoped(
    ChangeFeed,
    Effect.flatMap(PgClient.PgClient, (client) => fromTransport(PgTransport.make(client), "postgres"))
  )

  /** Redis pub/sub on the server at `url` (`channel` only for tests sharing one server). */
  static readonly layerRedis = (
    url: Redacted.Redacted<string>,
    options?: { readonly channel?: string }
  ): Layer.Layer<ChangeFeed> =>
    Layer.scoped(
      ChangeFeed,
      Effect.flatMap(RedisTransport.make(url, options?.channel), (transport) =>
        fromTransport(transport, "redis")
      )
    )

  /** Redis when `REDIS_URL` is set, PostgreSQL otherwise. */
  static readonly layerFromConfig: Layer.Layer<ChangeFeed, never, PgClient.PgClient> = Layer.unwrapEffect(
    Effect.map(Config.option(Config.redacted("REDIS_URL")).pipe(Effect.orDie), (url) =>
      Option.match(url, {
        onNone: () => ChangeFeed.layerPg,
        onSome: (redisUrl) => ChangeFeed.layerRedis(redisUrl)
      })
    )
  )
}

const fromHub = (
  hub: PubSub.PubSub<Change>,
  listening: SubscriptionRef.SubscriptionRef<boolean>,
  publish: (change: Change) => Effect.Effect<void>
): Context.Tag.Service<ChangeFeed> => ({
  publish,
  changes: Stream.fromPubSub(hub),
  subscribe: PubSub.subscribe(hub),
  isListening: SubscriptionRef.get(listening),
  awaitListening: listening.changes.pipe(Stream.takeUntil(identity), Stream.runDrain)
})

const describe = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error)
  return error.cause === undefined ? error.message : `${error.message} (${describe(error.cause)})`
}

const encode = Schema.encodeSync(ChangeJson)
const decode = Schema.decodeUnknownOption(ChangeJson)

/** Reconnect quickly at first, then every few seconds at most, for as long as the process lives. */
const reconnect = Schedule.exponential(Duration.millis(100)).pipe(
  Schedule.union(Schedule.spaced(Duration.seconds(5)))
)

const fromTransport = (transport: FeedTransport, name: string) =>
  Effect.gen(function* () {
    const hub = yield* Effect.acquireRelease(PubSub.unbounded<Change>(), PubSub.shutdown)
    const listening = yield* SubscriptionRef.make(false)
    const received = transport.listen.pipe(
      Stream.tapError((error) =>
        Effect.zipRight(
          SubscriptionRef.set(listening, false),
          Effect.logWarning(`change feed (${name}) lost its connection; reconnecting: ${describe(error)}`)
        )
      ),
      Stream.retry(reconnect),
      Stream.runForEach((incoming) => {
        if (incoming._tag === "Connected") {
          return PubSub.publish(hub, { _tag: "Resync" }).pipe(
            Effect.zipRight(SubscriptionRef.set(listening, true))
          )
        }
        const change = decode(incoming.payload)
        if (Option.isSome(change)) return PubSub.publish(hub, change.value)
        return Effect.logWarning(`change feed (${name}) ignored a malformed message`)
      })
    )
    yield* Effect.forkScoped(received)
    return fromHub(hub, listening, (change) =>
      transport
        .send(encode(change))
        .pipe(
          Effect.catchAll((error) =>
            Effect.logError(`change feed (${name}) could not publish ${change._tag}: ${describe(error)}`)
          )
        )
    )
  })
