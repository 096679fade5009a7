import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { parseClientRequest } from "../../src/translate/ClientRequest.ts"
import type { ClientFormat } from "../../src/translate/Formats.ts"
import { fixtureJson } from "./sse.ts"

const fieldOf = (format: ClientFormat, body: unknown): string | undefined => {
  const r = parseClientRequest(format, body)
  return Either.isLeft(r) ? r.left.field : undefined
}

const user = { role: "user", content: "hi" }

describe("parseClientRequest (OpenAI)", () => {
  it("reads model, stream and include_usage and keeps the body as sent", () => {
    const body = {
      model: "gpt-4o",
      messages: [user],
      stream: true,
      stream_options: { include_usage: true },
      extra: 1
    }
    const r = Either.getOrThrow(parseClientRequest("openai", body))
    expect(r).toMatchObject({ format: "openai", model: "gpt-4o", stream: true, includeUsage: true })
    expect(r.body).toBe(body)
    const plain = Either.getOrThrow(parseClientRequest("openai", { model: "m", messages: [user] }))
    expect(plain).toMatchObject({ stream: false, includeUsage: false })
    expect(Either.isRight(parseClientRequest("openai", fixtureJson("requests/openai-agent.json")))).toBe(true)
  })

  it("names the first missing or ill-typed field", () => {
    expect(fieldOf("openai", "nope")).toBe("body")
    expect(fieldOf("openai", [])).toBe("body")
    expect(fieldOf("openai", { messages: [user] })).toBe("model")
    expect(fieldOf("openai", { model: "m" })).toBe("messages")
    expect(fieldOf("openai", { model: "m", messages: [] })).toBe("messages")
    expect(fieldOf("openai", { model: "m", messages: [user, user, { role: "user", content: 5 }] })).toBe(
      "messages[2].content"
    )
    expect(fieldOf("openai", { model: "m", messages: [{ role: "robot", content: "x" }] })).toBe(
      "messages[0].role"
    )
    expect(
      fieldOf("openai", {
        model: "m",
        messages: [{ role: "user", content: [{ type: "image_url", image_url: {} }] }]
      })
    ).toBe("messages[0].content[0].image_url.url")
    expect(fieldOf("openai", { model: "m", messages: [{ role: "tool", content: "x" }] })).toBe(
      "messages[0].tool_call_id"
    )
    expect(
      fieldOf("openai", {
        model: "m",
        messages: [
          { role: "assistant", tool_calls: [{ id: "1", type: "function", function: { name: "f" } }] }
        ]
      })
    ).toBe("messages[0].tool_calls[0].function.arguments")
    expect(fieldOf("openai", { model: "m", messages: [user], stream: "yes" })).toBe("stream")
    expect(fieldOf("openai", { model: "m", messages: [user], stream_options: { include_usage: 1 } })).toBe(
      "stream_options.include_usage"
    )
    expect(fieldOf("openai", { model: "m", messages: [user], temperature: "hot" })).toBe("temperature")
    expect(fieldOf("openai", { model: "m", messages: [user], max_tokens: 1.5 })).toBe("max_tokens")
    expect(fieldOf("openai", { model: "m", messages: [user], stop: ["a", 1] })).toBe("stop[1]")
    expect(
      fieldOf("openai", { model: "m", messages: [user], tools: [{ type: "function", function: {} }] })
    ).toBe("tools[0].function.name")
    expect(fieldOf("openai", { model: "m", messages: [user], tool_choice: "always" })).toBe("tool_choice")
    expect(
      fieldOf("openai", { model: "m", messages: [user], response_format: { type: "json_schema" } })
    ).toBe("response_format.json_schema")
  })

  it("says what is wrong in the message", () => {
    const r = parseClientRequest("openai", { model: "m", messages: [{ role: "user", content: 5 }] })
    expect(Either.isLeft(r) && r.left.message).toBe(
      "'messages[0].content' must be a string or an array of content parts"
    )
    expect(Either.isLeft(r) && r.left._tag).toBe("InvalidRequestField")
  })
})

describe("parseClientRequest (Anthropic)", () => {
  it("accepts a full agent request; includeUsage is always false", () => {
    const r = Either.getOrThrow(parseClientRequest("anthropic", fixtureJson("requests/anthropic-agent.json")))
    expect(r).toMatchObject({ format: "anthropic", model: "gpt-4.1", stream: true, includeUsage: false })
  })

  it("names the first missing or ill-typed field", () => {
    const ok = { model: "m", max_tokens: 10, messages: [user] }
    expect(fieldOf("anthropic", { ...ok, max_tokens: undefined })).toBe("max_tokens")
    expect(fieldOf("anthropic", { ...ok, messages: [{ role: "system", content: "x" }] })).toBe(
      "messages[0].role"
    )
    expect(
      fieldOf("anthropic", { ...ok, messages: [user, { role: "assistant", content: [{ type: "text" }] }] })
    ).toBe("messages[1].content[0].text")
    expect(
      fieldOf("anthropic", {
        ...ok,
        messages: [{ role: "user", content: [{ type: "image", source: { type: "base64" } }] }]
      })
    ).toBe("messages[0].content[0].source.media_type")
    expect(
      fieldOf("anthropic", {
        ...ok,
        messages: [{ role: "assistant", content: [{ type: "tool_use", id: "t", name: "f", input: "x" }] }]
      })
    ).toBe("messages[0].content[0].input")
    expect(fieldOf("anthropic", { ...ok, system: [{ type: "image" }] })).toBe("system[0]")
    expect(fieldOf("anthropic", { ...ok, top_k: -1 })).toBe("top_k")
    expect(fieldOf("anthropic", { ...ok, tools: [{ name: "f" }] })).toBe("tools[0].input_schema")
    expect(fieldOf("anthropic", { ...ok, tool_choice: { type: "tool" } })).toBe("tool_choice.name")
    expect(fieldOf("anthropic", { ...ok, thinking: { type: "enabled" } })).toBe("thinking.budget_tokens")
    expect(fieldOf("anthropic", { ...ok, metadata: { user_id: 5 } })).toBe("metadata.user_id")
  })
})
