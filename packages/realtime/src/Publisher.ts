/**
 * How the router and the control plane put Switchyard's own events (`usage`, `budget_alert`,
 * `key_changed`) into a user's room on the realtime hub.
 *
 * `publish` is plain code that only appends to a bounded in-memory queue and returns: a model
 * request never waits for it and never fails because of it. A timer drains the queue in batches:
 *
 * - with `REDIS_URL`, through the Socket.IO Redis emitter (`@socket.io/redis-emitter`): the hub's
 *   Redis adapter delivers to the room on every instance, and the publisher needs no socket of its
 *   own. A batch is one Redis pipeline. Commands are not queued while Redis is unreachable.
 * - else with `REALTIME_URL` and `REALTIME_API_KEY`, through the hub's `POST /api/broadcast/batch`,
 *   one request per batch, at most one in flight.
 * - else nowhere (counted as dropped, so `/metrics` shows it).
 *
 * When the queue is full, new events are dropped and counted; so are batches that fail. Nothing
 * is retried: a live view that misses an event catches up from the ledger.
 */
import { Config, Context, Duration, Effect, Layer, Option, Redacted } from "effect"
import type { Redis } from "ioredis"
import type { SwitchyardEvents } from "./Events.ts"
import { userRoom } from "./Rooms.ts"

/** Counters of a publisher. */
export interface PublisherStats {
  readonly transport: "redis" | "http" | "none"
  readonly queued: number
  readonly sent: number
  readonly dropped: number
  readonly failedBatches: number
}

/** One event for one user's room. */
export interface Publication {
  readonly userId: string
  readonly event: keyof SwitchyardEvents
  readonly data: SwitchyardEvents[keyof SwitchyardEvents]
}

/** Publishes Switchyard's events to users' rooms, fire-and-forget. */
export class Publisher extends Context.Tag("@switchyard/realtime/Publisher")<
  Publisher,
  {
    /** Queues one event for `userId`'s room; returns at once and never throws. */
    readonly publish: <K extends keyof SwitchyardEvents>(
      userId: string,
      event: K,
      data: SwitchyardEvents[K]
    ) => void
    readonly stats: () => PublisherStats
    /**
     * False when every event is dropped (`layerNone`: no hub configured). A tap that would build
     * an event on every request (`UsageTap`) reads it once and stands aside, rather than build
     * one for nobody.
     */
    readonly delivers: boolean
  }
>() {
  /** Picks the transport from the configuration (see the module comment). */
  static readonly layerFromConfig: Layer.Layer<Publisher> = Layer.unwrapEffect(
    Effect.gen(function* () {
      const options = yield* queueOptions
      const redisUrl = yield* Config.option(Config.redacted("REDIS_URL"))
      if (Option.isSome(redisUrl)) {
        const prefix = yield* redisPrefix
        return Publisher.layerRedis(redisUrl.value, prefix, options)
      }
      const hubUrl = yield* Config.option(Config.url("REALTIME_URL"))
      const apiKey = yield* Config.option(Config.redacted("REALTIME_API_KEY"))
      if (Option.isSome(hubUrl) && Option.isSome(apiKey)) {
        return Publisher.layerHttp(hubUrl.value.toString(), apiKey.value, options)
      }
      return Publisher.layerNone
    })
  ).pipe(Layer.orDie)

  /** Through Redis and the Socket.IO emitter. */
  static readonly layerRedis = (
    url: Redacted.Redacted<string>,
    prefix: string,
    options: QueueOptions = defaultQueueOptions
  ): Layer.Layer<Publisher> =>
    Layer.scoped(
      Publisher,
      Effect.gen(function* () {
        // Imported here, not at the top: the router's serving thread loads this package's index
        // but publishes through its owning thread, so it carries neither ioredis nor the emitter.
        const [{ Redis: RedisClient }, { Emitter }] = yield* Effect.promise(() =>
          Promise.all([import("ioredis"), import("@socket.io/redis-emitter")])
        )
        const redis: Redis = yield* Effect.acquireRelease(
          Effect.sync(
            () =>
              new RedisClient(Redacted.value(url), {
                lazyConnect: false,
                enableOfflineQueue: false,
                maxRetriesPerRequest: 0,
                // Reconnects forever, a second apart at most; errors are counted, not thrown.
                retryStrategy: (attempt) => Math.min(attempt * 100, 1000)
              })
          ),
          (client) => Effect.promise(() => client.quit().catch(() => client.disconnect()))
        )
        redis.on("error", () => {})
        // The emitter only calls `publish`; during a flush it goes into that batch's pipeline.
        let pipeline: ReturnType<Redis["pipeline"]> | undefined
        const emitter = new Emitter(
          { publish: (channel: string, message: Buffer | string) => pipeline?.publish(channel, message) },
          { key: prefix }
        )
        return yield* makeQueue("redis", options, async (batch) => {
          if (redis.status !== "ready") throw new Error("Redis is not connected")
          pipeline = redis.pipeline()
          for (const item of batch) emitter.to(userRoom(item.userId)).emit(item.event, item.data)
          const current = pipeline
          pipeline = undefined
          const results = await current.exec()
          if (results?.some(([error]) => error !== null)) throw new Error("a publish in the batch failed")
        })
      })
    )

  /** Through the hub's HTTP API. */
  static readonly layerHttp = (
    hubUrl: string,
    apiKey: Redacted.Redacted<string>,
    options: QueueOptions = defaultQueueOptions
  ): Layer.Layer<Publisher> =>
    Layer.scoped(
      Publisher,
      makeQueue("http", options, async (batch) => {
        const res = await fetch(new URL("/api/broadcast/batch", hubUrl), {
          method: "POST",
          headers: { "content-type": "application/json", "x-websocket-api-key": Redacted.value(apiKey) },
          body: JSON.stringify({
            broadcasts: batch.map((item) => ({
              event: item.event,
              to: "user",
              user_id: item.userId,
              data: item.data
            }))
          }),
          signal: AbortSignal.timeout(Duration.toMillis(options.timeout))
        })
        await res.body?.cancel()
        if (!res.ok) throw new Error(`the hub answered ${res.status}`)
      })
    )

  /** Publishes nothing (no hub configured); counts what reaches it (usage events do not: see `delivers`). */
  static readonly layerNone: Layer.Layer<Publisher> = Layer.sync(Publisher, () => {
    let dropped = 0
    return {
      publish: () => {
        dropped += 1
      },
      stats: () => ({ transport: "none", queued: 0, sent: 0, dropped, failedBatches: 0 }),
      delivers: false
    }
  })

  /** Keeps what is published in memory (tests of the apps that publish). */
  static readonly layerMemory: Layer.Layer<Publisher | PublishedEvents> = Layer.effectContext(
    Effect.sync(() => {
      const items: Array<Publication> = []
      return Context.make(Publisher, {
        publish: (userId, event, data) => {
          items.push({ userId, event, data })
        },
        stats: () => ({ transport: "none", queued: 0, sent: items.length, dropped: 0, failedBatches: 0 }),
        delivers: true
      }).pipe(Context.add(PublishedEvents, { all: () => [...items] }))
    })
  )
}

/** What the in-memory publisher holds. */
export class PublishedEvents extends Context.Tag("@switchyard/realtime/PublishedEvents")<
  PublishedEvents,
  { readonly all: () => ReadonlyArray<Publication> }
>() {}

/** The queue's bounds. */
export interface QueueOptions {
  /** Most events waiting; more are dropped. Default 10 000. */
  readonly capacity: number
  /** Most events per batch. Default 500. */
  readonly batchSize: number
  /** How long an event may wait for its batch. Default 50 ms. */
  readonly interval: Duration.Duration
  /** Longest a batch may take. Default 2 s. */
  readonly timeout: Duration.Duration
}

const defaultQueueOptions: QueueOptions = {
  capacity: 10_000,
  batchSize: 500,
  interval: Duration.millis(50),
  timeout: Duration.seconds(2)
}

const queueOptions = Effect.gen(function* () {
  const capacity = yield* Config.integer("REALTIME_PUBLISH_QUEUE").pipe(Config.withDefault(10_000))
  const interval = yield* Config.integer("REALTIME_PUBLISH_INTERVAL_MS").pipe(Config.withDefault(50))
  return { ...defaultQueueOptions, capacity, interval: Duration.millis(interval) }
})

/**
 * The Redis key prefix of a deployment's Socket.IO channels (`REALTIME_REDIS_PREFIX`): Redis
 * pub/sub ignores the database number, so deployments (and test suites) sharing a Redis server
 * must not share channel names. The hub and every publisher must agree on it.
 */
export const redisPrefix = Config.string("REALTIME_REDIS_PREFIX").pipe(
  Config.withDefault("switchyard-realtime")
)

/**
 * The bounded queue and its drain, shared by the transports. `send` delivers one batch and
 * rejects when it failed; the scope's end drains what is left (bounded by `timeout`).
 */
const makeQueue = (
  transport: PublisherStats["transport"],
  options: QueueOptions,
  send: (batch: ReadonlyArray<Publication>) => Promise<void>
) =>
  Effect.gen(function* () {
    let queue: Array<Publication> = []
    let sent = 0
    let dropped = 0
    let failedBatches = 0
    let timer: ReturnType<typeof setTimeout> | undefined
    let inFlight: Promise<void> | undefined
    const intervalMs = Duration.toMillis(options.interval)

    const flush = (): Promise<void> => {
      timer = undefined
      if (inFlight !== undefined || queue.length === 0) return inFlight ?? Promise.resolve()
      const batch = queue.length <= options.batchSize ? queue : queue.slice(0, options.batchSize)
      queue = queue.length <= options.batchSize ? [] : queue.slice(options.batchSize)
      inFlight = send(batch).then(
        () => {
          sent += batch.length
        },
        () => {
          failedBatches += 1
          dropped += batch.length
        }
      )
      return inFlight.finally(() => {
        inFlight = undefined
        if (queue.length > 0) schedule()
      })
    }

    const schedule = () => {
      if (timer !== undefined) return
      timer = setTimeout(flush, intervalMs)
      timer.unref?.()
    }

    yield* Effect.addFinalizer(() =>
      Effect.promise(async () => {
        if (timer !== undefined) clearTimeout(timer)
        const deadline = Date.now() + Duration.toMillis(options.timeout)
        while ((queue.length > 0 || inFlight !== undefined) && Date.now() < deadline) await flush()
      })
    )

    return {
      publish: (
        userId: string,
        event: keyof SwitchyardEvents,
        data: SwitchyardEvents[keyof SwitchyardEvents]
      ) => {
        if (queue.length >= options.capacity) {
          dropped += 1
          return
        }
        queue.push({ userId, event, data })
        schedule()
      },
      stats: (): PublisherStats => ({ transport, queued: queue.length, sent, dropped, failedBatches }),
      delivers: true
    } as Context.Tag.Service<Publisher>
  })
