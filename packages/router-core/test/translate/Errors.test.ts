import { describe, expect, it } from "@effect/vitest"
import { formatError, translateError } from "../../src/translate/Errors.ts"
import { validateOpenAI } from "./openaiSpec.ts"

describe("formatError", () => {
  it("writes each client's error body", () => {
    const openai = formatError("openai", 400, "invalid_request_error", "'messages' is required", "messages")
    expect(openai).toStrictEqual({
      error: {
        message: "'messages' is required",
        type: "invalid_request_error",
        param: "messages",
        code: null
      }
    })
    expect(validateOpenAI("ErrorResponse", openai)).toEqual([])
    expect(
      validateOpenAI(
        "ErrorResponse",
        formatError("openai", 404, "invalid_request_error", "no", undefined, "model_not_found")
      )
    ).toEqual([])
    expect(
      formatError("anthropic", 401, "authentication_error", "No API key configured for provider: openai")
    ).toStrictEqual({
      type: "error",
      error: { type: "authentication_error", message: "No API key configured for provider: openai" }
    })
  })
})

describe("translateError", () => {
  const anthropic429 = JSON.stringify({
    type: "error",
    error: {
      type: "rate_limit_error",
      message: "Number of request tokens has exceeded your per-minute rate limit"
    }
  })
  const openai400 = JSON.stringify({
    error: {
      message: "Invalid 'messages[1].content'",
      type: "invalid_request_error",
      param: "messages[1].content",
      code: "invalid_value"
    }
  })
  const gemini400 = JSON.stringify({
    error: {
      code: 400,
      message: "API key not valid. Please pass a valid API key.",
      status: "INVALID_ARGUMENT"
    }
  })

  it("passes 4xx through with the provider's message in the client's format", () => {
    const a = translateError(429, anthropic429, "anthropic", "openai")
    expect(a).toStrictEqual({
      status: 429,
      body: {
        error: {
          message: "Number of request tokens has exceeded your per-minute rate limit",
          type: "rate_limit_error",
          param: null,
          code: null
        }
      }
    })
    expect(validateOpenAI("ErrorResponse", a.body)).toEqual([])
    expect(translateError(400, openai400, "openai", "anthropic")).toStrictEqual({
      status: 400,
      body: {
        type: "error",
        error: { type: "invalid_request_error", message: "Invalid 'messages[1].content'" }
      }
    })
    const g = translateError(400, gemini400, "gemini", "openai")
    expect(g).toStrictEqual({
      status: 400,
      body: {
        error: {
          message: "API key not valid. Please pass a valid API key.",
          type: "invalid_request_error",
          param: null,
          code: "INVALID_ARGUMENT"
        }
      }
    })
    expect(validateOpenAI("ErrorResponse", g.body)).toEqual([])
    expect(translateError(403, gemini400, "gemini", "anthropic").body).toStrictEqual({
      type: "error",
      error: { type: "permission_error", message: "API key not valid. Please pass a valid API key." }
    })
  })

  it("same format keeps the provider's own body", () => {
    expect(translateError(400, openai400, "openai", "openai")).toStrictEqual({
      status: 400,
      body: JSON.parse(openai400)
    })
    expect(translateError(429, anthropic429, "anthropic", "anthropic")).toStrictEqual({
      status: 429,
      body: JSON.parse(anthropic429)
    })
  })

  it("turns 5xx into 502 naming the upstream status and message", () => {
    const overloaded = JSON.stringify({
      type: "error",
      error: { type: "overloaded_error", message: "Overloaded" }
    })
    expect(translateError(529, overloaded, "anthropic", "openai")).toStrictEqual({
      status: 502,
      body: {
        error: {
          message: "Upstream Anthropic provider failed with status 529: Overloaded",
          type: "api_error",
          param: null,
          code: null
        }
      }
    })
    expect(translateError(503, "<html>Service Unavailable</html>", "gemini", "anthropic")).toStrictEqual({
      status: 502,
      body: {
        type: "error",
        error: {
          type: "api_error",
          // An HTML page is not the provider's message: never echoed.
          message: "Upstream Gemini provider failed with status 503: its answer carried no error message"
        }
      }
    })
  })

  it("reads the flat error bodies of OpenAI-compatible servers", () => {
    expect(
      translateError(404, '{"error":"model \\"llama9\\" not found"}', "openai", "openai").body
    ).toStrictEqual({
      error: { message: 'model "llama9" not found', type: "not_found_error", param: null, code: null }
    })
    expect(
      translateError(422, '{"detail":"max_tokens must be positive"}', "openai", "anthropic").body
    ).toStrictEqual({
      type: "error",
      error: { type: "invalid_request_error", message: "max_tokens must be positive" }
    })
  })

  it("a 4xx without a readable body still says something", () => {
    expect(translateError(404, "", "openai", "openai")).toStrictEqual({
      status: 404,
      body: {
        error: {
          message: "Upstream OpenAI-compatible provider returned status 404",
          type: "not_found_error",
          param: null,
          code: null
        }
      }
    })
  })
})
