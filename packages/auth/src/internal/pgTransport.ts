/**
 * PostgreSQL LISTEN/NOTIFY transport. Sends with `pg_notify` on the shared pool (`PgClient.notify`
 * binds the payload as a parameter, which `NOTIFY` does not accept). Listens on a dedicated
 * connection of its own, because `PgClient.listen` keeps a dead connection after a network error
 * without telling its subscribers, and a subscriber that misses that would serve stale keys.
 */
import type { PgClient } from "@effect/sql-pg"
import { Effect, Redacted, Stream } from "effect"
import type pg from "pg"
import { CHANNEL, type FeedTransport, type Incoming } from "./feedTransport.ts"

const connectionConfig = (config: PgClient.PgClientConfig): pg.ClientConfig => ({
  ...(config.url !== undefined
    ? { connectionString: Redacted.value(config.url) }
    : {
        host: config.host,
        port: config.port,
        database: config.database,
        user: config.username,
        password: config.password === undefined ? undefined : Redacted.value(config.password)
      }),
  ...(config.ssl === undefined ? {} : { ssl: config.ssl }),
  application_name: "switchyard-changefeed",
  // Detects a silently dropped connection (no RST) instead of waiting forever.
  keepAlive: true
})

/** The transport over the given PostgreSQL client. */
export const make = (client: PgClient.PgClient): FeedTransport => ({
  send: (payload) => client`SELECT pg_notify(${CHANNEL}, ${payload})`,
  listen: Stream.asyncScoped<Incoming, Error>((emit) =>
    Effect.gen(function* () {
      const connection = yield* Effect.acquireRelease(
        Effect.tryPromise(async () => {
          // Imported here: the router's serving thread loads the auth package but never listens.
          const { default: postgres } = await import("pg")
          const c = new postgres.Client(connectionConfig(client.config))
          // Attached before connecting: an unhandled `error` event would crash the process.
          c.on("error", (error) => void emit.fail(error))
          c.on("end", () => void emit.fail(new Error("change feed connection closed")))
          await c.connect()
          return c
        }),
        (c) => Effect.promise(() => c.end().catch(() => undefined))
      )
      connection.on("notification", (message) => {
        if (message.channel === CHANNEL && message.payload !== undefined) {
          void emit.single({ _tag: "Message", payload: message.payload })
        }
      })
      yield* Effect.tryPromise(() => connection.query(`LISTEN ${CHANNEL}`))
      yield* Effect.promise(() => emit.single({ _tag: "Connected" }))
    })
  )
})
