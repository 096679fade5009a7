/**
 * Text PostgreSQL can store: no NUL character (`text` and `jsonb` refuse it) and well-formed
 * UTF-16 (a lone surrogate has no UTF-8 encoding: `jsonb` refuses its escape). Checked at the
 * edge, so bad input is a 400 naming the field instead of a database error (a 503 a client
 * retries for ever, or a poisoned batch).
 */

// A NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding NUL is the point
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** True when `text` can be stored as is. */
export const isStorableText = (text: string): boolean => !UNSTORABLE.test(text)

/** Deepest nesting walked before a value is refused as too deep. */
export const MAX_JSON_DEPTH = 64

/**
 * The path of the first string (object keys included) in a parsed JSON value that cannot be
 * stored, or of the first value nested deeper than `MAX_JSON_DEPTH`; `undefined` when all is well.
 * `path` names the value itself (e.g. `data`).
 */
export const unstorablePath = (value: unknown, path: string, depth = 0): string | undefined => {
  if (typeof value === "string") return isStorableText(value) ? undefined : path
  if (typeof value !== "object" || value === null) return undefined
  if (depth >= MAX_JSON_DEPTH) return path
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorablePath(value[i], `${path}[${i}]`, depth + 1)
      if (found !== undefined) return found
    }
    return undefined
  }
  for (const key in value) {
    const at = `${path}.${key}`
    if (!isStorableText(key)) return at
    const found = unstorablePath((value as Record<string, unknown>)[key], at, depth + 1)
    if (found !== undefined) return found
  }
  return undefined
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g

/** `text` with every control character (C0, DEL, C1) replaced by a space: safe in a log or a header. */
export const withoutControlCharacters = (text: string): string => text.replace(CONTROL, " ")
