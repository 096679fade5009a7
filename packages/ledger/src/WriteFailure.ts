/**
 * Why a ledger write failed: the rows (PostgreSQL refused a value: retrying the same rows can never
 * succeed, so the writer isolates them) or anything else (connection lost, server restarting,
 * deadlock: retried with backoff, never dropped).
 */
import { SqlError } from "@effect/sql/SqlError"
import { withoutControlCharacters } from "@switchyard/domain"
import { Data } from "effect"

/** A refusal that blames the data, with PostgreSQL's reason (no SQLSTATE: it never got there). */
export interface RowFault {
  readonly reason: string
  readonly sqlstate: string | null
}

/**
 * An event the writer could not even turn into the statement's parameters: not a usage event's
 * shape, so a bug before the ledger. It is a row fault like a refused value (its batch is split,
 * it becomes a dead letter, the others are written), never a defect that would stop the writer.
 */
export class UnencodableEvent extends Data.TaggedError("UnencodableEvent")<{ readonly reason: string }> {}

/**
 * SQLSTATE classes that blame the statement's values, not the server or the connection:
 * 22 data exception (NUL in text, bad number, invalid escape), 23 integrity constraint,
 * 54 program limit exceeded (an index row too large).
 */
const ROW_CLASSES = new Set(["22", "23", "54"])

const sqlstateOf = (error: unknown): string | undefined => {
  const cause = error instanceof SqlError ? error.cause : error
  if (typeof cause !== "object" || cause === null || !("code" in cause)) return undefined
  const code = cause.code
  // Node's socket errors also carry a `code` (ECONNREFUSED): SQLSTATEs are five characters.
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
}

const messageOf = (error: unknown): string => {
  const cause = error instanceof SqlError ? error.cause : error
  return cause instanceof Error ? cause.message : String(cause)
}

/** The row fault a failed write reports, or `undefined` when it is transient. */
export const rowFault = (error: unknown): RowFault | undefined => {
  if (error instanceof UnencodableEvent) {
    return { reason: withoutControlCharacters(error.reason).slice(0, 500), sqlstate: null }
  }
  const sqlstate = sqlstateOf(error)
  if (sqlstate === undefined || !ROW_CLASSES.has(sqlstate.slice(0, 2))) return undefined
  // The reason is stored and logged: keep it printable and bounded whatever the value echoed.
  const reason = withoutControlCharacters(messageOf(error)).slice(0, 500)
  return { reason, sqlstate }
}
