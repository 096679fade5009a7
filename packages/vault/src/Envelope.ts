/**
 * AES-256-GCM envelope encryption, pure functions over bytes (no storage, no configuration).
 *
 * Each secret is encrypted under its own fresh random data key; the data key is encrypted
 * ("wrapped") under a master key. Both layers authenticate the owner and the provider as
 * associated data, so a record copied onto another owner or provider fails to decrypt instead of
 * yielding someone else's secret. Rotation re-wraps the data key only: the secret's own ciphertext
 * never changes.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto"
import { DecryptionError } from "@switchyard/domain"
import { Either, Redacted } from "effect"
import type { MasterKey, MasterKeys } from "./MasterKeys.ts"

const ALGORITHM = "aes-256-gcm"
/** 96-bit nonces: GCM's native size. Data keys are used once; master-key nonces are random. */
const NONCE_BYTES = 12
const TAG_BYTES = 16
const DATA_KEY_BYTES = 32

/** Whom a secret belongs to: authenticated on both layers of the envelope. */
export interface Binding {
  readonly ownerId: string
  readonly provider: string
}

/** An encrypted secret as stored. */
export interface Sealed {
  /** The secret, encrypted under the data key. */
  readonly ciphertext: Uint8Array
  readonly nonce: Uint8Array
  readonly tag: Uint8Array
  /** The data key, encrypted under the master key `keyId`. */
  readonly wrappedKey: Uint8Array
  readonly wrappedKeyNonce: Uint8Array
  readonly wrappedKeyTag: Uint8Array
  /** Id of the master key that wraps the data key. */
  readonly keyId: string
}

/**
 * Associated data for one layer. JSON of an array is an unambiguous encoding (no owner/provider
 * split can collide), and the purpose keeps a data ciphertext from passing as a wrapped key.
 */
const associatedData = (purpose: "secret" | "data-key", binding: Binding): Uint8Array =>
  Buffer.from(JSON.stringify(["switchyard/vault/v1", purpose, binding.ownerId, binding.provider]), "utf8")

const encrypt = (key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array) => {
  const nonce = randomBytes(NONCE_BYTES)
  const cipher = createCipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES })
  cipher.setAAD(aad)
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return { ciphertext, nonce, tag: cipher.getAuthTag() }
}

/** Throws when authentication fails; `authTagLength` stops a truncated tag from being accepted. */
const decrypt = (
  key: Uint8Array,
  ciphertext: Uint8Array,
  nonce: Uint8Array,
  tag: Uint8Array,
  aad: Uint8Array
) => {
  const decipher = createDecipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES })
  decipher.setAAD(aad)
  decipher.setAuthTag(tag)
  return Buffer.concat([decipher.update(ciphertext), decipher.final()])
}

const wrap = (dataKey: Uint8Array, binding: Binding, master: MasterKey) => {
  const wrapped = encrypt(Redacted.value(master.material), dataKey, associatedData("data-key", binding))
  return {
    wrappedKey: wrapped.ciphertext,
    wrappedKeyNonce: wrapped.nonce,
    wrappedKeyTag: wrapped.tag,
    keyId: master.id
  }
}

const fail = (sealed: Sealed, binding: Binding, reason: DecryptionError["reason"]) =>
  Either.left(
    new DecryptionError({ ownerId: binding.ownerId, provider: binding.provider, keyId: sealed.keyId, reason })
  )

/** Recovers the data key; the caller must zero it when done. */
const unwrap = (
  sealed: Sealed,
  binding: Binding,
  keys: MasterKeys
): Either.Either<Buffer, DecryptionError> => {
  const master = keys.byId.get(sealed.keyId)
  if (master === undefined) return fail(sealed, binding, "unknown_master_key")
  if (
    sealed.nonce.length !== NONCE_BYTES ||
    sealed.tag.length !== TAG_BYTES ||
    sealed.wrappedKey.length !== DATA_KEY_BYTES ||
    sealed.wrappedKeyNonce.length !== NONCE_BYTES ||
    sealed.wrappedKeyTag.length !== TAG_BYTES
  ) {
    return fail(sealed, binding, "malformed")
  }
  try {
    return Either.right(
      decrypt(
        Redacted.value(master.material),
        sealed.wrappedKey,
        sealed.wrappedKeyNonce,
        sealed.wrappedKeyTag,
        associatedData("data-key", binding)
      )
    )
  } catch {
    return fail(sealed, binding, "authentication_failed")
  }
}

/** Encrypts a secret for one owner and provider under a fresh data key wrapped by the current master key. */
export const seal = (secret: Redacted.Redacted<string>, binding: Binding, keys: MasterKeys): Sealed => {
  const dataKey = randomBytes(DATA_KEY_BYTES)
  const plaintext = Buffer.from(Redacted.value(secret), "utf8")
  try {
    const body = encrypt(dataKey, plaintext, associatedData("secret", binding))
    return {
      ciphertext: body.ciphertext,
      nonce: body.nonce,
      tag: body.tag,
      ...wrap(dataKey, binding, keys.current)
    }
  } finally {
    dataKey.fill(0)
    plaintext.fill(0)
  }
}

/** Decrypts the secret's body with a recovered data key. */
const decryptBody = (
  dataKey: Uint8Array,
  sealed: Sealed,
  binding: Binding
): Either.Either<Redacted.Redacted<string>, DecryptionError> => {
  try {
    const plaintext = decrypt(
      dataKey,
      sealed.ciphertext,
      sealed.nonce,
      sealed.tag,
      associatedData("secret", binding)
    )
    const secret = Redacted.make(plaintext.toString("utf8"))
    plaintext.fill(0)
    return Either.right(secret)
  } catch {
    return fail(sealed, binding, "authentication_failed")
  }
}

/** Runs `f` with the recovered data key, zeroing the key afterwards. */
const withDataKey = <A>(
  sealed: Sealed,
  binding: Binding,
  keys: MasterKeys,
  f: (dataKey: Uint8Array) => Either.Either<A, DecryptionError>
): Either.Either<A, DecryptionError> =>
  Either.flatMap(unwrap(sealed, binding, keys), (dataKey) => {
    try {
      return f(dataKey)
    } finally {
      dataKey.fill(0)
    }
  })

/** Decrypts a sealed secret; fails with a `DecryptionError` rather than ever returning wrong bytes. */
export const open = (
  sealed: Sealed,
  binding: Binding,
  keys: MasterKeys
): Either.Either<Redacted.Redacted<string>, DecryptionError> =>
  withDataKey(sealed, binding, keys, (dataKey) => decryptBody(dataKey, sealed, binding))

/**
 * Re-wraps the data key under the current master key, leaving the secret's ciphertext as it is.
 * The secret itself is authenticated first, so rotation never vouches for a record that would
 * not decrypt.
 */
export const rewrap = (
  sealed: Sealed,
  binding: Binding,
  keys: MasterKeys
): Either.Either<Sealed, DecryptionError> =>
  withDataKey(sealed, binding, keys, (dataKey) =>
    Either.map(decryptBody(dataKey, sealed, binding), () => ({
      ...sealed,
      ...wrap(dataKey, binding, keys.current)
    }))
  )
