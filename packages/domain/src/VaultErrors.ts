/**
 * Errors of the vault (encrypted provider credentials).
 */
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import { Schema } from "effect"

/**
 * Why a stored secret could not be decrypted:
 * - `unknown_master_key`: it was encrypted under a master key that is not configured;
 * - `authentication_failed`: AES-GCM rejected it (altered bytes, wrong owner or provider, or a
 *   different key with the same id, which only a corrupted record can produce);
 * - `malformed`: a nonce, tag or wrapped key has the wrong length.
 */
export const DecryptionFailure = Schema.Literal("unknown_master_key", "authentication_failed", "malformed")
export type DecryptionFailure = typeof DecryptionFailure.Type

/**
 * A stored secret could not be decrypted. Never carries any secret material: only where the
 * record belongs and which master key it names.
 */
export class DecryptionError extends Schema.TaggedError<DecryptionError>()(
  "DecryptionError",
  {
    ownerId: Schema.String,
    provider: Schema.String,
    /** The master key id recorded with the secret. */
    keyId: Schema.String,
    reason: DecryptionFailure
  },
  HttpApiSchema.annotations({ status: 500 })
) {
  override get message(): string {
    const which = `the ${this.provider} secret of owner ${this.ownerId}`
    const explanation: Record<DecryptionFailure, string> = {
      unknown_master_key: `was encrypted with master key ${this.keyId}, which is not configured; set VAULT_PREVIOUS_KEYS to the key with that id (or VAULT_TOKEN_KEY, if it is the current one)`,
      authentication_failed: `failed authentication under master key ${this.keyId}: the stored record was altered or was copied from another owner or provider`,
      malformed: "is malformed (a nonce, tag or wrapped key has the wrong length)"
    }
    return `${which} ${explanation[this.reason]}`
  }
}
