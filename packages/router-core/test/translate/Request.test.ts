import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { type ClientRequest, parseClientRequest } from "../../src/translate/ClientRequest.ts"
import type { ClientFormat, UpstreamFormat } from "../../src/translate/Formats.ts"
import { translateRequest } from "../../src/translate/Request.ts"
import { fixtureJson } from "./sse.ts"

const parse = (format: ClientFormat, body: unknown): ClientRequest => {
  const r = parseClientRequest(format, body)
  if (Either.isLeft(r)) throw new Error(`invalid: ${r.left.field} ${r.left.message}`)
  return r.right
}

const translate = (format: ClientFormat, body: unknown, to: UpstreamFormat, strict = false) =>
  translateRequest(parse(format, body), to, { upstreamModel: "up-model", strict })

const right = <A, E>(e: Either.Either<A, E>): A => {
  if (Either.isLeft(e)) throw new Error(`expected Right, got ${JSON.stringify(e.left)}`)
  return e.right
}

const weatherSchema = { type: "object", properties: { city: { type: "string" } }, required: ["city"] }

describe("OpenAI client → Anthropic upstream", () => {
  it("carries system prompts, images, parallel tool calls and results, cache_control and parameters", () => {
    const out = right(translate("openai", fixtureJson("requests/openai-agent.json"), "anthropic"))
    expect(out.dropped).toEqual([])
    expect(out.body).toStrictEqual({
      model: "up-model",
      max_tokens: 1000,
      system: [
        { type: "text", text: "You are a weather bot.", cache_control: { type: "ephemeral" } },
        { type: "text", text: "Answer briefly." }
      ],
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Weather in these two places?" },
            { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
            { type: "image", source: { type: "url", url: "https://example.com/tokyo.jpg" } }
          ]
        },
        {
          role: "assistant",
          content: [
            { type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Zürich" } },
            { type: "tool_use", id: "call_2", name: "get_weather", input: { city: "東京" } }
          ]
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "call_1", content: "12°C, rain" },
            { type: "tool_result", tool_use_id: "call_2", content: "21°C, sun" },
            { type: "text", text: "Thanks! Which is warmer?" }
          ]
        }
      ],
      stream: true,
      temperature: 0.2,
      top_p: 0.9,
      stop_sequences: ["END"],
      tools: [
        { name: "get_weather", description: "Current weather for a city", input_schema: weatherSchema }
      ],
      tool_choice: { type: "any", disable_parallel_tool_use: true },
      metadata: { user_id: "user-42" }
    })
  })

  it("maps reasoning_effort to a thinking budget below max_tokens, and lists what Anthropic lacks", () => {
    const out = right(
      translate(
        "openai",
        {
          model: "m",
          messages: [{ role: "user", content: "hi" }],
          max_tokens: 500,
          reasoning_effort: "medium",
          seed: 7,
          logit_bias: { "50256": -100 },
          presence_penalty: 0.5
        },
        "anthropic"
      )
    )
    expect(out.body).toStrictEqual({
      model: "up-model",
      max_tokens: 4596,
      messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
      thinking: { type: "enabled", budget_tokens: 4096 }
    })
    expect(out.dropped).toEqual(["logit_bias", "seed", "presence_penalty"])
  })

  it("gives Anthropic a max_tokens when the client set none", () => {
    const out = right(
      translate("openai", { model: "m", messages: [{ role: "user", content: "hi" }] }, "anthropic")
    )
    expect((out.body as { max_tokens: number }).max_tokens).toBe(8192)
  })
})

describe("Anthropic client → OpenAI upstream", () => {
  it("carries system, images, tool use and results, metadata.user_id, stops and thinking budget", () => {
    const out = right(translate("anthropic", fixtureJson("requests/anthropic-agent.json"), "openai"))
    expect(out.body).toStrictEqual({
      model: "up-model",
      messages: [
        {
          role: "system",
          content: [
            { type: "text", text: "You are a weather bot." },
            { type: "text", text: "Long shared context…" }
          ]
        },
        {
          role: "user",
          content: [
            { type: "image_url", image_url: { url: "data:image/jpeg;base64,/9j/4AAQ" } },
            { type: "text", text: "Weather here and in Tokyo?" }
          ]
        },
        {
          role: "assistant",
          content: "Let me check.",
          tool_calls: [
            {
              id: "toolu_01",
              type: "function",
              function: { name: "get_weather", arguments: '{"city":"Zürich"}' }
            },
            {
              id: "toolu_02",
              type: "function",
              function: { name: "get_weather", arguments: '{"city":"東京"}' }
            }
          ]
        },
        { role: "tool", tool_call_id: "toolu_01", content: "12°C, rain" },
        { role: "tool", tool_call_id: "toolu_02", content: "service down" },
        { role: "user", content: "Which is warmer?" }
      ],
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: 1024,
      temperature: 0.5,
      stop: ["END"],
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            description: "Current weather for a city",
            parameters: weatherSchema
          }
        }
      ],
      parallel_tool_calls: false,
      tool_choice: { type: "function", function: { name: "get_weather" } },
      reasoning_effort: "low",
      user: "user-42"
    })
    // cache_control, the signed thinking block, is_error and top_k have no OpenAI equivalent.
    expect(out.dropped).toEqual(["cache_control", "thinking", "is_error", "top_k"])
  })

  it("uses max_tokens for OpenAI-compatible servers that want it", () => {
    const req = parse("anthropic", {
      model: "m",
      max_tokens: 64,
      messages: [{ role: "user", content: "hi" }]
    })
    const out = right(
      translateRequest(req, "openai", {
        upstreamModel: "llama",
        strict: false,
        openaiMaxTokensField: "max_tokens"
      })
    )
    expect(out.body).toStrictEqual({
      model: "llama",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 64
    })
  })
})

describe("→ Gemini upstream", () => {
  it("from OpenAI: contents, inline and file images, function calls and responses, generation config", () => {
    const out = right(translate("openai", fixtureJson("requests/openai-agent.json"), "gemini"))
    expect(out.body).toStrictEqual({
      contents: [
        {
          role: "user",
          parts: [
            { text: "Weather in these two places?" },
            { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } },
            { fileData: { mimeType: "image/jpeg", fileUri: "https://example.com/tokyo.jpg" } }
          ]
        },
        {
          role: "model",
          parts: [
            { functionCall: { name: "get_weather", args: { city: "Zürich" } } },
            { functionCall: { name: "get_weather", args: { city: "東京" } } }
          ]
        },
        {
          role: "user",
          parts: [
            { functionResponse: { name: "get_weather", response: { output: "12°C, rain" } } },
            { functionResponse: { name: "get_weather", response: { output: "21°C, sun" } } },
            { text: "Thanks! Which is warmer?" }
          ]
        }
      ],
      systemInstruction: { parts: [{ text: "You are a weather bot." }, { text: "Answer briefly." }] },
      tools: [
        {
          functionDeclarations: [
            {
              name: "get_weather",
              description: "Current weather for a city",
              parametersJsonSchema: weatherSchema
            }
          ]
        }
      ],
      toolConfig: { functionCallingConfig: { mode: "ANY" } },
      generationConfig: { temperature: 0.2, topP: 0.9, maxOutputTokens: 1000, stopSequences: ["END"] }
    })
    expect(out.dropped).toEqual(["cache_control", "parallel_tool_calls", "user"])
  })

  it("from Anthropic: errors as error responses, top_k, thinking budget, forced tool", () => {
    const out = right(translate("anthropic", fixtureJson("requests/anthropic-agent.json"), "gemini"))
    const body = out.body as { contents: Array<unknown>; toolConfig: unknown; generationConfig: unknown }
    expect(body.contents[2]).toStrictEqual({
      role: "user",
      parts: [
        { functionResponse: { name: "get_weather", response: { output: "12°C, rain" } } },
        { functionResponse: { name: "get_weather", response: { error: "service down" } } },
        { text: "Which is warmer?" }
      ]
    })
    expect(body.toolConfig).toStrictEqual({
      functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_weather"] }
    })
    expect(body.generationConfig).toStrictEqual({
      temperature: 0.5,
      topK: 40,
      maxOutputTokens: 1024,
      stopSequences: ["END"],
      thinkingConfig: { thinkingBudget: 2048, includeThoughts: true }
    })
    expect(out.dropped).toEqual([
      "thinking",
      "cache_control",
      "tool_choice.disable_parallel_tool_use",
      "metadata.user_id"
    ])
  })

  it("gives a function call back its thought signature, carried in the tool call id", () => {
    const out = right(
      translate(
        "openai",
        {
          model: "m",
          messages: [
            { role: "user", content: "go" },
            {
              role: "assistant",
              content: null,
              tool_calls: [
                {
                  id: "call_abc__sig_CiQB0e2Kb-Ab_c9xQw",
                  type: "function",
                  function: { name: "f", arguments: "{}" }
                }
              ]
            },
            { role: "tool", tool_call_id: "call_abc__sig_CiQB0e2Kb-Ab_c9xQw", content: "done" }
          ],
          seed: 3,
          response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object" } } }
        },
        "gemini"
      )
    )
    const body = out.body as { contents: Array<{ parts: Array<unknown> }>; generationConfig: unknown }
    expect(body.contents[1]!.parts[0]).toStrictEqual({
      functionCall: { name: "f", args: {} },
      thoughtSignature: "CiQB0e2Kb+Ab/c9xQw=="
    })
    expect(body.contents[2]!.parts[0]).toStrictEqual({
      functionResponse: { name: "f", response: { output: "done" } }
    })
    expect(body.generationConfig).toStrictEqual({
      seed: 3,
      responseMimeType: "application/json",
      responseJsonSchema: { type: "object" }
    })
    expect(out.dropped).toEqual([])
  })

  it("strips the signature from ids sent to OpenAI or Anthropic", () => {
    const body = {
      model: "m",
      messages: [
        { role: "user", content: "go" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "call_abc__sig_CiQB", type: "function", function: { name: "f", arguments: "" } }]
        },
        { role: "tool", tool_call_id: "call_abc__sig_CiQB", content: "done" }
      ]
    }
    const out = right(translate("openai", body, "anthropic")).body as {
      messages: Array<{ content: Array<unknown> }>
    }
    expect(out.messages[1]!.content[0]).toStrictEqual({
      type: "tool_use",
      id: "call_abc",
      name: "f",
      input: {}
    })
    expect(out.messages[2]!.content[0]).toStrictEqual({
      type: "tool_result",
      tool_use_id: "call_abc",
      content: "done"
    })
  })
})

describe("same format", () => {
  it("openai → openai: the client's body with the upstream model, and usage always requested on streams", () => {
    const body = {
      model: "gpt-4o",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
      logit_bias: { "1": 2 }
    }
    const out = right(translate("openai", body, "openai"))
    expect(out).toStrictEqual({
      body: { ...body, model: "up-model", stream_options: { include_usage: true } },
      dropped: []
    })
    const withOptions = right(
      translate(
        "openai",
        { ...body, stream_options: { include_usage: false, include_obfuscation: false } },
        "openai"
      )
    )
    expect((withOptions.body as { stream_options: unknown }).stream_options).toStrictEqual({
      include_usage: true,
      include_obfuscation: false
    })
    const unary = right(
      translate("openai", { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }, "openai")
    )
    expect(unary.body).toStrictEqual({ model: "up-model", messages: [{ role: "user", content: "hi" }] })
  })

  it("anthropic → anthropic keeps cache_control and everything else", () => {
    const body = fixtureJson("requests/anthropic-agent.json") as Record<string, unknown>
    const out = right(translate("anthropic", body, "anthropic", true))
    expect(out).toStrictEqual({ body: { ...body, model: "up-model" }, dropped: [] })
  })
})

describe("strict mode", () => {
  const cached = {
    model: "m",
    max_tokens: 10,
    system: [{ type: "text", text: "ctx", cache_control: { type: "ephemeral" } }],
    messages: [{ role: "user", content: "hi" }]
  }

  it("cache_control sent to Anthropic is kept, even in strict mode", () => {
    const out = right(
      translate(
        "openai",
        {
          model: "m",
          messages: [
            {
              role: "system",
              content: [{ type: "text", text: "ctx", cache_control: { type: "ephemeral" } }]
            },
            { role: "user", content: "hi" }
          ]
        },
        "anthropic",
        true
      )
    )
    expect((out.body as { system: unknown }).system).toStrictEqual([
      { type: "text", text: "ctx", cache_control: { type: "ephemeral" } }
    ])
  })

  it("cache_control sent to OpenAI is listed as dropped, and refused in strict mode naming the field", () => {
    expect(right(translate("anthropic", cached, "openai")).dropped).toEqual(["cache_control"])
    const refused = translate("anthropic", cached, "openai", true)
    expect(Either.isLeft(refused)).toBe(true)
    if (Either.isLeft(refused)) {
      expect(refused.left._tag).toBe("StrictModeViolation")
      expect(refused.left.field).toBe("cache_control")
      expect(refused.left.fields).toEqual(["cache_control"])
      expect(refused.left.message).toContain("'cache_control'")
    }
  })

  it("top_k to OpenAI and user to Gemini are refused in strict mode", () => {
    const topK = translate(
      "anthropic",
      { model: "m", max_tokens: 10, top_k: 5, messages: [{ role: "user", content: "hi" }] },
      "openai",
      true
    )
    expect(Either.isLeft(topK) && topK.left.field).toBe("top_k")
    const user = translate(
      "openai",
      { model: "m", user: "u", messages: [{ role: "user", content: "hi" }] },
      "gemini",
      true
    )
    expect(Either.isLeft(user) && user.left.field).toBe("user")
    // …and pass when nothing is lost.
    expect(
      Either.isRight(
        translate(
          "anthropic",
          { model: "m", max_tokens: 10, top_k: 5, messages: [{ role: "user", content: "hi" }] },
          "gemini",
          true
        )
      )
    ).toBe(true)
  })
})
