/**
 * `ResponseStore` in process memory, for tests of code built on the store; the same contract suite
 * runs against it and PostgreSQL (test/ResponseStore.test.ts). Time is Effect's `Clock`.
 */
import { Clock, Effect, Option } from "effect"
import {
  MAX_CHAIN,
  outputItems,
  type ResponseStore,
  type ResponseStoreSettings,
  type StoredResponse
} from "./ResponseStore.ts"

interface Kept {
  readonly response: StoredResponse
  readonly expiresAt: number
}

/** A fresh, empty store. */
export const make = (settings: ResponseStoreSettings): ResponseStore["Type"] => {
  const responses = new Map<string, Kept>()
  const items = new Map<string, { readonly responseId: string; readonly item: unknown }>()
  const itemKey = (userId: string, itemId: string) => `${userId}\u0000${itemId}`
  // Stored and returned as copies, as a database would.
  const copy = <A>(value: A): A => JSON.parse(JSON.stringify(value)) as A
  const kept = (userId: string, id: string, now: number) => {
    const found = responses.get(id)
    return found !== undefined && found.response.userId === userId && found.expiresAt > now
      ? found
      : undefined
  }
  return {
    put: (response) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        if (settings.retentionMs <= 0 || responses.has(response.id)) return
        responses.set(response.id, { response: copy(response), expiresAt: now + settings.retentionMs })
        for (const { id, item } of outputItems(response.response)) {
          const key = itemKey(response.userId, id)
          if (!items.has(key)) items.set(key, { responseId: response.id, item: copy(item) })
        }
      }),
    get: (userId, id) =>
      Effect.map(Clock.currentTimeMillis, (now) =>
        Option.map(Option.fromNullable(kept(userId, id, now)), (k) => copy(k.response))
      ),
    history: (userId, id) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const chain: Array<StoredResponse> = []
        let at = kept(userId, id, now)
        while (at !== undefined && chain.length < MAX_CHAIN) {
          chain.push(at.response)
          const previous = at.response.previousResponseId
          at = previous === null ? undefined : kept(userId, previous, now)
        }
        if (chain.length === 0) return Option.none()
        const all: Array<unknown> = []
        for (const response of chain.reverse()) {
          all.push(...response.input)
          const output = response.response.output
          if (Array.isArray(output)) all.push(...output)
        }
        return Option.some(copy(all))
      }),
    items: (userId, ids) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const found = new Map<string, unknown>()
        for (const id of ids) {
          const entry = items.get(itemKey(userId, id))
          if (entry !== undefined && kept(userId, entry.responseId, now) !== undefined)
            found.set(id, copy(entry.item))
        }
        return found
      }),
    remove: (userId, id) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        if (kept(userId, id, now) === undefined) return false
        responses.delete(id)
        for (const [key, entry] of items) if (entry.responseId === id) items.delete(key)
        return true
      }),
    sweep: Effect.map(Clock.currentTimeMillis, (now) => {
      let removed = 0
      for (const [id, entry] of responses) {
        if (entry.expiresAt > now) continue
        responses.delete(id)
        removed++
        for (const [key, item] of items) if (item.responseId === id) items.delete(key)
      }
      return removed
    })
  }
}
