/**
 * `POST /v1/sync/failed-request` under the same guards as the model routes: bad text is a 400
 * naming the field (never a 503 a client would retry for ever), and the caller's request limit
 * applies to it.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type Running, start } from "./ReliabilityHarness.ts"

let router: Running
beforeAll(async () => {
  router = await start({ routing: { limits: { user: { rpm: 3 } } } })
})
afterAll(() => router.close())

/** Sends the body text as is: JSON escapes such as a lone `\ud800` survive to the server. */
const sync = (text: string) =>
  fetch(`${router.url}/v1/sync/failed-request`, {
    method: "POST",
    headers: { authorization: "Bearer ef_test_key", "content-type": "application/json" },
    body: text
  })

describe("failed-request sync", () => {
  it("a lone surrogate in request_data is a 400 naming the field; the limit then applies", async () => {
    const lone = await sync(
      `{"request_id":"r1","original_timestamp":"2026-01-01T00:00:00Z","error":"x","request_data":{"text":"a\\ud800b"}}`
    )
    expect(lone.status).toBe(400)
    expect((await lone.json()).error).toMatchObject({ type: "invalid_request_error", param: "request_data" })

    const fine = await sync(
      JSON.stringify({
        request_id: "r2",
        original_timestamp: "2026-01-01T00:00:00Z",
        error: "x",
        request_data: {}
      })
    )
    expect(fine.status).toBe(200)
    // rpm 3: the two above and one more pass, the fourth is refused in OpenAI's format.
    expect((await sync("{}")).status).toBe(400)
    const limited = await sync("{}")
    expect(limited.status).toBe(429)
    expect((await limited.json()).error.type).toBe("rate_limit_error")
  })
})
