/**
 * Reading one field out of an event's JSON text without parsing it: same-format passthrough
 * forwards the bytes and needs only a few facts per event (how much text it carried, whether it
 * reports usage), and a `JSON.parse` per event costs more than the rest of the passthrough.
 */

const QUOTE = 34
const BACKSLASH = 92
const SPACE = 32
const COLON = 58

/**
 * Index of the first character of the value of `"key"` in `json` (after the colon and any
 * spaces), or -1. Finds the first occurrence, which is the one wanted for the flat, well-known
 * shapes this reads.
 */
export const valueStart = (json: string, quotedKey: string): number => {
  const at = json.indexOf(quotedKey)
  if (at < 0) return -1
  let i = at + quotedKey.length
  while (json.charCodeAt(i) === SPACE) i++
  if (json.charCodeAt(i) !== COLON) return -1
  i++
  while (json.charCodeAt(i) === SPACE) i++
  return i
}

/** Index of the quote closing the JSON string that opens at `open`. */
const closingQuote = (json: string, open: number): number => {
  let i = json.indexOf('"', open + 1)
  while (i > 0) {
    let slashes = 0
    while (json.charCodeAt(i - 1 - slashes) === BACKSLASH) slashes++
    if (slashes % 2 === 0) return i
    i = json.indexOf('"', i + 1)
  }
  return -1
}

/** Length of the string value of `"key"` as written (escapes count as written), 0 if it is absent or not a string. */
export const stringLength = (json: string, quotedKey: string): number => {
  const v = valueStart(json, quotedKey)
  if (v < 0 || json.charCodeAt(v) !== QUOTE) return 0
  const end = closingQuote(json, v)
  return end < 0 ? 0 : end - v - 1
}

/** The string value of `"key"` when it is a plain string without escapes, else undefined (absent, null, escaped). */
export const plainString = (json: string, quotedKey: string): string | undefined => {
  const v = valueStart(json, quotedKey)
  if (v < 0 || json.charCodeAt(v) !== QUOTE) return undefined
  const end = json.indexOf('"', v + 1)
  return end < 0 ? undefined : json.slice(v + 1, end)
}

/** Whether the value of `"key"` is an object (not `null`, not absent). */
export const isObjectValue = (json: string, quotedKey: string): boolean => {
  const v = valueStart(json, quotedKey)
  return v >= 0 && json.charCodeAt(v) === 123
}
