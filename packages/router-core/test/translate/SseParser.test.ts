import { describe, expect, it } from "@effect/vitest"
import { createSseParser, MAX_SSE_BUFFER } from "../../src/translate/stream/SseParser.ts"

describe("createSseParser", () => {
  it("parses events as eventsource-parser does", () => {
    const seen: Array<string> = []
    const parser = createSseParser({ onEvent: (event) => seen.push(`${event.event}:${event.data}`) })
    parser.feed("event: a\r\ndata: 1\r\n\r\ndata: ")
    parser.feed("2\n\n")
    expect(seen).toEqual(["a:1", "undefined:2"])
  })

  it("throws from feed once one event outgrows the bound, however it arrives", () => {
    const parser = createSseParser({ onEvent: () => undefined }, 1000)
    parser.feed(`data: ${"x".repeat(600)}`)
    expect(() => parser.feed("x".repeat(600))).toThrow("longer than 1000 characters")
    // Many data lines of one unfinished event count together.
    const lines = createSseParser({ onEvent: () => undefined }, 1000)
    expect(() => {
      for (let i = 0; i < 20; i++) lines.feed(`data: ${"y".repeat(100)}\n`)
    }).toThrow()
    expect(MAX_SSE_BUFFER).toBe(16 * 1024 * 1024)
  })
})
