/**
 * Strings a client sends that end up stored (PostgreSQL `text`), logged or put in a header: no NUL
 * (PostgreSQL refuses it, and the refusal used to surface as a 500), well-formed Unicode (a lone
 * surrogate has no UTF-8 form), and a bounded length. Each message names the field, and none
 * quotes the value (it may be a secret).
 */
import { Schema } from "effect"

// In `u` mode a surrogate pair is one code point, so this matches only lone surrogates.
const LONE_SURROGATE = /\p{Cs}/u
// Control characters (C0, DEL, C1): never valid in a header value or a credential.
const CONTROL = /\p{Cc}/u

/** Why `value` cannot be stored, or `undefined` if it can. */
export const unsafeTextReason = (field: string, value: string, maxLength: number): string | undefined => {
  if (value.includes("\u0000")) return `${field} must not contain NUL characters`
  if (LONE_SURROGATE.test(value)) return `${field} must be valid Unicode (it has a lone surrogate)`
  if (value.length > maxLength) return `${field} must be at most ${maxLength} characters`
  return undefined
}

/** A string safe to store: no NUL, well-formed Unicode, at most `maxLength` UTF-16 units. */
export const SafeString = (field: string, maxLength: number) =>
  Schema.String.annotations({ message: () => `${field} must be a string` }).pipe(
    Schema.filter((value) => unsafeTextReason(field, value, maxLength) ?? true)
  )

/** A token-like string also safe in an HTTP header: no control characters at all (CR, LF, NUL…). */
export const HeaderSafeString = (field: string, maxLength: number) =>
  SafeString(field, maxLength).pipe(
    Schema.filter((value) => !CONTROL.test(value) || `${field} must not contain control characters`)
  )
