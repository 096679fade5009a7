/**
 * The broadcast API's key check (seed 001): the SHA-256 of the `X-WebSocket-API-Key` header is
 * compared in constant time with `WEBSOCKET_API_KEY_HASH`, and with the SHA-256 of
 * `LARAVEL_API_KEY` when that raw key is configured. Hashing first makes both sides 32 bytes, so
 * the comparison takes the same time whatever the caller sent.
 */
import { createHash, timingSafeEqual } from "node:crypto"
import { Option, Redacted } from "effect"
import type { HubSettings } from "./Settings.ts"

/** Checks a presented key; false for a missing or wrong one. */
export type KeyCheck = (presented: string | null) => boolean

const sha256 = (text: string) => createHash("sha256").update(text).digest()

/** The check for the configured keys (none configured: every key is refused). */
export const make = (settings: Pick<HubSettings, "apiKeyHash" | "apiKey">): KeyCheck => {
  const accepted = [
    ...Option.toArray(Option.map(settings.apiKeyHash, (hex) => Buffer.from(hex, "hex"))),
    ...Option.toArray(Option.map(settings.apiKey, (key) => sha256(Redacted.value(key))))
  ]
  return (presented) => {
    if (presented === null || presented.length === 0 || presented.length > 1024) return false
    const digest = sha256(presented)
    // Every configured key is compared, so the time does not say which one matched.
    let match = false
    for (const candidate of accepted) match = timingSafeEqual(digest, candidate) || match
    return match
  }
}
