/**
 * Publishes control-plane changes (keys, secrets, sessions) to every running instance, so routers
 * can drop what they cached the moment it changes. In production it goes over PostgreSQL
 * LISTEN/NOTIFY always, and over Redis pub/sub as well when `REDIS_URL` is set: every change is
 * sent on both and every instance listens on both, so a control plane and routers configured
 * differently (one with `REDIS_URL`, one without) still hear each other. In process memory for
 * tests.
 *
 * Delivery is at most once per transport (a change heard on both arrives twice; dropping a cache
 * entry twice is harmless). When a connection is lost the feed reconnects and emits `Resync` once
 * it listens again: subscribers must then drop everything they cached, since changes may have
 * been missed in between. (It is also emitted when the feed first starts listening.)
 */
import type { PgClient } from "@effect/sql-pg"
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
import { type Change, ChangeJson } from "./Change.ts"
import type { FeedTransport } from "./internal/feedTransport.ts"
import * as PgTransport from "./internal/pgTransport.ts"
import * as RedisTransport from "./internal/redisTransport.ts"

/**
 * The PostgreSQL client from the context. Its tag comes from a dynamic import: the router's
 * serving thread loads this package (for the in-memory feed) and should not carry pg with it.
 */
const pgClient: Effect.Effect<PgClient.PgClient, never, PgClient.PgClient> = Effect.flatMap(
  Effect.promise(() => import("@effect/sql-pg")),
  (module) => module.PgClient.PgClient
)

/** One transport of the feed and whether it listens right now (for `/health`). */
export interface TransportState {
  readonly name: "postgres" | "redis" | "memory"
  readonly listening: boolean
}

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
    /** Whether every transport of the feed is listening right now (for `/health`). */
    readonly isListening: Effect.Effect<boolean>
    /** Each transport and whether it listens (for `/health`'s detail). */
    readonly transports: Effect.Effect<ReadonlyArray<TransportState>>
    /** Waits until every transport is listening (at once in memory). */
    readonly awaitListening: Effect.Effect<void>
  }
>() {
  /** In process memory: one instance only (tests, single-process tools). */
  static readonly layerMemory: Layer.Layer<ChangeFeed> = Layer.scoped(
    ChangeFeed,
    Effect.gen(function* () {
      const hub = yield* Effect.acquireRelease(PubSub.unbounded<Change>(), PubSub.shutdown)
      const listening = yield* SubscriptionRef.make(true)
      return fromHub(hub, [{ name: "memory", listening }], (change) =>
        PubSub.publish(hub, change).pipe(Effect.asVoid)
      )
    })
  )

  /** PostgreSQL LISTEN/NOTIFY on the application's database, alone. */
  static readonly layerPg: Layer.Layer<ChangeFeed, never, PgClient.PgClient> = Layer.scoped(
    ChangeFeed,
    Effect.flatMap(pgClient, (client) =>
      fromTransports([{ name: "postgres", transport: PgTransport.make(client) }])
    )
  )

  /** Redis pub/sub on the server at `url`, alone (`channel` only for tests sharing one server). */
  static readonly layerRedis = (
    url: Redacted.Redacted<string>,
    options?: { readonly channel?: string }
  ): Layer.Layer<ChangeFeed> =>
    Layer.scoped(
      ChangeFeed,
      Effect.flatMap(RedisTransport.make(url, options?.channel), (transport) =>
        fromTransports([{ name: "redis", transport }])
      )
    )

  /**
   * PostgreSQL LISTEN/NOTIFY and Redis pub/sub together: publishes on both, listens on both.
   * (`channel` only for tests sharing one Redis server.)
   */
  static readonly layerPgAndRedis = (
    url: Redacted.Redacted<string>,
    options?: { readonly channel?: string }
  ): Layer.Layer<ChangeFeed, never, PgClient.PgClient> =>
    Layer.scoped(
      ChangeFeed,
      Effect.gen(function* () {
        const client = yield* pgClient
        const redis = yield* RedisTransport.make(url, options?.channel)
        return yield* fromTransports([
          { name: "postgres", transport: PgTransport.make(client) },
          { name: "redis", transport: redis }
        ])
      })
    )

  /**
   * What both apps use: PostgreSQL always (every instance shares the database), plus Redis when
   * `REDIS_URL` is set. Since every publisher sends on PostgreSQL, an instance hears every change
   * whatever the others' settings.
   */
  static readonly layerFromConfig: Layer.Layer<ChangeFeed, never, PgClient.PgClient> = Layer.unwrapEffect(
    Effect.map(Config.option(Config.redacted("REDIS_URL")).pipe(Effect.orDie), (url) =>
      Option.match(url, {
        onNone: () => ChangeFeed.layerPg,
        onSome: (redisUrl) => ChangeFeed.layerPgAndRedis(redisUrl)
      })
    )
  )
}

interface Listener {
  readonly name: TransportState["name"]
  readonly listening: SubscriptionRef.SubscriptionRef<boolean>
}

const fromHub = (
  hub: PubSub.PubSub<Change>,
  listeners: ReadonlyArray<Listener>,
  publish: (change: Change) => Effect.Effect<void>
): Context.Tag.Service<ChangeFeed> => {
  const transports = Effect.forEach(listeners, (l) =>
    Effect.map(SubscriptionRef.get(l.listening), (listening): TransportState => ({ name: l.name, listening }))
  )
  return {
    publish,
    changes: Stream.fromPubSub(hub),
    subscribe: PubSub.subscribe(hub),
    isListening: Effect.map(transports, (all) => all.every((t) => t.listening)),
    transports,
    awaitListening: Effect.forEach(
      listeners,
      (l) =>
        l.listening.changes.pipe(
          Stream.takeUntil((on) => on),
          Stream.runDrain
        ),
      { concurrency: "unbounded", discard: true }
    )
  }
}

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

/** Listens on every transport (each reconnecting on its own) and publishes on all of them. */
const fromTransports = (
  transports: ReadonlyArray<{ readonly name: "postgres" | "redis"; readonly transport: FeedTransport }>
) =>
  Effect.gen(function* () {
    const hub = yield* Effect.acquireRelease(PubSub.unbounded<Change>(), PubSub.shutdown)
    const listeners: Array<Listener> = []
    for (const { name, transport } of transports) {
      const listening = yield* SubscriptionRef.make(false)
      listeners.push({ name, listening })
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
    }
    const publish = (change: Change) => {
      const payload = encode(change)
      return Effect.forEach(
        transports,
        ({ name, transport }) =>
          transport
            .send(payload)
            .pipe(
              Effect.catchAll((error) =>
                Effect.logError(`change feed (${name}) could not publish ${change._tag}: ${describe(error)}`)
              )
            ),
        { concurrency: "unbounded", discard: true }
      )
    }
    return fromHub(hub, listeners, publish)
  })
