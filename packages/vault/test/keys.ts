/**
 * Master keys for tests: fresh random ones, combined as a deployment would configure them.
 */
import type { DecryptionError, ServiceUnavailable } from "@switchyard/domain"
import { Effect, Either, type Redacted } from "effect"
import * as MasterKeys from "../src/MasterKeys.ts"

/** A key set from base64 keys: the first is current, the rest are previous ones. */
export const keySet = (
  current: Redacted.Redacted<string>,
  ...previous: ReadonlyArray<Redacted.Redacted<string>>
) => Either.getOrThrow(MasterKeys.fromBase64(current, previous))

/** The id a base64 key gets. */
export const idOf = (key: Redacted.Redacted<string>) => keySet(key).current.id

/** How a read failed to decrypt; an outage instead fails the test (`ServiceUnavailable` as a defect). */
export const decryptionFailure = <A>(read: Effect.Effect<A, DecryptionError | ServiceUnavailable>) =>
  Effect.flip(Effect.catchTag(read, "ServiceUnavailable", Effect.die))
