/**
 * Stores a usage event PostgreSQL refused (see `migrations/0005_dead_letters.ts`). The event is
 * kept as the JSON text the writer tried to insert: JSON escapes NUL and lone surrogates, so that
 * text always stores; only the two ids are read out of it, cleaned, for lookups.
 */
import { isStorableText, withoutControlCharacters } from "@switchyard/domain"
import { Effect } from "effect"
import { LedgerSql } from "./LedgerDatabase.ts"
import type { RowFault } from "./WriteFailure.ts"

/** Longest payload kept (an 8 000-character model name fits; a megabyte of garbage does not). */
const MAX_PAYLOAD = 64 * 1024

/** `text` cut to `max` characters; `null` when it cannot be stored (a lone surrogate). */
const cut = (text: string, max: number): string | null => {
  let out = text.length > max ? text.slice(0, max) : text
  // A cut between the halves of a surrogate pair leaves a lone one: drop it.
  if (!isStorableText(out)) out = out.slice(0, -1)
  return isStorableText(out) ? out : null
}

const idOf = (row: Record<string, unknown>, field: string): string | null => {
  const value = row[field]
  return typeof value === "string" ? cut(withoutControlCharacters(value), 200) : null
}

/** The request id of a serialised event (for the log), cleaned. */
export const requestIdOf = (row: string): string | null => {
  try {
    return idOf(JSON.parse(row) as Record<string, unknown>, "request_id")
  } catch {
    return null
  }
}

/** Inserts one dead letter. */
export const insertDeadLetter = (row: string, fault: RowFault) =>
  Effect.gen(function* () {
    const sql = yield* LedgerSql
    let parsed: Record<string, unknown> = {}
    try {
      parsed = JSON.parse(row) as Record<string, unknown>
    } catch {
      // Kept as the payload anyway.
    }
    const payload = cut(row, MAX_PAYLOAD) ?? "(not storable)"
    yield* sql`INSERT INTO usage_dead_letters (request_id, user_id, reason, sqlstate, payload)
      VALUES (${idOf(parsed, "request_id")}, ${idOf(parsed, "user_id")}, ${fault.reason}, ${fault.sqlstate},
        ${payload})`
  })
