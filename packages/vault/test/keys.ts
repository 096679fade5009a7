/**
 * Master keys for tests: fresh random ones, combined as a deployment would configure them.
 */
import { Either, type Redacted } from "effect"
import * as MasterKeys from "../src/MasterKeys.ts"

/** A key set from base64 keys: the first is current, the rest are previous ones. */
export const keySet = (
  current: Redacted.Redacted<string>,
  ...previous: ReadonlyArray<Redacted.Redacted<string>>
) => Either.getOrThrow(MasterKeys.fromBase64(current, previous))

/** The id a base64 key gets. */
export const idOf = (key: Redacted.Redacted<string>) => keySet(key).current.id
