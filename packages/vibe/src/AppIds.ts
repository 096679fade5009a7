/**
 * App ids: `sb-` (as the seed's sandboxes) and 20 random base-32 characters (100 bits), so ids
 * cannot be guessed and fit in a DNS label of their own origin.
 */
const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"

/** A new, random app id. */
export const make = (): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(20))
  let id = "sb-"
  for (const byte of bytes) id += ALPHABET[byte & 31]
  return id
}

/** Whether `text` is shaped like an app id (the contract's `VibeAppId`). */
export const isAppId = (text: string): boolean => /^sb-[a-z0-9]{20}$/.test(text)
