/**
 * The in-memory store's own bookkeeping, driven with explicit instants: leases expire lazily (only
 * looked for when a scope is at its limit), scope state is looked up once and may be swept, and
 * budget periods are reused while the clock stays inside them. The contract suite
 * (`Limiter.test.ts`) checks that memory and Redis agree; these check what the shortcuts could
 * get wrong.
 */
import { describe, expect, it } from "@effect/vitest"
import { LimitExceeded } from "@switchyard/domain"
import type { ScopePlan, StoreAdmission, Usage } from "../../src/limits/LimitStore.ts"
import * as MemoryStore from "../../src/limits/MemoryStore.ts"

const none: Usage = { tokens: 0, costMicros: 0 }
const release = { tokens: 0, costMicros: 0, release: true }
const T0 = Date.UTC(2025, 5, 10, 12)

const plan = (
  scope: ScopePlan["scope"],
  id: string,
  limits: Partial<Omit<ScopePlan, "scope" | "id">>
): ScopePlan => ({ scope, id, rpm: 0, tpm: 0, concurrency: 0, budget: undefined, ...limits })

/** A memory store with a helper that admits synchronously (as the memory store does). */
const storeWith = (leaseTtlMs: number) => {
  const store = MemoryStore.make({ leaseTtlMs })
  let sequence = 0
  return (scopes: ReadonlyArray<ScopePlan>, now: number, estimate: Usage = none) => {
    const result = store.admit({ userId: "u1", scopes, estimate, leaseId: `lease-${++sequence}`, now })
    if (result instanceof Promise) throw new Error("the memory store answers synchronously")
    return result
  }
}

const admitted = (result: StoreAdmission | LimitExceeded): StoreAdmission => {
  if (result instanceof LimitExceeded) throw new Error(`expected an admission, got: ${result.message}`)
  return result
}

const refused = (result: StoreAdmission | LimitExceeded): LimitExceeded => {
  expect(result).toBeInstanceOf(LimitExceeded)
  return result as LimitExceeded
}

describe("MemoryStore", () => {
  it("an expired lease frees its slot once the concurrency limit is reached", () => {
    const admit = storeWith(1000)
    const scopes = [plan("user", "u1", { concurrency: 2 })]
    admitted(admit(scopes, T0)) // held until T0 + 1000
    admitted(admit(scopes, T0 + 500)) // held until T0 + 1500
    expect(refused(admit(scopes, T0 + 999))).toMatchObject({ kind: "concurrency", limit: 2, remaining: 0 })
    admitted(admit(scopes, T0 + 1000)) // the first lease has expired
    refused(admit(scopes, T0 + 1000))
    refused(admit(scopes, T0 + 1499))
    admitted(admit(scopes, T0 + 1500))
    refused(admit(scopes, T0 + 1500))
  })

  it("leases below the limit are counted exactly, expired ones included until the limit is reached", () => {
    const admit = storeWith(1000)
    const scopes = [plan("user", "u1", { concurrency: 100 })]
    const early = Array.from({ length: 60 }, () => admitted(admit(scopes, T0)))
    // 60 held: 40 more fit, the 101st does not.
    const held = Array.from({ length: 40 }, () => admitted(admit(scopes, T0 + 10)))
    refused(admit(scopes, T0 + 10))
    // Releasing ten frees exactly ten.
    for (const admission of early.slice(0, 10)) admission.adjust(release, T0 + 20)
    for (let i = 0; i < 10; i++) admitted(admit(scopes, T0 + 20))
    refused(admit(scopes, T0 + 20))
    // The 50 early leases still held expire at T0 + 1000; the 50 later ones at T0 + 1010 and T0 + 1020.
    for (let i = 0; i < 50; i++) admitted(admit(scopes, T0 + 1000))
    expect(refused(admit(scopes, T0 + 1000))).toMatchObject({ kind: "concurrency", limit: 100 })
    // Releasing an expired lease frees nothing; releasing a held one twice frees one slot.
    early[20]!.adjust(release, T0 + 1000)
    held[0]!.adjust(release, T0 + 1000)
    held[0]!.adjust(release, T0 + 1000)
    admitted(admit(scopes, T0 + 1000))
    refused(admit(scopes, T0 + 1000))
  })

  it("a user's slots are shared by its keys; a key's slots are its own", () => {
    const admit = storeWith(60_000)
    const viaKey = (key: string) => [
      plan("key", key, { concurrency: 3 }),
      plan("user", "u1", { concurrency: 5 })
    ]
    const k1 = Array.from({ length: 3 }, () => admitted(admit(viaKey("k1"), T0)))
    expect(refused(admit(viaKey("k1"), T0))).toMatchObject({ kind: "concurrency", scope: "key" })
    admitted(admit(viaKey("k2"), T0))
    admitted(admit(viaKey("k2"), T0))
    expect(refused(admit(viaKey("k2"), T0))).toMatchObject({ kind: "concurrency", scope: "user" })
    k1[0]!.adjust(release, T0)
    admitted(admit(viaKey("k2"), T0))
    // The refused admissions took no slot: after two releases k1 holds one lease and the user
    // four, so exactly one more fits.
    k1[1]!.adjust(release, T0)
    admitted(admit(viaKey("k1"), T0))
    refused(admit(viaKey("k1"), T0))
  })

  it("a lease seen expired stays expired when the clock steps back", () => {
    const admit = storeWith(1000)
    const scopes = [plan("user", "u1", { concurrency: 2 })]
    admitted(admit(scopes, T0)) // expires at T0 + 1000
    admitted(admit(scopes, T0 + 1500)) // below the limit: the expired lease need not be purged here
    // Back before the first lease's expiry: it was already gone at T0 + 1500, so one slot is free.
    admitted(admit(scopes, T0 + 900))
    refused(admit(scopes, T0 + 900))
  })

  it("a refusal reports every scope's windows as they were; an admission the windows after it", () => {
    const admit = storeWith(60_000)
    const scopes = [plan("key", "k1", { rpm: 2 }), plan("user", "u1", { rpm: 10, tpm: 1000 })]
    const first = admitted(admit(scopes, T0, { tokens: 300, costMicros: 0 }))
    expect(first.rateLimit).toEqual({
      requests: { limit: 2, remaining: 1, resetMs: 30_000 },
      tokens: { limit: 1000, remaining: 700, resetMs: 18_000 }
    })
    admitted(admit(scopes, T0, { tokens: 300, costMicros: 0 }))
    const refusal = refused(admit(scopes, T0, { tokens: 300, costMicros: 0 }))
    expect(refusal).toMatchObject({
      kind: "requests",
      scope: "key",
      limit: 2,
      remaining: 0,
      requests: { limit: 2, remaining: 0, resetMs: 60_000 },
      tokens: { limit: 1000, remaining: 400, resetMs: 36_000 }
    })
    // The refusal charged nothing: the user's windows are as the second admission left them.
    const userOnly = admitted(admit([scopes[1]!], T0, none))
    expect(userOnly.rateLimit).toEqual({
      requests: { limit: 10, remaining: 7, resetMs: 18_000 },
      tokens: { limit: 1000, remaining: 400, resetMs: 36_000 }
    })
  })

  it("snapshot windows keep the order the scopes produced them in", () => {
    const admit = storeWith(60_000)
    const tokensFirst = admitted(
      admit([plan("key", "k1", { tpm: 100 }), plan("user", "u1", { rpm: 10 })], T0, none)
    )
    expect(Object.keys(tokensFirst.rateLimit)).toEqual(["tokens", "requests"])
    const requestsFirst = admitted(admit([plan("key", "k2", { rpm: 10, tpm: 100 })], T0, none))
    expect(Object.keys(requestsFirst.rateLimit)).toEqual(["requests", "tokens"])
    expect(admitted(admit([plan("key", "k3", { concurrency: 1 })], T0, none)).rateLimit).toEqual({})
  })

  it("a budget period is recomputed when the clock leaves it, forwards or backwards", () => {
    const admit = storeWith(60_000)
    const scopes = [plan("user", "u1", { budget: { amountMicros: 1000, period: "day" } })]
    const lateJan31 = Date.UTC(2025, 0, 31, 23, 0)
    admitted(admit(scopes, lateJan31, { tokens: 0, costMicros: 1000 }))
    expect(refused(admit(scopes, lateJan31 + 1)).resetSeconds).toBeCloseTo(3599.999, 6)
    // February 1st starts from zero.
    admitted(admit(scopes, Date.UTC(2025, 1, 1), { tokens: 0, costMicros: 600 }))
    expect(refused(admit(scopes, Date.UTC(2025, 1, 1, 6), { tokens: 0, costMicros: 500 }))).toMatchObject({
      remaining: 400
    })
    // Back on January 31st: its own counter again, with its own reset.
    const back = refused(admit(scopes, lateJan31 + 30 * 60_000))
    expect(back).toMatchObject({ kind: "budget", remaining: 0, resetSeconds: 1800 })
    // Earlier in the same day than any instant seen so far: still January 31st.
    expect(refused(admit(scopes, Date.UTC(2025, 0, 31, 1)))).toMatchObject({ remaining: 0 })
  })

  it("a settlement after the sweep has forgotten the scope still charges it", () => {
    const admit = storeWith(60_000)
    const scopes = [plan("key", "k1", { tpm: 1000 })]
    const admission = admitted(admit(scopes, T0, { tokens: 100, costMicros: 0 }))
    // Two minutes later k1's bucket is full again, and an admission elsewhere runs the sweep.
    const later = T0 + 120_000
    admitted(admit([plan("key", "k2", { tpm: 1000 })], later))
    admission.adjust({ tokens: 500, costMicros: 0, release: false }, later)
    const next = admitted(admit(scopes, later, { tokens: 100, costMicros: 0 }))
    expect(next.rateLimit.tokens).toMatchObject({ limit: 1000, remaining: 400 })
  })

  it("the sweep drops expired leases and keeps the period's spend", () => {
    const admit = storeWith(1000)
    const scopes = [
      plan("user", "u1", { rpm: 100, concurrency: 2, budget: { amountMicros: 500, period: "day" } })
    ]
    const early = admitted(admit(scopes, T0, { tokens: 0, costMicros: 200 }))
    admitted(admit(scopes, T0, { tokens: 0, costMicros: 200 }))
    // A minute on the sweep runs: both leases have expired, the day's 400 are still spent.
    const next = admitted(admit(scopes, T0 + 61_000))
    admitted(admit(scopes, T0 + 61_000))
    expect(refused(admit(scopes, T0 + 61_000))).toMatchObject({ kind: "concurrency" })
    next.adjust(release, T0 + 61_000)
    early.adjust({ tokens: 0, costMicros: -200, release: true }, T0 + 61_000) // its lease is long gone
    expect(refused(admit(scopes, T0 + 61_000, { tokens: 0, costMicros: 400 }))).toMatchObject({
      kind: "budget",
      remaining: 300
    })
    admitted(admit(scopes, T0 + 61_000, { tokens: 0, costMicros: 300 }))
    expect(refused(admit(scopes, T0 + 61_000))).toMatchObject({ kind: "concurrency" })
  })
})
