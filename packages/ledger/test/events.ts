/**
 * Usage events for tests: plausible defaults, overridable field by field.
 */

import { TestDatabase } from "@switchyard/db/testing"
import type { TokenUsage, UsageEvent } from "@switchyard/domain"
import { Layer } from "effect"
import { LedgerDatabase, ledgerMigrations } from "../src/index.ts"

let counter = 0

/** A usage event; `usage` fields merge into zeros. */
export const makeEvent = (
  overrides: Partial<Omit<UsageEvent, "usage">> & { readonly usage?: Partial<TokenUsage> } = {}
): UsageEvent => {
  counter++
  const { usage, ...rest } = overrides
  return {
    requestId: `req-${counter}-${Math.random().toString(36).slice(2, 10)}`,
    userId: "user-a",
    apiKeyId: "key-a",
    requestedModel: "gpt-4o",
    provider: "openai",
    upstreamModel: "gpt-4o",
    outcome: "success",
    status: 200,
    errorType: null,
    usage: {
      inputTokens: 0,
      outputTokens: 0,
      cachedInputTokens: 0,
      cacheCreationTokens: 0,
      reasoningTokens: 0,
      estimated: false,
      ...usage
    },
    costMicros: 0,
    latencyMs: 120,
    ttftMs: null,
    stream: false,
    droppedFields: [],
    createdAt: new Date(),
    ...rest
  }
}

/**
 * A migrated database of the suite's own, seen by the ledger as its database. `Layer.fresh`, and
 * `Layer.fresh` around the ledger's own (module-level) layers in suites: layers are memoized by
 * reference, and without it a second suite in a file was handed the first suite's `LedgerSql`.
 */
export const ledgerTestDatabase = (suite: string) =>
  Layer.fresh(LedgerDatabase.layerFromSqlClient).pipe(
    Layer.provideMerge(TestDatabase.layer(suite, [ledgerMigrations]))
  )
