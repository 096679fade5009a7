import { randomBytes } from "node:crypto"
import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import {
  FAILED_REQUEST_DATA_MAX_BYTES,
  FailedRequestQuotaExceeded,
  InvalidFailedRequest
} from "@switchyard/domain"
import { Effect, Layer, TestClock } from "effect"
import { FailedRequests } from "../src/index.ts"
import { ledgerTestDatabase } from "./events.ts"

const body = (overrides: Record<string, unknown> = {}) => ({
  request_id: `r-${Math.random().toString(36).slice(2)}`,
  original_timestamp: "2026-01-05T10:00:00Z",
  request_data: { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] },
  error: "network unreachable",
  ...overrides
})

const quota = { maxRequests: 10, maxBytes: 10 * 1024 * 1024 }

/** The contract every layer must meet. */
const contract = (
  name: string,
  layer: Layer.Layer<FailedRequests | SqlClient.SqlClient> | Layer.Layer<FailedRequests>
) =>
  describe(`FailedRequests (${name})`, () => {
    it.layer(layer)((it) => {
      it.effect("stores a report and answers a repeat with the ORIGINAL synced_at", () =>
        Effect.gen(function* () {
          const store = yield* FailedRequests
          const sent = body()
          yield* TestClock.setTime(Date.parse("2026-02-01T12:00:00.123Z"))
          const first = yield* store.store("user-1", sent)
          expect(first).toEqual({
            message: "Request synced successfully",
            request_id: sent.request_id,
            synced_at: "2026-02-01T12:00:00.123Z"
          })
          yield* TestClock.adjust("1 hour")
          const again = yield* store.store("user-1", { ...sent, error: "a different story" })
          expect(again).toEqual(first)
          // The same id from another user is that user's own report.
          const other = yield* store.store("user-2", sent)
          expect(other.synced_at).toBe("2026-02-01T13:00:00.123Z")
        })
      )

      it.effect("concurrent repeats of one request id agree on one synced_at", () =>
        Effect.gen(function* () {
          const store = yield* FailedRequests
          const sent = body()
          const results = yield* Effect.all(
            Array.from({ length: 8 }, () => store.store("user-1", sent)),
            { concurrency: "unbounded" }
          )
          expect(new Set(results.map((r) => r.synced_at)).size).toBe(1)
        })
      )

      it.effect("rejects bad bodies with an error naming the field", () =>
        Effect.gen(function* () {
          const store = yield* FailedRequests
          const field = (sent: unknown) =>
            Effect.map(Effect.flip(store.store("user-1", sent)), (e) => {
              expect(e).toBeInstanceOf(InvalidFailedRequest)
              return (e as InvalidFailedRequest).field
            })
          const { request_id: _, ...noId } = body()
          expect(yield* field(noId)).toBe("request_id")
          expect(yield* field(body({ request_id: "" }))).toBe("request_id")
          expect(yield* field(body({ request_id: 42 }))).toBe("request_id")
          expect(yield* field(body({ request_id: "x".repeat(256) }))).toBe("request_id")
          expect(yield* field(body({ original_timestamp: "yesterday-ish" }))).toBe("original_timestamp")
          expect(yield* field(body({ original_timestamp: "-010000-01-01T00:00:00Z" }))).toBe(
            "original_timestamp"
          )
          // PostgreSQL cannot store NUL characters: refused as the client's error, never a 503.
          expect(yield* field(body({ request_id: "a\u0000b" }))).toBe("request_id")
          expect(yield* field(body({ error: "bad\u0000" }))).toBe("error")
          expect(yield* field(body({ request_data: { text: "x\u0000y" } }))).toBe("request_data")
          expect(yield* field(body({ request_data: [{ "k\u0000": 1 }] }))).toBe("request_data")
          // Unpaired surrogates have no UTF-8 form: the client's error too, wherever they are.
          expect(yield* field(body({ request_data: { text: "x\uD800y" } }))).toBe("request_data")
          expect(yield* field(body({ request_data: ["\uDC00"] }))).toBe("request_data")
          expect(yield* field(body({ request_data: { ["k\uDBFF"]: 1 } }))).toBe("request_data")
          expect(yield* field(body({ error: "oops \uD83D" }))).toBe("error")
          // A paired one (an emoji) is fine.
          yield* store.store("user-1", body({ request_data: { text: "ok \uD83D\uDE00" } }))
          // Nesting too deep to serialise safely.
          let deep: unknown = 1
          for (let i = 0; i < 10_000; i++) deep = [deep]
          expect(yield* field(body({ request_data: deep }))).toBe("request_data")
          // A backslash followed by "u0000" is ordinary text.
          yield* store.store("user-1", body({ request_data: { text: "\\u0000" } }))
          expect(yield* field(body({ request_data: "a string" }))).toBe("request_data")
          expect(yield* field(body({ request_data: null }))).toBe("request_data")
          const { error: __, ...noError } = body()
          expect(yield* field(noError)).toBe("error")
          expect(yield* field([1, 2])).toBe("body")
          expect(yield* field(null)).toBe("body")
          const big = { blob: "x".repeat(FAILED_REQUEST_DATA_MAX_BYTES) }
          const tooBig = yield* Effect.flip(store.store("user-1", body({ request_data: big })))
          expect(tooBig).toMatchObject({ field: "request_data" })
          expect(tooBig.message).toContain(String(FAILED_REQUEST_DATA_MAX_BYTES))
          // Just under the bound is fine, arrays are fine.
          const fits = { blob: "x".repeat(FAILED_REQUEST_DATA_MAX_BYTES - 20) }
          yield* store.store("user-1", body({ request_data: fits }))
          yield* store.store("user-1", body({ request_data: [1, "two"] }))
        })
      )

      it.effect(
        "refuses new reports past the per-user quota, still answers repeats, other users unaffected",
        () =>
          Effect.gen(function* () {
            const store = yield* FailedRequests
            const first = body()
            yield* store.store("quota-user", first)
            for (let i = 1; i < quota.maxRequests; i++) yield* store.store("quota-user", body())
            const refused = yield* Effect.flip(store.store("quota-user", body()))
            expect(refused).toBeInstanceOf(FailedRequestQuotaExceeded)
            // A repeat of a stored report is not a new row: still answered.
            yield* store.store("quota-user", first)
            yield* store.store("quota-other", body())
          })
      )
    })
  })

contract("memory", FailedRequests.layerMemoryWith(quota))
contract(
  "postgres",
  Layer.fresh(FailedRequests.layerPgWith(quota)).pipe(
    Layer.provideMerge(ledgerTestDatabase("ledger_failed_requests"))
  )
)

describe("FailedRequests (postgres rows)", () => {
  it.layer(
    Layer.fresh(FailedRequests.layerPgWith({ maxRequests: 3, maxBytes: 60 * 1024 })).pipe(
      Layer.provideMerge(ledgerTestDatabase("ledger_failed_rows"))
    )
  )((it) => {
    it.effect("stores one row per (user, request id) with the request data intact", () =>
      Effect.gen(function* () {
        const store = yield* FailedRequests
        const sql = yield* SqlClient.SqlClient
        const sent = body({ request_data: { nested: { keep_snake_case: [1, { a: null }] } } })
        yield* store.store("user-1", sent)
        yield* store.store("user-1", sent)
        const rows = yield* sql<{ requestData: unknown; errorMessage: string; originalTimestamp: Date }>`
          SELECT request_data, error_message, original_timestamp FROM failed_requests
          WHERE user_id = 'user-1' AND request_id = ${sent.request_id}`
        expect(rows).toEqual([
          {
            requestData: { nested: { keep_snake_case: [1, { a: null }] } },
            errorMessage: "network unreachable",
            originalTimestamp: new Date("2026-01-05T10:00:00Z")
          }
        ])
      })
    )

    it.effect("counts the stored bytes against the quota", () =>
      Effect.gen(function* () {
        const store = yield* FailedRequests
        // Random text hardly compresses: 37-50 KB stored each, so the third passes the 60 KB quota.
        const blob = () => ({ blob: randomBytes(37_000).toString("base64") })
        yield* store.store("bytes-user", body({ request_data: blob() }))
        yield* store.store("bytes-user", body({ request_data: blob() }))
        const refused = yield* Effect.flip(store.store("bytes-user", body({ request_data: blob() })))
        expect(refused).toBeInstanceOf(FailedRequestQuotaExceeded)
      })
    )
  })
})
