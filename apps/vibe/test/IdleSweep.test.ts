/**
 * Idle clean-up with a short timeout: an app nobody views or edits for
 * `MODAL_VIBE_SANDBOX_TIMEOUT` seconds is stopped by the sweep (every
 * `MODAL_VIBE_CLEANUP_INTERVAL` minutes), is no longer served, no longer counts as active, and an
 * edit revives it. The waits poll for an outcome; nothing asserts how long it took.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type Stack, startStack } from "./Harness.ts"

let stack: Stack

beforeAll(async () => {
  // Idle after 1 s, swept every 0.005 min (0.3 s).
  stack = await startStack("vibe_idle", {
    MODAL_VIBE_SANDBOX_TIMEOUT: "1",
    MODAL_VIBE_CLEANUP_INTERVAL: "0.005"
  })
})

afterAll(async () => {
  await stack?.close()
})

describe("idle clean-up", () => {
  it("stops an idle app, serves the stopped page, and an edit revives it", async () => {
    const user = await stack.newUser("idle")
    const headers = { "x-api-key": user.key }
    const appId = (await stack.call("POST", "/api/create", { headers, json: { prompt: "A sleepy app" } }))
      .body.app_id
    const statusOf = async () =>
      (await stack.call("GET", `/api/app/${appId}/status`, { headers })).body.status

    expect(await stack.eventually(async () => (await statusOf()) === "stopped")).toBe(true)
    const page = await stack.viewApp(appId)
    expect(page.status).toBe(503)
    expect(page.text).toContain("This app is stopped")
    const health = await stack.call("GET", "/health")
    expect(health.body.active_apps).toBe(0)

    const revived = await stack.call("POST", `/api/app/${appId}/write`, {
      headers,
      json: { text: "wake up" }
    })
    expect(revived.status).toBe(200)
    const versions = await stack.call("GET", `/api/app/${appId}/versions`, { headers })
    expect(versions.body.current_version).toBe(2)
    // The owner heard each step, in order; then the revived app goes idle and stops again.
    expect(
      await stack.eventually(async () => stack.events.filter((e) => e.app_id === appId).length >= 5)
    ).toBe(true)
    expect(stack.events.filter((e) => e.app_id === appId).map((e) => e.status)).toEqual([
      "creating",
      "active",
      "stopped",
      "active",
      "stopped"
    ])
  })

  it("the sweep leaves failed and deleted apps alone", async () => {
    const user = await stack.newUser("untouched")
    const headers = { "x-api-key": user.key }
    stack.fake.mode = "error"
    const failed = (await stack.call("POST", "/api/create", { headers, json: { prompt: "broken" } })).body
      .app_id
    stack.fake.mode = "app"
    const kept = (await stack.call("POST", "/api/create", { headers, json: { prompt: "kept" } })).body.app_id
    expect(
      await stack.eventually(
        async () =>
          (await stack.call("GET", `/api/app/${kept}/status`, { headers })).body.status === "stopped"
      )
    ).toBe(true)
    expect((await stack.call("GET", `/api/app/${failed}/status`, { headers })).body.status).toBe("failed")
  })
})
