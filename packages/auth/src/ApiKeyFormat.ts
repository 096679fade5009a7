/**
 * The shape of a Switchyard API key: `ef_` followed by 32 random bytes in base64url (43
 * characters). Only its SHA-256 is stored; a fast hash is the right one for 256-bit random keys,
 * which cannot be guessed, so there is nothing for a slow hash to protect.
 */
import { hash as digest, randomBytes } from "node:crypto"
import { Redacted } from "effect"

/** Every key starts with this. */
export const API_KEY_PREFIX = "ef_"

/** Random bytes in a key. */
const KEY_BYTES = 32

/** Length of a well-formed key. */
export const API_KEY_LENGTH = API_KEY_PREFIX.length + Math.ceil((KEY_BYTES * 4) / 3)

/** Characters of the key kept for display at the start (prefix included) and the end. */
const SHOWN_START = API_KEY_PREFIX.length + 4
const SHOWN_END = 4

const BODY = /^[A-Za-z0-9_-]+$/

/** A fresh random key. */
export const generate = (): Redacted.Redacted<string> =>
  Redacted.make(API_KEY_PREFIX + randomBytes(KEY_BYTES).toString("base64url"))

/** Whether `raw` could be a key at all; anything else is rejected without a lookup. */
export const isWellFormed = (raw: string): boolean =>
  raw.length === API_KEY_LENGTH &&
  raw.startsWith(API_KEY_PREFIX) &&
  BODY.test(raw.slice(API_KEY_PREFIX.length))

/**
 * SHA-256 of a key (or any token), hex. What the database stores and caches are keyed by. The
 * one-shot `crypto.hash` runs on every request's key check, and unlike `createHash` it leaves no
 * Hash object behind for the collector.
 */
export const hash = (raw: string): string => digest("sha256", raw, "hex")

/** What the masked view shows of a key. */
export const visibleParts = (raw: string): { readonly prefix: string; readonly last4: string } => ({
  prefix: raw.slice(0, SHOWN_START),
  last4: raw.slice(-SHOWN_END)
})

/** `ef_abcd…wxyz`. */
export const mask = (parts: { readonly prefix: string; readonly last4: string }): string =>
  `${parts.prefix}…${parts.last4}`
