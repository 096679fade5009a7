import { describe, expect, it } from "@effect/vitest"
import { isObjectValue, plainString, stringLength } from "../../src/translate/stream/scan.ts"

describe("scanning one field of an event's JSON", () => {
  it("measures string values as written, escapes and spaces included", () => {
    expect(stringLength('{"delta":{"content":"Zürich"}}', '"content"')).toBe(6)
    expect(stringLength('{"delta": {"content" :  "say \\"hi\\" \\\\"}}', '"content"')).toBe(13)
    expect(stringLength('{"delta":{"content":null}}', '"content"')).toBe(0)
    expect(stringLength('{"delta":{}}', '"content"')).toBe(0)
  })

  it("reads plain strings and tells objects from null", () => {
    expect(plainString('{"finish_reason":"tool_calls"}', '"finish_reason"')).toBe("tool_calls")
    expect(plainString('{"finish_reason":null}', '"finish_reason"')).toBeUndefined()
    expect(isObjectValue('{"usage": {"prompt_tokens":1}}', '"usage"')).toBe(true)
    expect(isObjectValue('{"usage":null}', '"usage"')).toBe(false)
  })
})
