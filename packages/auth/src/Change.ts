/**
 * What changed in the control plane, as the routers need to hear it to drop cached state.
 */
import { Schema } from "effect"

/** A key was created, regenerated, enabled, disabled or deleted. `keyHash` is the affected hash. */
export const ApiKeyChanged = Schema.TaggedStruct("ApiKeyChanged", {
  keyHash: Schema.String,
  userId: Schema.String
})

/** A provider secret was added, replaced, enabled, disabled or deleted. */
export const SecretChanged = Schema.TaggedStruct("SecretChanged", {
  userId: Schema.String,
  provider: Schema.String
})

/** A session ended (sign-out, revocation): bearer tokens for it must stop working. */
export const SessionRevoked = Schema.TaggedStruct("SessionRevoked", {
  /** SHA-256 (hex) of the session token. */
  tokenHash: Schema.String,
  userId: Schema.String
})

/**
 * Changes may have been missed (the feed (re)connected): drop every cache derived from the
 * database. Emitted by the feed itself, to its local subscribers.
 */
export const Resync = Schema.TaggedStruct("Resync", {})

/** Any change on the feed. */
export const Change = Schema.Union(ApiKeyChanged, SecretChanged, SessionRevoked, Resync)
export type Change = typeof Change.Type

/** Wire form of a change (JSON text), shared by the PostgreSQL and Redis transports. */
export const ChangeJson = Schema.parseJson(Change)
