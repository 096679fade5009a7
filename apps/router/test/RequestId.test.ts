/**
 * Request ids are UUIDv7: unique, and ordered by the time they were made (the ledger's primary
 * key grows at its right edge). Under Node this exercises the `uuid` package's generator; the
 * bench and production run bun's native one, which follows the same RFC.
 */
import { describe, expect, it } from "@effect/vitest"
import * as RequestId from "../src/RequestId.ts"

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** The Unix milliseconds in a v7 id's first 48 bits. */
const millisOf = (id: string) => Number.parseInt(id.replaceAll("-", "").slice(0, 12), 16)

describe("RequestId", () => {
  it("makes distinct version-7 UUIDs carrying the current time", () => {
    const before = Date.now()
    const ids = Array.from({ length: 10_000 }, RequestId.next)
    const after = Date.now()
    for (const id of ids) expect(id).toMatch(V7)
    expect(new Set(ids).size).toBe(ids.length)
    expect(millisOf(ids[0]!)).toBeGreaterThanOrEqual(before)
    expect(millisOf(ids.at(-1)!)).toBeLessThanOrEqual(after)
  })

  it("orders ids made later after earlier ones, as text", async () => {
    const earlier = RequestId.next()
    await new Promise((resolve) => setTimeout(resolve, 3))
    const later = RequestId.next()
    expect(later > earlier).toBe(true)
    const burst = Array.from({ length: 1000 }, RequestId.next)
    expect([...burst].sort()).toEqual(burst)
  })
})
