/**
 * `mock/vibe`: answers OpenAI's wire format with one HTML document that shows the request,
 * escaped, the same way every time.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Mock from "../../src/providers/mock/Mock.ts"

const ask = async (content: string) => {
  const response = Mock.chat({ messages: [{ role: "user", content }] }, "vibe")
  expect(response.status).toBe(200)
  const body = (await response.json()) as {
    model: string
    choices: Array<{ message: { content: string } }>
    usage: { completion_tokens: number }
  }
  return body
}

describe("mock/vibe", () => {
  it("answers a whole HTML document showing the request, with usage", async () => {
    const body = await ask("A meditation timer with sparkles")
    const content = body.choices[0]!.message.content
    expect(body.model).toBe("mock/vibe")
    expect(content).toContain("<!DOCTYPE html>")
    expect(content).toContain("</html>")
    expect(content).toContain('<h1 id="prompt">A meditation timer with sparkles</h1>')
    expect(content).toContain("<script>")
    expect(body.usage.completion_tokens).toBeGreaterThan(0)
  })

  it("escapes the request and is deterministic", async () => {
    const first = (await ask("<img src=x onerror=alert(1)>")).choices[0]!.message.content
    const second = (await ask("<img src=x onerror=alert(1)>")).choices[0]!.message.content
    expect(first).toBe(second)
    expect(first).not.toContain("<img")
    expect(first).toContain("&#60;img src=x onerror=alert(1)&#62;")
  })
})
