import { describe, expect, it } from "@effect/vitest"
import { Either, ParseResult, Schema } from "effect"
import { PutSecretRequest } from "../src/Secret.ts"

const issues = (input: unknown) => {
  const result = Schema.decodeUnknownEither(PutSecretRequest)(input, { errors: "all" })
  if (Either.isRight(result)) return []
  return ParseResult.ArrayFormatter.formatErrorSync(result.left)
}

describe("PutSecretRequest", () => {
  it("names the bad field once, in words, and never quotes the secret", () => {
    expect(issues({ provider: "mystery", apiKey: "sk-secret-value" })).toEqual([
      {
        _tag: "Composite",
        path: ["provider"],
        message: "provider must be one of openai, anthropic, google, xai, openai-compatible"
      }
    ])
    const long = issues({ provider: "openai", apiKey: "s".repeat(5000) })
    expect(long.map((i) => i.path)).toEqual([["apiKey"]])
    expect(JSON.stringify(long)).not.toContain("sss")
    expect(issues({ provider: "openai-compatible", apiKey: "k" }).map((i) => i.path)).toEqual([["baseUrl"]])
    expect(issues({ provider: "openai", apiKey: "k" })).toEqual([])
  })
})
