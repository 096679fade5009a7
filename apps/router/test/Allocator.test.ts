/**
 * The router's allocator setting (Allocator.ts): launchers add it unless the operator chose a
 * value, and the router tells the operator at start-up when it runs under bun without one.
 * (ServingThread.test.ts starts the real router under bun both ways.)
 */
import { describe, expect, it } from "@effect/vitest"
import { missingAllocatorSetting, withAllocatorSetting } from "../src/Allocator.ts"

describe("the router's allocator setting", () => {
  it("is added to the environment a launcher starts the router with, the rest kept as it was", () => {
    expect(withAllocatorSetting({ PORT: "8080" })).toEqual({ PORT: "8080", MIMALLOC_PURGE_DELAY: "-1" })
  })

  it("leaves the operator's own value alone, even one that restores purging", () => {
    expect(withAllocatorSetting({ MIMALLOC_PURGE_DELAY: "10" }).MIMALLOC_PURGE_DELAY).toBe("10")
    expect(withAllocatorSetting({ MIMALLOC_PURGE_DELAY: "0" }).MIMALLOC_PURGE_DELAY).toBe("0")
  })

  it("counts an empty value as unset (mimalloc would read it as 1 ms)", () => {
    expect(withAllocatorSetting({ MIMALLOC_PURGE_DELAY: "" }).MIMALLOC_PURGE_DELAY).toBe("-1")
    expect(missingAllocatorSetting({ MIMALLOC_PURGE_DELAY: "" }, true)).toContain("is not set")
  })

  it("is asked for at start-up only under bun, and only when missing", () => {
    const notice = missingAllocatorSetting({}, true)
    expect(notice).toContain("MIMALLOC_PURGE_DELAY=-1")
    expect(missingAllocatorSetting({ MIMALLOC_PURGE_DELAY: "100" }, true)).toBeUndefined()
    // Node's allocator is not mimalloc: nothing to say.
    expect(missingAllocatorSetting({}, false)).toBeUndefined()
  })
})
