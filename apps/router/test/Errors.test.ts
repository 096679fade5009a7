/**
 * A bug that escapes every handler still answers JSON in the route's error format, never an HTML
 * page or a dropped connection.
 */
import { describe, expect, it } from "@effect/vitest"
import { Layer } from "effect"
import { CallerAuth } from "../src/CallerAuth.ts"
import * as AppServer from "../src/Server.ts"
import { startRouter, TEST_KEY } from "./Harness.ts"

describe("uncaught errors", () => {
  it("answer 500 in the client's format on the model routes", async () => {
    const broken = Layer.succeed(CallerAuth, {
      verify: () => {
        throw new Error("a bug")
      },
      verifyCached: () => undefined
    })
    const router = await startRouter({ auth: broken })
    try {
      const init = (body: unknown) => ({
        method: "POST",
        headers: { authorization: `Bearer ${TEST_KEY}`, "content-type": "application/json" },
        body: JSON.stringify(body)
      })
      const openai = await fetch(
        `${router.url}/v1/chat/completions`,
        init({ model: "mock/echo", messages: [{ role: "user", content: "x" }] })
      )
      expect(openai.status).toBe(500)
      expect(await openai.json()).toMatchObject({ error: { type: "server_error" } })
      const anthropic = await fetch(
        `${router.url}/v1/messages`,
        init({ model: "mock/echo", max_tokens: 5, messages: [{ role: "user", content: "x" }] })
      )
      expect(anthropic.status).toBe(500)
      expect(await anthropic.json()).toMatchObject({ type: "error", error: { type: "api_error" } })
    } finally {
      await router.close()
    }
  })

  it("answer JSON from the server's last-resort handler", async () => {
    const server = await AppServer.start(
      () => {
        throw new Error("thrown synchronously")
      },
      { port: 0, hostname: "127.0.0.1", maxBodyBytes: 1024 }
    )
    try {
      const res = await fetch(server.url!)
      expect(res.status).toBe(500)
      expect(res.headers.get("content-type")).toContain("application/json")
      expect((await res.json()).error.type).toBe("server_error")
    } finally {
      await server.close(true)
    }
  })
})
