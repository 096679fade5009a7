import { describe, expect, it } from "@effect/vitest"
import { DecryptionError } from "@switchyard/domain"
import { Either, Redacted } from "effect"
import * as Envelope from "../src/Envelope.ts"
import * as MasterKeys from "../src/MasterKeys.ts"
import { keySet } from "./keys.ts"

const binding = { ownerId: "user-1", provider: "openai" }
const secret = Redacted.make("sk-proj-abcdefghijklmnopqrstuvwxyz0123456789")

const flip = (bytes: Uint8Array, index = 0) => {
  const copy = new Uint8Array(bytes)
  copy[index] = copy[index]! ^ 0x01
  return copy
}

/** The typed error of a result that must have failed. */
const failure = (result: Either.Either<unknown, DecryptionError>): DecryptionError =>
  Either.match(result, {
    onLeft: (error) => {
      expect(error).toBeInstanceOf(DecryptionError)
      return error
    },
    onRight: () => expect.fail("decrypted where it must have failed")
  })

describe("Envelope", () => {
  const keys = keySet(MasterKeys.generate())

  it("round-trips a secret, including non-ASCII and empty ones", () => {
    for (const text of ["sk-ant-api03-xyz", "ключ-🔑-鍵", ""]) {
      const sealed = Envelope.seal(Redacted.make(text), binding, keys)
      const opened = Either.getOrThrow(Envelope.open(sealed, binding, keys))
      expect(Redacted.value(opened)).toBe(text)
    }
  })

  it("uses a fresh data key and nonces for every seal, and records the master key id", () => {
    const a = Envelope.seal(secret, binding, keys)
    const b = Envelope.seal(secret, binding, keys)
    expect(a.keyId).toBe(keys.current.id)
    expect(Buffer.from(a.ciphertext).equals(Buffer.from(b.ciphertext))).toBe(false)
    expect(Buffer.from(a.wrappedKey).equals(Buffer.from(b.wrappedKey))).toBe(false)
    expect(Buffer.from(a.nonce).equals(Buffer.from(b.nonce))).toBe(false)
    expect([
      a.nonce.length,
      a.tag.length,
      a.wrappedKey.length,
      a.wrappedKeyNonce.length,
      a.wrappedKeyTag.length
    ]).toEqual([12, 16, 32, 12, 16])
  })

  it("rejects a flipped bit in any stored byte field with authentication_failed", () => {
    const sealed = Envelope.seal(secret, binding, keys)
    const fields = ["ciphertext", "nonce", "tag", "wrappedKey", "wrappedKeyNonce", "wrappedKeyTag"] as const
    for (const field of fields) {
      for (const index of [0, sealed[field].length - 1]) {
        const tampered = { ...sealed, [field]: flip(sealed[field], index) }
        const error = failure(Envelope.open(tampered, binding, keys))
        expect({ field, reason: error.reason }).toEqual({ field, reason: "authentication_failed" })
      }
    }
  })

  it("rejects truncated or extended fields as malformed, never trying a short tag", () => {
    const sealed = Envelope.seal(secret, binding, keys)
    for (const tampered of [
      { ...sealed, tag: sealed.tag.slice(0, 12) },
      { ...sealed, nonce: sealed.nonce.slice(0, 8) },
      { ...sealed, wrappedKey: new Uint8Array([...sealed.wrappedKey, 0]) },
      { ...sealed, wrappedKeyTag: sealed.wrappedKeyTag.slice(0, 4) }
    ]) {
      expect(failure(Envelope.open(tampered, binding, keys)).reason).toBe("malformed")
    }
  })

  it("binds owner and provider: a sealed secret does not open for another owner or provider", () => {
    const sealed = Envelope.seal(secret, binding, keys)
    for (const other of [
      { ownerId: "user-2", provider: "openai" },
      { ownerId: "user-1", provider: "anthropic" },
      // The encoding is unambiguous: moving characters between owner and provider changes the binding.
      { ownerId: "user-1o", provider: "penai" }
    ]) {
      const error = failure(Envelope.open(sealed, other, keys))
      expect(error.reason).toBe("authentication_failed")
      expect(error.ownerId).toBe(other.ownerId)
    }
  })

  it("does not open a ciphertext under another record's data key", () => {
    const a = Envelope.seal(secret, binding, keys)
    const b = Envelope.seal(Redacted.make("another-secret-value"), binding, keys)
    const mixed = {
      ...a,
      wrappedKey: b.wrappedKey,
      wrappedKeyNonce: b.wrappedKeyNonce,
      wrappedKeyTag: b.wrappedKeyTag
    }
    expect(failure(Envelope.open(mixed, binding, keys)).reason).toBe("authentication_failed")
  })

  it("names an unconfigured master key", () => {
    const sealed = Envelope.seal(secret, binding, keys)
    const other = keySet(MasterKeys.generate())
    const error = failure(Envelope.open(sealed, binding, other))
    expect(error.reason).toBe("unknown_master_key")
    expect(error.keyId).toBe(keys.current.id)
    expect(error.message).toContain(`master key ${keys.current.id}, which is not configured`)
    expect(error.message).toContain("VAULT_PREVIOUS_KEYS")
  })

  it("a master key with a forged id still fails authentication", () => {
    const sealed = Envelope.seal(secret, binding, keys)
    const impostor = keySet(MasterKeys.generate()).current
    const forged: MasterKeys.MasterKeys = {
      current: impostor,
      byId: new Map([[keys.current.id, { id: keys.current.id, material: impostor.material }]])
    }
    expect(failure(Envelope.open(sealed, binding, forged)).reason).toBe("authentication_failed")
  })

  it("rewrap moves the data key under the current master key and leaves the ciphertext alone", () => {
    const oldKey = MasterKeys.generate()
    const newKey = MasterKeys.generate()
    const sealed = Envelope.seal(secret, binding, keySet(oldKey))
    const rewrapped = Either.getOrThrow(Envelope.rewrap(sealed, binding, keySet(newKey, oldKey)))
    expect(rewrapped.keyId).toBe(keySet(newKey).current.id)
    expect(Buffer.from(rewrapped.ciphertext).equals(Buffer.from(sealed.ciphertext))).toBe(true)
    expect(Buffer.from(rewrapped.wrappedKey).equals(Buffer.from(sealed.wrappedKey))).toBe(false)
    // Only the new key is needed afterwards.
    expect(Redacted.value(Either.getOrThrow(Envelope.open(rewrapped, binding, keySet(newKey))))).toBe(
      Redacted.value(secret)
    )
  })

  it("rewrap refuses a record whose body does not authenticate", () => {
    const oldKey = MasterKeys.generate()
    const sealed = Envelope.seal(secret, binding, keySet(oldKey))
    const tampered = { ...sealed, ciphertext: flip(sealed.ciphertext) }
    expect(failure(Envelope.rewrap(tampered, binding, keySet(MasterKeys.generate(), oldKey))).reason).toBe(
      "authentication_failed"
    )
  })
})
