/**
 * The two halves every change-feed transport provides: sending one payload to every instance, and
 * a connection that yields `Connected` once it is listening and then each payload it receives.
 * The connection stream fails when its connection is lost; the feed reconnects it.
 */
import type { Effect, Stream } from "effect"

/** One event of a listening connection. */
export type Incoming = { readonly _tag: "Connected" } | { readonly _tag: "Message"; readonly payload: string }

/** A transport for `ChangeFeed`. */
export interface FeedTransport {
  readonly send: (payload: string) => Effect.Effect<void, unknown>
  readonly listen: Stream.Stream<Incoming, unknown>
}

/** Name of the channel (PostgreSQL) / topic (Redis) all instances share. */
export const CHANNEL = "switchyard_changes"
