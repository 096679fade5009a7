/**
 * Taking the app out of a model's answer and checking it is a whole document that fits the cap.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as HtmlDocument from "../src/HtmlDocument.ts"

const DOC = `<!DOCTYPE html>
<html><head><title>t</title></head><body><h1>Hi</h1><script>1</script></body></html>`

describe("extract", () => {
  it("takes the fenced html block out of prose", () => {
    expect(HtmlDocument.extract(`Sure! Here:\n\n\`\`\`html\n${DOC}\n\`\`\`\nEnjoy.`)).toBe(DOC)
  })

  it("skips a fenced block that is not a document, and reads an unfenced one", () => {
    const answer = `\`\`\`css\nbody{}\n\`\`\`\nThen:\n${DOC}\ntrailing words`
    expect(HtmlDocument.extract(answer)).toBe(DOC)
  })

  it("finds nothing in prose", () => {
    expect(HtmlDocument.extract("I would build a timer with a big button.")).toBeUndefined()
  })
})

describe("check", () => {
  it("accepts a standards-mode document with content", () => {
    expect(HtmlDocument.fromAnswer(DOC, 10_000)).toEqual(Either.right(DOC))
  })

  it("refuses a document without a doctype, an empty body, and one over the cap (in bytes)", () => {
    expect(Either.getLeft(HtmlDocument.check("<html><body><p>x</p></body></html>", 10_000))).toMatchObject({
      value: { _tag: "NotADocument" }
    })
    expect(
      Either.getLeft(HtmlDocument.check("<!DOCTYPE html><html><body>   </body></html>", 10_000))
    ).toMatchObject({
      value: { _tag: "NotADocument", reason: "its body has no elements" }
    })
    const accented = DOC.replace("Hi", "é".repeat(100))
    const bytes = Buffer.byteLength(accented)
    expect(Either.getLeft(HtmlDocument.check(accented, bytes - 1))).toMatchObject({
      value: { _tag: "TooLarge", bytes, limit: bytes - 1 }
    })
    expect(Either.isRight(HtmlDocument.check(accented, bytes))).toBe(true)
  })

  it("says each rejection in a sentence", () => {
    expect(HtmlDocument.describe({ _tag: "TooLarge", bytes: 300, limit: 200 })).toBe(
      "the generated app is 300 bytes, over the 200-byte limit"
    )
  })
})
