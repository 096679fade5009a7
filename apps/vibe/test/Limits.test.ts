/**
 * Limits, each answered 429 with `Retry-After`: creates per user per hour (`VIBE_CREATES_PER_HOUR`,
 * deleted apps still count), generations at once (`MODAL_VIBE_MAX_CONCURRENT_REQUESTS`), and the
 * router's own per-user request limit, which applies to generations like any model call.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { SERVICE_KEY, type Stack, startStack } from "./Harness.ts"

let stack: Stack

beforeAll(async () => {
  stack = await startStack(
    "vibe_limits",
    { VIBE_CREATES_PER_HOUR: "2", MODAL_VIBE_MAX_CONCURRENT_REQUESTS: "1", VIBE_EXPLAIN_MODEL: "off" },
    // One router request per generation (no explanation call): 3 a minute per user on the router's
    // API routes (seed 000's API_RATE_LIMIT; RATE_LIMIT_REQUESTS_PER_MINUTE is /api/chat's alone).
    { API_RATE_LIMIT: "3" }
  )
})

afterAll(async () => {
  await stack?.close()
})

const create = (headers: Record<string, string>, prompt: string, userId?: string) =>
  stack.call("POST", "/api/create", { headers, json: { prompt, ...(userId ? { user_id: userId } : {}) } })

describe("creates per hour", () => {
  it("the third create in an hour is 429 with Retry-After, even after a delete; other users are unaffected", async () => {
    const user = await stack.newUser("hourly")
    const headers = { "x-api-key": user.key }
    const first = await create(headers, "one")
    expect(first.status).toBe(200)
    expect((await stack.call("DELETE", `/api/app/${first.body.app_id}`, { headers })).status).toBe(200)
    expect((await create(headers, "two")).status).toBe(200)
    const before = await stack.query<{ count: number }>("SELECT count(*)::int AS count FROM vibe_apps")

    const refused = await create(headers, "three")
    expect(refused.status).toBe(429)
    expect(refused.body._tag).toBe("VibeRateLimited")
    expect(refused.body.message).toBe("At most 2 apps can be created per hour")
    const retryAfter = Number(refused.headers.get("retry-after"))
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(3600)
    expect(refused.body.retry_after_seconds).toBe(retryAfter)
    // Nothing was stored for the refused create.
    const after = await stack.query<{ count: number }>("SELECT count(*)::int AS count FROM vibe_apps")
    expect(after[0]?.count).toBe(before[0]?.count)

    const other = await stack.newUser("unaffected")
    expect((await create({ "x-api-key": other.key }, "mine")).status).toBe(200)
  })

  it("a service's allowance is per end user (user_id)", async () => {
    const headers = { "x-api-key": SERVICE_KEY }
    expect((await create(headers, "a", "dave")).status).toBe(200)
    expect((await create(headers, "b", "dave")).status).toBe(200)
    expect((await create(headers, "c", "dave")).status).toBe(429)
    expect((await create(headers, "d", "erin")).status).toBe(200)
  })
})

describe("generations at once", () => {
  it("with every slot taken a create is 429 with Retry-After at once; the held one then completes", async () => {
    const first = await stack.newUser("slow")
    const second = await stack.newUser("impatient")
    stack.fake.mode = "hold"
    const pending = create({ "x-api-key": first.key }, "a slow app")
    await stack.fake.holding(1)
    const busy = await create({ "x-api-key": second.key }, "a quick app")
    expect(busy.status).toBe(429)
    expect(busy.headers.get("retry-after")).toBe("5")
    expect(busy.body.message).toBe("1 apps are being generated right now; try again shortly")
    // Nothing was created for the refused call: the slot is checked first.
    const mine = await stack.query<{ count: number }>(
      "SELECT count(*)::int AS count FROM vibe_apps WHERE owner_id = $1",
      `user:${second.userId}`
    )
    expect(mine[0]?.count).toBe(0)
    stack.fake.mode = "app"
    stack.fake.release()
    expect((await pending).status).toBe(200)
    expect((await create({ "x-api-key": second.key }, "a quick app")).status).toBe(200)
  })
})

describe("the router's limits", () => {
  it("a generation the router refuses for the caller's limit is 429 with the router's Retry-After", async () => {
    const user = await stack.newUser("busy")
    const headers = { "x-api-key": user.key }
    const appId = (await create(headers, "first")).body.app_id
    expect(
      (await stack.call("POST", `/api/app/${appId}/write`, { headers, json: { text: "second" } })).status
    ).toBe(200)
    expect(
      (await stack.call("POST", `/api/app/${appId}/write`, { headers, json: { text: "third" } })).status
    ).toBe(200)
    const refused = await stack.call("POST", `/api/app/${appId}/write`, { headers, json: { text: "fourth" } })
    expect(refused.status).toBe(429)
    expect(refused.body.message).toMatch(
      /^Generation was refused by the router's limits: the router answered 429/
    )
    const retryAfter = Number(refused.headers.get("retry-after"))
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(60)
    // The app still serves its last good version.
    expect((await stack.call("GET", `/api/app/${appId}/status`, { headers })).body).toEqual({
      status: "active"
    })
  })
})
