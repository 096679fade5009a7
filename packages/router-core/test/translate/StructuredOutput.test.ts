import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { anthropicCapabilities } from "../../src/providers/anthropic/capabilities.ts"
import type { ModelCapabilities } from "../../src/providers/Capabilities.ts"
import { geminiCapabilities } from "../../src/providers/google/capabilities.ts"
import { openaiCapabilities } from "../../src/providers/openai/capabilities.ts"
import { xaiCapabilities } from "../../src/providers/xai/capabilities.ts"
import { type ClientRequest, parseClientRequest } from "../../src/translate/ClientRequest.ts"
import type { ClientFormat, UpstreamFormat } from "../../src/translate/Formats.ts"
import { translateRequest } from "../../src/translate/Request.ts"
import { translateResponse } from "../../src/translate/Response.ts"
import { makeStreamTranslator } from "../../src/translate/Stream.ts"
import { strictCompatible } from "../../src/translate/StructuredOutput.ts"
import { validateOpenAI } from "./openaiSpec.ts"
import { dataEvents, randomSplits, run } from "./sse.ts"

const parse = (format: ClientFormat, body: unknown): ClientRequest => {
  const r = parseClientRequest(format, body)
  if (Either.isLeft(r)) throw new Error(`invalid: ${r.left.field} ${r.left.message}`)
  return r.right
}

const right = <A, E>(e: Either.Either<A, E>): A => {
  if (Either.isLeft(e)) throw new Error(`expected Right, got ${JSON.stringify(e.left)}`)
  return e.right
}

const translate = (
  format: ClientFormat,
  body: unknown,
  to: UpstreamFormat,
  capabilities: ModelCapabilities,
  strict = false
) => translateRequest(parse(format, body), to, { upstreamModel: "up-model", strict, capabilities })

const schema = {
  type: "object",
  properties: { answer: { type: "number" }, unit: { type: "string" } },
  required: ["answer", "unit"],
  additionalProperties: false
}
const user = [{ role: "user", content: "2+2?" }]
const openaiSchemaRequest = {
  model: "m",
  messages: user,
  response_format: {
    type: "json_schema",
    json_schema: { name: "math_answer", schema, strict: true }
  }
}
const anthropicSchemaRequest = {
  model: "m",
  max_tokens: 100,
  messages: user,
  output_config: { format: { type: "json_schema", schema } }
}
const weatherTool = {
  type: "function",
  function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } }
}

describe("OpenAI response_format → Anthropic", () => {
  it("a model with native structured output gets output_config.format", () => {
    const out = right(
      translate("openai", openaiSchemaRequest, "anthropic", anthropicCapabilities("claude-sonnet-4-5"))
    )
    expect(out.dropped).toEqual([])
    expect(out.outputTool).toBeUndefined()
    expect(out.body).toMatchObject({ output_config: { format: { type: "json_schema", schema } } })
    expect((out.body as Record<string, unknown>).tools).toBeUndefined()
  })

  it("an older model gets a forced tool with the schema, named after it, one call only", () => {
    const out = right(
      translate("openai", openaiSchemaRequest, "anthropic", anthropicCapabilities("claude-3-5-haiku-latest"))
    )
    expect(out.outputTool).toBe("math_answer")
    expect(out.dropped).toEqual([])
    const body = out.body as Record<string, unknown>
    expect(body.output_config).toBeUndefined()
    expect(body.tools).toEqual([
      { name: "math_answer", description: expect.any(String), input_schema: schema }
    ])
    expect(body.tool_choice).toEqual({ type: "tool", name: "math_answer", disable_parallel_tool_use: true })
  })

  it("json_object (no schema) is a forced tool taking any object, on any Claude", () => {
    const out = right(
      translate(
        "openai",
        { model: "m", messages: user, response_format: { type: "json_object" } },
        "anthropic",
        anthropicCapabilities("claude-sonnet-4-5")
      )
    )
    expect(out.outputTool).toBe("json_response")
    expect((out.body as { tools: Array<unknown> }).tools).toEqual([
      { name: "json_response", description: expect.any(String), input_schema: { type: "object" } }
    ])
  })

  it("beside the client's own tools, some tool call is forced, and a clashing name is avoided", () => {
    const out = right(
      translate(
        "openai",
        {
          ...openaiSchemaRequest,
          response_format: { type: "json_schema", json_schema: { name: "get_weather", schema } },
          tools: [weatherTool]
        },
        "anthropic",
        anthropicCapabilities("claude-3-5-haiku-latest")
      )
    )
    const body = out.body as { tools: Array<{ name: string }>; tool_choice: unknown }
    expect(out.outputTool).toBe("json_response")
    expect(body.tools.map((t) => t.name)).toEqual(["get_weather", "json_response"])
    expect(body.tool_choice).toEqual({ type: "any" })
  })

  it("reasoning cannot go with a forced tool on Anthropic: dropped and reported, refused when strict", () => {
    const body = { ...openaiSchemaRequest, reasoning_effort: "high" }
    const caps = anthropicCapabilities("claude-3-7-sonnet-latest")
    const out = right(translate("openai", body, "anthropic", caps))
    expect((out.body as Record<string, unknown>).thinking).toBeUndefined()
    expect(out.dropped).toEqual(["reasoning_effort"])
    const refused = translate("openai", body, "anthropic", caps, true)
    expect(Either.isLeft(refused) && refused.left.field).toBe("reasoning_effort")
  })
})

describe("Anthropic output_config.format → OpenAI and Gemini", () => {
  it("OpenAI gets response_format json_schema, strict when the schema allows", () => {
    const out = right(
      translate("anthropic", anthropicSchemaRequest, "openai", openaiCapabilities("gpt-4o-mini"))
    )
    expect(out.dropped).toEqual([])
    expect((out.body as Record<string, unknown>).response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "response", schema, strict: true }
    })
    const loose = { type: "object", properties: { a: { type: "string" } } }
    const out2 = right(
      translate(
        "anthropic",
        { ...anthropicSchemaRequest, output_config: { format: { type: "json_schema", schema: loose } } },
        "openai",
        openaiCapabilities("gpt-4o-mini")
      )
    )
    expect((out2.body as Record<string, unknown>).response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "response", schema: loose }
    })
  })

  it("the beta's output_format is read the same way; Gemini gets responseJsonSchema", () => {
    const body = {
      model: "m",
      max_tokens: 100,
      messages: user,
      output_format: { type: "json_schema", schema }
    }
    const out = right(translate("anthropic", body, "gemini", geminiCapabilities("gemini-2.5-flash")))
    expect(out.dropped).toEqual([])
    expect((out.body as { generationConfig: unknown }).generationConfig).toEqual({
      maxOutputTokens: 100,
      responseMimeType: "application/json",
      responseJsonSchema: schema
    })
  })

  it("Gemini 2.5 with functions declared gets a forced function call instead", () => {
    const body = {
      ...anthropicSchemaRequest,
      tools: [{ name: "get_weather", input_schema: { type: "object", properties: {} } }]
    }
    const out = right(translate("anthropic", body, "gemini", geminiCapabilities("gemini-2.5-flash")))
    expect(out.outputTool).toBe("response")
    const g = out.body as {
      tools: Array<{ functionDeclarations: Array<{ name: string; parametersJsonSchema: unknown }> }>
      toolConfig: unknown
      generationConfig: Record<string, unknown>
    }
    expect(g.tools[0]!.functionDeclarations.map((d) => d.name)).toEqual(["get_weather", "response"])
    expect(g.tools[0]!.functionDeclarations[1]!.parametersJsonSchema).toEqual(schema)
    expect(g.toolConfig).toEqual({ functionCallingConfig: { mode: "ANY" } })
    expect(g.generationConfig.responseJsonSchema).toBeUndefined()
    // Gemini 3 takes both together.
    const native = right(translate("anthropic", body, "gemini", geminiCapabilities("gemini-3-pro-preview")))
    expect(native.outputTool).toBeUndefined()
  })

  it("output_config.effort is the reasoning effort; unknown output_config keys are reported", () => {
    const body = {
      ...anthropicSchemaRequest,
      output_config: { format: anthropicSchemaRequest.output_config.format, effort: "max", task_budget: 9 }
    }
    const out = right(translate("anthropic", body, "openai", openaiCapabilities("o4-mini")))
    expect((out.body as Record<string, unknown>).reasoning_effort).toBe("xhigh")
    expect(out.dropped).toEqual(["output_config.task_budget"])
  })
})

describe("same format, emulated", () => {
  it("an Anthropic client's schema to an older Claude is translated into the forced tool", () => {
    const out = right(
      translate(
        "anthropic",
        anthropicSchemaRequest,
        "anthropic",
        anthropicCapabilities("claude-3-5-haiku-latest")
      )
    )
    expect(out.outputTool).toBe("response")
    expect(out.body).toMatchObject({ tool_choice: { type: "tool", name: "response" } })
    expect((out.body as Record<string, unknown>).output_config).toBeUndefined()
  })

  it("to a current Claude it passes through untouched", () => {
    const out = right(
      translate("anthropic", anthropicSchemaRequest, "anthropic", anthropicCapabilities("claude-opus-4-1"))
    )
    expect(out.outputTool).toBeUndefined()
    expect(out.body).toEqual({ ...anthropicSchemaRequest, model: "up-model" })
  })
})

describe("answers of an emulated request", () => {
  const anthropicToolAnswer = {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "claude-3-5-haiku-latest",
    content: [{ type: "tool_use", id: "toolu_1", name: "math_answer", input: { answer: 4, unit: "apples" } }],
    stop_reason: "tool_use",
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 5 }
  }

  it("the tool's input is the OpenAI answer's content, finished by a stop", () => {
    const out = right(
      translateResponse(anthropicToolAnswer, "anthropic", "openai", {
        requestedModel: "m",
        outputTool: "math_answer"
      })
    )
    const body = out.body as {
      choices: Array<{ message: { content: string; tool_calls?: unknown }; finish_reason: string }>
    }
    expect(JSON.parse(body.choices[0]!.message.content)).toEqual({ answer: 4, unit: "apples" })
    expect(body.choices[0]!.message.tool_calls).toBeUndefined()
    expect(body.choices[0]!.finish_reason).toBe("stop")
    expect(validateOpenAI("CreateChatCompletionResponse", body)).toEqual([])
  })

  it("an Anthropic client gets a text block from its own upstream's tool call", () => {
    const out = right(
      translateResponse(anthropicToolAnswer, "anthropic", "anthropic", {
        requestedModel: "m",
        outputTool: "math_answer"
      })
    )
    expect(out.body).toMatchObject({
      content: [{ type: "text", text: JSON.stringify({ answer: 4, unit: "apples" }) }],
      stop_reason: "end_turn"
    })
  })

  it("a Gemini function call is unwrapped for an Anthropic client; other tool calls stay", () => {
    const gemini = {
      candidates: [
        {
          content: {
            role: "model",
            parts: [
              { functionCall: { name: "get_weather", args: { city: "Oslo" } } },
              { functionCall: { name: "response", args: { answer: 4, unit: "x" } } }
            ]
          },
          finishReason: "STOP"
        }
      ],
      usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2 }
    }
    const out = right(
      translateResponse(gemini, "gemini", "anthropic", { requestedModel: "m", outputTool: "response" })
    )
    expect(out.body).toMatchObject({
      content: [
        { type: "tool_use", name: "get_weather", input: { city: "Oslo" } },
        { type: "text", text: JSON.stringify({ answer: 4, unit: "x" }) }
      ],
      stop_reason: "tool_use"
    })
  })

  it("streamed: the tool's argument fragments arrive as text deltas, however the bytes are cut", async () => {
    const events = [
      [
        "message_start",
        {
          type: "message_start",
          message: {
            ...anthropicToolAnswer,
            content: [],
            stop_reason: null,
            usage: { input_tokens: 10, output_tokens: 1 }
          }
        }
      ],
      [
        "content_block_start",
        {
          type: "content_block_start",
          index: 0,
          content_block: { type: "tool_use", id: "toolu_1", name: "math_answer", input: {} }
        }
      ],
      [
        "content_block_delta",
        {
          type: "content_block_delta",
          index: 0,
          delta: { type: "input_json_delta", partial_json: '{"answer": 4,' }
        }
      ],
      [
        "content_block_delta",
        {
          type: "content_block_delta",
          index: 0,
          delta: { type: "input_json_delta", partial_json: ' "unit": "apples"}' }
        }
      ],
      ["content_block_stop", { type: "content_block_stop", index: 0 }],
      [
        "message_delta",
        {
          type: "message_delta",
          delta: { stop_reason: "tool_use", stop_sequence: null },
          usage: { output_tokens: 9 }
        }
      ],
      ["message_stop", { type: "message_stop" }]
    ] as const
    const text = events.map(([e, d]) => `event: ${e}\ndata: ${JSON.stringify(d)}\n\n`).join("")
    const bytes = new TextEncoder().encode(text)
    for (const seed of [1, 2, 3]) {
      const t = makeStreamTranslator("anthropic", "openai", {
        requestedModel: "m",
        clientWantsUsage: false,
        outputTool: "math_answer"
      })
      const out = await run(t, randomSplits(bytes, seed, 9))
      const chunks = dataEvents(out.text).filter((c) => c !== "[DONE]") as Array<{
        choices: Array<{ delta: { content?: string; tool_calls?: unknown }; finish_reason: string | null }>
      }>
      for (const c of chunks) expect(validateOpenAI("CreateChatCompletionStreamResponse", c)).toEqual([])
      const content = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")
      expect(JSON.parse(content)).toEqual({ answer: 4, unit: "apples" })
      expect(chunks.some((c) => c.choices[0]?.delta.tool_calls !== undefined)).toBe(false)
      expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("stop")
      expect(t.usage()).toMatchObject({ inputTokens: 10, outputTokens: 9 })
    }
  })
})

describe("strictCompatible", () => {
  it("accepts closed objects with every property required, at any depth", () => {
    expect(strictCompatible(schema)).toBe(true)
    expect(
      strictCompatible({
        type: "object",
        properties: { list: { type: "array", items: schema } },
        required: ["list"],
        additionalProperties: false
      })
    ).toBe(true)
  })
  it("refuses open objects and optional properties", () => {
    expect(strictCompatible({ ...schema, additionalProperties: true })).toBe(false)
    expect(strictCompatible({ ...schema, required: ["answer"] })).toBe(false)
    expect(
      strictCompatible({
        type: "object",
        properties: { x: { anyOf: [{ type: "object", properties: {} }] } },
        required: ["x"],
        additionalProperties: false
      })
    ).toBe(false)
  })
})

describe("capability tables", () => {
  it("OpenAI: reasoning_effort for o-series and GPT-5 on, not gpt-4o or gpt-5-chat", () => {
    for (const m of ["o1", "o3-mini", "o4-mini", "gpt-5", "gpt-5-mini", "gpt-5.1", "gpt-5.1-chat-latest"])
      expect([m, openaiCapabilities(m).reasoning]).toEqual([m, "supported"])
    for (const m of ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-3.5-turbo", "gpt-5-chat-latest"])
      expect([m, openaiCapabilities(m).reasoning]).toEqual([m, "none"])
  })
  it("xAI: only grok-3-mini takes reasoning_effort", () => {
    expect(xaiCapabilities("grok-3-mini").reasoning).toBe("supported")
    expect(xaiCapabilities("grok-4").reasoning).toBe("none")
  })
  it("Anthropic: structured output and thinking by generation", () => {
    expect(anthropicCapabilities("claude-3-5-haiku-latest")).toMatchObject({
      structuredOutput: "tool",
      reasoning: "none"
    })
    expect(anthropicCapabilities("claude-3-7-sonnet-latest")).toMatchObject({
      structuredOutput: "tool",
      reasoning: "supported"
    })
    expect(anthropicCapabilities("claude-sonnet-4-20250514")).toMatchObject({ structuredOutput: "tool" })
    expect(anthropicCapabilities("claude-sonnet-4-5")).toMatchObject({
      structuredOutput: "native",
      reasoning: "supported"
    })
    expect(anthropicCapabilities("claude-opus-4-1")).toMatchObject({ structuredOutput: "native" })
    expect(anthropicCapabilities("claude-sonnet-5-5")).toMatchObject({ reasoning: "adaptive" })
  })
  it("Gemini: schema with functions from Gemini 3, thinking from 2.5", () => {
    expect(geminiCapabilities("gemini-2.0-flash")).toMatchObject({
      reasoning: "none",
      structuredOutputWithTools: false
    })
    expect(geminiCapabilities("gemini-2.5-flash")).toMatchObject({
      reasoning: "supported",
      structuredOutputWithTools: false
    })
    expect(geminiCapabilities("gemini-3-pro-preview")).toMatchObject({ structuredOutputWithTools: true })
  })
})
