/**
 * Stores a batch of usage events and maintains the minute and hour rollups, in ONE statement: a
 * call of `usage_insert_batch_presummed` (migration 0007). The writer sums the batch per minute
 * and rollup key (`MinuteSums`) and sends those sums with the events; PostgreSQL adds them to the
 * rollups only when every event was new, and otherwise (a retry) skips the request ids already
 * stored (`ON CONFLICT DO NOTHING`) and builds the rollups from the rows it actually inserted, as
 * it does when the writer's sums might not be exact in doubles (past 2^53). A
 * batch retried after an ambiguous failure (committed, but the answer was lost) therefore changes
 * nothing the second time, and a statement is atomic, so rows and rollups never disagree.
 *
 * Rows travel column by column: one PostgreSQL array literal per column, expanded by `unnest`. One
 * round trip, 31 parameters whatever the batch size, and the cheapest input for the server to read:
 * `json_to_recordset` spent 5.4 µs of PostgreSQL's CPU per row looking fields up in each object,
 * more than the insert itself (bench/README.md, eleventh pass). The statement lives in a function
 * so that PostgreSQL keeps its plan on each connection instead of planning it for every batch
 * (twelfth pass), and the rollups are summed here because 38 aggregates a row were 40 % of its
 * work (thirteenth pass).
 */
import { isStorableText, type UsageEvent } from "@switchyard/domain"
import { Effect } from "effect"
import { LedgerSql } from "./LedgerDatabase.ts"
import { type MinuteSums, sumMinutes, toMicros } from "./MinuteSums.ts"
import { UnencodableEvent } from "./WriteFailure.ts"

// A quote or backslash (escaped in an array element), or anything PostgreSQL text cannot hold.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding NUL is the point
const NEEDS_CARE = /["\\\u0000\uD800-\uDFFF]/
/**
 * A string as a quoted array element. Text PostgreSQL cannot store (a NUL, or a lone surrogate,
 * which has no UTF-8 form: the driver would quietly send U+FFFD) is sent with a NUL, which
 * PostgreSQL refuses (SQLSTATE 22021), so the writer dead-letters that row as it does every
 * refused value.
 */
const textElement = (text: unknown): string => {
  if (text === null) return "NULL"
  if (typeof text !== "string") return wrongType("a string", text)
  if (!NEEDS_CARE.test(text)) return `"${text}"`
  const escaped = text.replace(/["\\]/g, "\\$&")
  return !isStorableText(text) ? `"${escaped}\u0000"` : `"${escaped}"`
}

/**
 * A value of the wrong type (a bug before the ledger) would be written as its string form (a
 * missing id as "undefined", "false" as true): refuse it, so the writer dead-letters the event.
 */
const wrongType = (expected: string, value: unknown): never => {
  throw new TypeError(`expected ${expected}, got ${value === null ? "null" : typeof value}`)
}

/** A number as an array element: a fraction or NaN reaches PostgreSQL as written, which refuses it. */
const numberElement = (n: unknown): string =>
  n === null ? "NULL" : typeof n === "number" ? String(n) : wrongType("a number", n)

const booleanElement = (b: unknown): string =>
  b === true ? "t" : b === false ? "f" : wrongType("a boolean", b)

/** An invalid date becomes a value `timestamptz` refuses, so the row is dead-lettered, not lost. */
const timeElement = (date: unknown): string =>
  !(date instanceof Date)
    ? wrongType("a Date", date)
    : Number.isFinite(date.getTime())
      ? date.toISOString()
      : "invalid date"

/** `text[]` per row cannot travel as a 2-D array (rows differ in length): each is one text literal. */
const textArrayElement = (items: unknown): string =>
  !Array.isArray(items)
    ? wrongType("an array", items)
    : items.length === 0
      ? '"{}"'
      : textElement(`{${items.map(textElement).join(",")}}`)

interface Column {
  readonly name: string
  /** The type of one element of the column's array parameter. */
  readonly type: string
  /** The column's value for an event (also what a dead letter's JSON holds). */
  readonly value: (event: UsageEvent) => unknown
  /** That value as an element of the column's array literal; throws on a value of the wrong type. */
  readonly element: (value: unknown) => string
}

/** The columns of `usage_events` the writer fills, in parameter order. */
const COLUMNS: ReadonlyArray<Column> = [
  { name: "request_id", type: "text", value: (e) => e.requestId, element: textElement },
  { name: "user_id", type: "text", value: (e) => e.userId, element: textElement },
  { name: "api_key_id", type: "text", value: (e) => e.apiKeyId, element: textElement },
  { name: "requested_model", type: "text", value: (e) => e.requestedModel, element: textElement },
  { name: "provider", type: "text", value: (e) => e.provider, element: textElement },
  { name: "upstream_model", type: "text", value: (e) => e.upstreamModel, element: textElement },
  { name: "outcome", type: "text", value: (e) => e.outcome, element: textElement },
  { name: "status", type: "smallint", value: (e) => e.status, element: numberElement },
  { name: "error_type", type: "text", value: (e) => e.errorType, element: textElement },
  { name: "input_tokens", type: "bigint", value: (e) => e.usage.inputTokens, element: numberElement },
  { name: "output_tokens", type: "bigint", value: (e) => e.usage.outputTokens, element: numberElement },
  {
    name: "cached_input_tokens",
    type: "bigint",
    value: (e) => e.usage.cachedInputTokens,
    element: numberElement
  },
  {
    name: "cache_creation_tokens",
    type: "bigint",
    value: (e) => e.usage.cacheCreationTokens,
    element: numberElement
  },
  { name: "reasoning_tokens", type: "bigint", value: (e) => e.usage.reasoningTokens, element: numberElement },
  { name: "estimated", type: "boolean", value: (e) => e.usage.estimated, element: booleanElement },
  { name: "cost_micros", type: "bigint", value: (e) => e.costMicros, element: numberElement },
  { name: "latency_us", type: "bigint", value: (e) => toMicros(e.latencyMs), element: numberElement },
  {
    name: "ttft_us",
    type: "bigint",
    value: (e) => (e.ttftMs === null ? null : toMicros(e.ttftMs)),
    element: numberElement
  },
  { name: "stream", type: "boolean", value: (e) => e.stream, element: booleanElement },
  {
    name: "dropped_fields",
    type: "text",
    value: (e) => e.droppedFields,
    element: textArrayElement
  },
  { name: "created_at", type: "timestamptz", value: (e) => e.createdAt, element: timeElement }
]

/** A column's elements as a PostgreSQL array literal. */
const arrayLiteral = <A>(items: ReadonlyArray<A>, element: (item: A) => string): string => {
  const elements = new Array<string>(items.length)
  for (let i = 0; i < items.length; i++) elements[i] = element(items[i]!)
  return `{${elements.join(",")}}`
}

/** The events' parameters: one array literal per column. Throws, naming the column, on a value of the wrong type. */
const encodeEvents = (events: ReadonlyArray<UsageEvent>): Array<string> =>
  COLUMNS.map((column) => {
    try {
      return arrayLiteral(events, (event) => column.element(column.value(event)))
    } catch (error) {
      throw new TypeError(`${column.name}: ${error instanceof Error ? error.message : String(error)}`)
    }
  })

/**
 * The sums' parameters: the groups' keys, their sums as one two-dimensional array, and the error
 * groups; all NULL when the sums may not be exact, which has PostgreSQL sum the stored rows.
 */
const encodeSums = ({ errors, exact, groups }: MinuteSums): Array<string | null> =>
  exact ? encodeExactSums(groups, errors) : SUM_PARAMETER_TYPES.map(() => null)

/** The sums' parameter types, in `encodeExactSums`'s order. */
const SUM_PARAMETER_TYPES: ReadonlyArray<string> = [
  "timestamptz[]",
  "text[]",
  "text[]",
  "text[]",
  "text[]",
  "bigint[]",
  "integer[]",
  "smallint[]",
  "text[]",
  "bigint[]"
]

const encodeExactSums = (groups: MinuteSums["groups"], errors: MinuteSums["errors"]): Array<string> => [
  arrayLiteral(groups, (group) => timeElement(new Date(group.minute))),
  arrayLiteral(groups, (group) => textElement(group.userId)),
  arrayLiteral(groups, (group) => textElement(group.apiKeyId)),
  arrayLiteral(groups, (group) => textElement(group.provider)),
  arrayLiteral(groups, (group) => textElement(group.model)),
  arrayLiteral(groups, (group) => arrayLiteral(group.sums, String)),
  arrayLiteral(errors, (error) => String(error.group + 1)),
  arrayLiteral(errors, (error) => String(error.status)),
  arrayLiteral(errors, (error) => textElement(error.errorType)),
  arrayLiteral(errors, (error) => String(error.count))
]

/**
 * The types of `usage_insert_batch_presummed`'s parameters, in order: one array per column,
 * then the sums'. Changing them needs a migration with a new function (a test compares them).
 */
export const BATCH_PARAMETER_TYPES: ReadonlyArray<string> = [
  ...COLUMNS.map((c) => `${c.type}[]`),
  ...SUM_PARAMETER_TYPES
]

/** The call of migration 0007's function: its parameters are these, in this order. */
const INSERT_BATCH_SQL = `SELECT usage_insert_batch_presummed(${BATCH_PARAMETER_TYPES.map((type, i) => `$${i + 1}::${type}`).join(", ")}) AS inserted`

/**
 * Stores events and updates the rollups for the rows that were new; returns how many were new.
 * Safe to run again with the same events.
 */
export const insertBatch = (events: ReadonlyArray<UsageEvent>) =>
  Effect.gen(function* () {
    const sql = yield* LedgerSql
    const params = yield* Effect.try({
      try: () => [...encodeEvents(events), ...encodeSums(sumMinutes(events))],
      catch: (cause) =>
        new UnencodableEvent({
          reason: `the event could not be encoded: ${cause instanceof Error ? cause.message : String(cause)}`
        })
    })
    const inserted = yield* sql.unsafe<{ inserted: number }>(INSERT_BATCH_SQL, params)
    return inserted[0]?.inserted ?? 0
  })

/** One event with the column names of `usage_events`, from the same column list the call uses. */
const toRow = (e: UsageEvent): Record<string, unknown> => {
  const row: Record<string, unknown> = {}
  for (const column of COLUMNS) row[column.name] = column.value(e)
  return row
}

/**
 * One event as JSON text, with the column names of `usage_events`: what a dead letter keeps (JSON
 * escapes NUL and lone surrogates, so this text always stores). An event of the wrong shape is
 * kept as what can be read of it, with why the rest could not.
 */
export const serializeEvent = (e: UsageEvent): string => {
  try {
    return JSON.stringify(toRow(e))
  } catch (error) {
    const id = (value: unknown) => (typeof value === "string" ? value : null)
    return JSON.stringify({
      request_id: id(e?.requestId),
      user_id: id(e?.userId),
      unencodable: error instanceof Error ? error.message : String(error)
    })
  }
}
