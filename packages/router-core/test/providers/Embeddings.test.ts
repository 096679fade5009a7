/**
 * Embeddings are each provider's own: Gemini's request and answer translation, and the mock
 * answering chat and embeddings in process through its transport, like any upstream.
 */
import { describe, expect, it } from "vitest"
import { EmbeddingsRefusal, float32Base64, withBase64Embeddings } from "../../src/providers/Embeddings.ts"
import * as Providers from "../../src/providers/Providers.ts"

const google = Providers.specs.google.embeddings!
const mock = Providers.specs.mock

describe("Gemini embeddings", () => {
  it("sends text as batchEmbedContents with the dimensions, and refuses token arrays naming `input`", () => {
    expect(google.url("http://127.0.0.1:9/v1beta", "text-embedding-004")).toBe(
      "http://127.0.0.1:9/v1beta/models/text-embedding-004:batchEmbedContents"
    )
    expect(google.request({ model: "x", input: ["a", "b"], dimensions: 8 }, "text-embedding-004")).toEqual({
      requests: ["a", "b"].map((text) => ({
        model: "models/text-embedding-004",
        content: { parts: [{ text }] },
        outputDimensionality: 8
      }))
    })
    const refused = google.request({ model: "x", input: [[1, 2]] }, "m")
    expect(refused).toBeInstanceOf(EmbeddingsRefusal)
    expect(refused).toMatchObject({ field: "input" })
  })

  it("answers in OpenAI's list format with an estimated token count, or undefined when malformed", () => {
    const request = { model: "google/text-embedding-004", input: "abcdefgh" }
    const answer = google.response!(
      { embeddings: [{ values: [0.5, 1] }] },
      "google/text-embedding-004",
      request
    )
    expect(answer).toEqual({
      body: {
        object: "list",
        data: [{ object: "embedding", index: 0, embedding: [0.5, 1] }],
        model: "google/text-embedding-004",
        usage: { prompt_tokens: 2, total_tokens: 2 }
      },
      estimated: true
    })
    expect(google.response!({ nothing: true }, "m", request)).toBeUndefined()
  })
})

describe("the mock provider", () => {
  it("answers chat completions and embeddings in process, by URL, in OpenAI's format", async () => {
    const transport = mock.transport!
    const chat = transport(mock.chatUrl("mock://local", "echo", false), {
      model: "echo",
      messages: [{ role: "user", content: "hello there" }]
    })
    const completion = (await chat.json()) as { choices: Array<{ message: { content: string } }> }
    expect(completion.choices[0]!.message.content).toBe("hello there")
    const embedded = transport(mock.embeddings!.url("mock://local", "echo"), { model: "echo", input: ["a"] })
    expect(((await embedded.json()) as { object: string }).object).toBe("list")
    const failing = transport(mock.chatUrl("mock://local", "error", false), { model: "error", messages: [] })
    expect(failing.status).toBe(500)
  })
})

describe("base64 embeddings", () => {
  it("encodes vectors as little-endian float32, only where numbers were sent", () => {
    expect(float32Base64([1, -2])).toBe(Buffer.from([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]).toString("base64"))
    const answer = { object: "list", data: [{ object: "embedding", index: 0, embedding: [1, -2] }] }
    expect(withBase64Embeddings(answer)).toEqual({
      object: "list",
      data: [{ object: "embedding", index: 0, embedding: "AACAPwAAAMA=" }]
    })
    expect(withBase64Embeddings({ object: "list", data: [{ embedding: "AACAPw==" }] })).toBeUndefined()
    expect(withBase64Embeddings({ nothing: true })).toBeUndefined()
  })
})
