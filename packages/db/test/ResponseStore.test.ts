/**
 * One contract suite for `ResponseStore`, run against PostgreSQL and the in-memory layer: storing,
 * ownership (another user's id is not found), conversations along `previous_response_id`, output
 * items by id, deletion, text PostgreSQL's `jsonb` would refuse; then PostgreSQL's retention.
 */
import { SqlClient } from "@effect/sql"
import { expect, layer } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { ResponseStore, responsesMigrations, type StoredResponse } from "../src/index.ts"
import * as ResponseStorePg from "../src/responses/ResponseStore.ts"
import { TestDatabase } from "../src/testing.ts"

const DAY = 86_400_000
const database = TestDatabase.layer("response_store", [responsesMigrations])

const layers = {
  postgres: Layer.effect(ResponseStore, ResponseStorePg.make({ retentionMs: DAY })).pipe(
    Layer.provideMerge(database)
  ),
  memory: ResponseStore.layerMemory({ retentionMs: DAY })
}

const message = (id: string, text: string) => ({
  type: "message",
  id,
  role: "assistant",
  status: "completed",
  content: [{ type: "output_text", text, annotations: [] }]
})

const stored = (
  userId: string,
  id: string,
  previous: string | null,
  input: string,
  output: ReadonlyArray<unknown>
): StoredResponse => ({
  id,
  userId,
  previousResponseId: previous,
  input: [{ type: "message", role: "user", content: input }],
  response: { id, object: "response", output }
})

const fresh = () => crypto.randomUUID().replaceAll("-", "")

for (const [name, storeLayer] of Object.entries(layers)) {
  layer(storeLayer, { timeout: 60_000, excludeTestServices: true })(`ResponseStore (${name})`, (it) => {
    it.effect("stores a response its owner can read back; another user cannot", () =>
      Effect.gen(function* () {
        const store = yield* ResponseStore
        const id = `resp_${fresh()}`
        const response = stored("alice", id, null, "Hello", [message(`msg_${fresh()}`, "Hi")])
        yield* store.put(response)
        expect(yield* store.get("alice", id)).toEqual(Option.some(response))
        expect(Option.isNone(yield* store.get("bob", id))).toBe(true)
        expect(Option.isNone(yield* store.history("bob", id))).toBe(true)
        // A second store of the same id changes nothing.
        yield* store.put({ ...response, input: [] })
        expect(Option.getOrThrow(yield* store.get("alice", id)).input).toEqual(response.input)
      })
    )

    it.effect("rebuilds a conversation along previous_response_id, oldest first", () =>
      Effect.gen(function* () {
        const store = yield* ResponseStore
        const [a, b, c] = [`resp_${fresh()}`, `resp_${fresh()}`, `resp_${fresh()}`]
        yield* store.put(stored("alice", a, null, "one", [message("m1", "uno")]))
        yield* store.put(stored("alice", b, a, "two", [message("m2", "dos")]))
        yield* store.put(stored("alice", c, b, "three", [message("m3", "tres")]))
        const history = Option.getOrThrow(yield* store.history("alice", c))
        expect(history).toEqual([
          { type: "message", role: "user", content: "one" },
          message("m1", "uno"),
          { type: "message", role: "user", content: "two" },
          message("m2", "dos"),
          { type: "message", role: "user", content: "three" },
          message("m3", "tres")
        ])
        // From the middle: what came before it only.
        expect(Option.getOrThrow(yield* store.history("alice", b))).toHaveLength(4)
      })
    )

    it.effect("finds output items by id, for their owner only", () =>
      Effect.gen(function* () {
        const store = yield* ResponseStore
        const id = `resp_${fresh()}`
        const call = {
          type: "function_call",
          id: `fc_${fresh()}`,
          call_id: "call_1",
          name: "f",
          arguments: "{}"
        }
        yield* store.put(stored("alice", id, null, "x", [call]))
        const found = yield* store.items("alice", [call.id, "fc_missing"])
        expect([...found.entries()]).toEqual([[call.id, call]])
        expect((yield* store.items("bob", [call.id])).size).toBe(0)
      })
    )

    it.effect("deletes a response and its items; deleting again or another's finds nothing", () =>
      Effect.gen(function* () {
        const store = yield* ResponseStore
        const id = `resp_${fresh()}`
        const item = message(`msg_${fresh()}`, "bye")
        yield* store.put(stored("alice", id, null, "x", [item]))
        expect(yield* store.remove("bob", id)).toBe(false)
        expect(yield* store.remove("alice", id)).toBe(true)
        expect(yield* store.remove("alice", id)).toBe(false)
        expect(Option.isNone(yield* store.get("alice", id))).toBe(true)
        expect((yield* store.items("alice", [item.id])).size).toBe(0)
      })
    )

    it.effect("keeps text jsonb would refuse (NUL, a lone surrogate) exactly", () =>
      Effect.gen(function* () {
        const store = yield* ResponseStore
        const id = `resp_${fresh()}`
        const response = stored("alice", id, null, "nul \u0000 here", [message("m", "lone \ud800 surrogate")])
        yield* store.put(response)
        expect(yield* store.get("alice", id)).toEqual(Option.some(response))
      })
    )
  })
}

layer(database, { timeout: 60_000 })("ResponseStore retention (postgres)", (it) => {
  it.effect("a response past its retention is neither read nor continued, and the sweep deletes it", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const store = yield* ResponseStorePg.make({ retentionMs: DAY })
      const [old, kept] = [`resp_${fresh()}`, `resp_${fresh()}`]
      yield* store.put(stored("carol", old, null, "old", [message(`m_${fresh()}`, "old")]))
      yield* store.put(stored("carol", kept, null, "new", [message(`m_${fresh()}`, "new")]))
      yield* sql`UPDATE responses SET expires_at = now() - interval '1 second' WHERE id = ${old}`
      expect(Option.isNone(yield* store.get("carol", old))).toBe(true)
      expect(Option.isNone(yield* store.history("carol", old))).toBe(true)
      expect(yield* store.sweep).toBe(1)
      const left = yield* sql<{ id: string }>`SELECT id FROM responses WHERE user_id = 'carol'`
      expect(left.map((r) => r.id)).toEqual([kept])
    })
  )

  it.effect("a retention of 0 keeps nothing", () =>
    Effect.gen(function* () {
      const store = yield* ResponseStorePg.make({ retentionMs: 0 })
      const id = `resp_${fresh()}`
      yield* store.put(stored("dave", id, null, "x", []))
      expect(Option.isNone(yield* store.get("dave", id))).toBe(true)
    })
  )
})
