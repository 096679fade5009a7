/**
 * Upstream timeouts; the routing file embeds `Timeouts` (`timeouts:`), per deployment or global.
 * - `connectMs` (default 10 s): for the HTTP client's connection pool. `fetch` has no connect
 *   timeout of its own, so the router applies it where its client allows; a connection that never
 *   opens is in any case caught by `firstByteMs`.
 * - `firstByteMs` (default 120 s): from sending the request to the response head. A stalled
 *   upstream counts as a timeout: retried, then the next deployment.
 * - `totalMs` (default 600 s): the whole exchange, retries and the streamed body included; when it
 *   passes mid-stream the upstream request is aborted (the stream ends with an error, no retry).
 */
import { Schema } from "effect"

const Millis = Schema.Int.pipe(Schema.positive())

/** The timeout settings. */
export const Timeouts = Schema.Struct({
  connectMs: Schema.optionalWith(Millis, { default: () => 10_000 }),
  firstByteMs: Schema.optionalWith(Millis, { default: () => 120_000 }),
  totalMs: Schema.optionalWith(Millis, { default: () => 600_000 })
})
export type Timeouts = typeof Timeouts.Type

/** The defaults. */
export const defaultTimeouts: Timeouts = Schema.decodeSync(Timeouts)({})
