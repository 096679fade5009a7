/**
 * The PostgreSQL connection every Switchyard service shares.
 *
 * Columns are snake_case in SQL and camelCase in TypeScript: the client transforms names both ways,
 * so queries and schemas read naturally on each side.
 */
import { PgClient } from "@effect/sql-pg"
import { Config, Layer, Redacted, String as Str } from "effect"

/** Options shared by the configured layer and the URL layer. */
const clientOptions = {
  transformQueryNames: Str.camelToSnake,
  transformResultNames: Str.snakeToCamel,
  // JSON columns are user data (request bodies, metadata): never rename their keys.
  transformJson: false
} as const

/** A client for an explicit connection string (tests, the local launcher). */
export const layerFromUrl = (
  url: Redacted.Redacted<string>,
  options?: { readonly maxConnections?: number }
) =>
  PgClient.layer({
    url,
    maxConnections: options?.maxConnections ?? 10,
    applicationName: "switchyard",
    ...clientOptions
  })

/**
 * The production client, configured by `POSTGRES_CONNECTION_STRING` (required outside local mode:
 * the local launcher sets it to the embedded server) and `POSTGRES_MAX_CONNECTIONS`.
 */
export const layer = Layer.unwrapEffect(
  Config.all({
    // Read as a string then wrapped: `Config.redacted` would also redact the "missing" message, hiding
    // which variable is absent.
    url: Config.string("POSTGRES_CONNECTION_STRING").pipe(Config.map(Redacted.make)),
    maxConnections: Config.integer("POSTGRES_MAX_CONNECTIONS").pipe(Config.withDefault(10))
  }).pipe(Config.map(({ maxConnections, url }) => layerFromUrl(url, { maxConnections })))
)
