/**
 * Redis pub/sub transport, for deployments with several router instances and a `REDIS_URL`.
 * The listening connection is not reconnected by ioredis (it would resubscribe on its own, and we
 * could not tell when the subscription is live again): the feed makes a new one instead.
 */
import { Effect, Redacted, Stream } from "effect"
import type { Redis } from "ioredis"
import { CHANNEL, type FeedTransport, type Incoming } from "./feedTransport.ts"

/**
 * The transport over the Redis server at `url` (`channel` separates test runs sharing a server);
 * the publishing connection lives in the scope.
 */
export const make = (url: Redacted.Redacted<string>, channel: string = CHANNEL) =>
  Effect.gen(function* () {
    // Imported here, not at the top: the router's serving thread loads the auth package but has
    // no change feed of its own, so it does not carry ioredis.
    const { Redis: RedisClient } = yield* Effect.promise(() => import("ioredis"))
    const publisher: Redis = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const redis = new RedisClient(Redacted.value(url), { lazyConnect: true, maxRetriesPerRequest: 3 })
        redis.on("error", () => undefined) // failures surface on the commands that hit them
        return redis
      }),
      (redis) => Effect.promise(() => redis.quit().catch(() => redis.disconnect()))
    )
    const transport: FeedTransport = {
      send: (payload) => Effect.tryPromise(() => publisher.publish(channel, payload)),
      listen: Stream.asyncScoped<Incoming, Error>((emit) =>
        Effect.gen(function* () {
          const subscriber: Redis = yield* Effect.acquireRelease(
            Effect.sync(
              () =>
                new RedisClient(Redacted.value(url), {
                  lazyConnect: true,
                  retryStrategy: () => null,
                  autoResubscribe: false,
                  maxRetriesPerRequest: 0,
                  connectionName: `switchyard-changefeed:${channel}`
                })
            ),
            (redis) => Effect.sync(() => redis.disconnect())
          )
          subscriber.on("error", () => undefined) // the `end` event below reports the loss
          subscriber.on("end", () => void emit.fail(new Error("change feed connection closed")))
          subscriber.on("message", (received: string, payload: string) => {
            if (received === channel) void emit.single({ _tag: "Message", payload })
          })
          yield* Effect.tryPromise(() => subscriber.connect())
          yield* Effect.tryPromise(() => subscriber.subscribe(channel))
          yield* Effect.promise(() => emit.single({ _tag: "Connected" }))
        })
      )
    }
    return transport
  })
