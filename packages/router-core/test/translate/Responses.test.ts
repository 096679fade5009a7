/**
 * The Responses API as a client format: requests read into the neutral form (turns, tools,
 * `text.format` as the very field chat's `response_format` becomes, what is dropped), and every
 * upstream's answers (the fixtures of the other formats) written as spec-valid Responses and
 * Responses event streams, however the upstream bytes are cut.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { createParser } from "eventsource-parser"
import { fromOpenAI } from "../../src/providers/openai/fromOpenAI.ts"
import { fromResponses } from "../../src/providers/responses/fromResponses.ts"
import type { ResponsesRequest } from "../../src/providers/responses/wire.ts"
import { Dropped } from "../../src/translate/Canonical.ts"
import { parseClientRequest } from "../../src/translate/ClientRequest.ts"
import { translateRequest } from "../../src/translate/Request.ts"
import { translateResponse } from "../../src/translate/Response.ts"
import { makeStreamTranslator } from "../../src/translate/Stream.ts"
import { validateOpenAI, validateResponsesEvent } from "./openaiSpec.ts"
import { everyBytes, fixture, fixtureJson, randomSplits, run, toCrlf } from "./sse.ts"

const read = (body: ResponsesRequest) => {
  const dropped = new Dropped()
  return { request: fromResponses(body, dropped), dropped: dropped.fields }
}

describe("Responses requests in the neutral form", () => {
  it("instructions and system messages as the system prompt; items of one side as one turn", () => {
    const { request, dropped } = read({
      model: "m",
      instructions: "Be brief.",
      input: [
        { role: "developer", content: "Use metric units." },
        { role: "user", content: [{ type: "input_text", text: "Weather?" }] },
        {
          type: "reasoning",
          id: "rs_1",
          summary: [{ type: "summary_text", text: "Think." }],
          encrypted_content: "sig"
        },
        {
          type: "message",
          role: "assistant",
          content: [{ type: "output_text", text: "Checking.", annotations: [] }]
        },
        { type: "function_call", call_id: "call_1", name: "weather", arguments: '{"city":"Oslo"}' },
        { type: "function_call_output", call_id: "call_1", output: "3C" },
        { role: "user", content: "Thanks" }
      ]
    })
    expect(dropped).toEqual([])
    expect(request.system.map((p) => p.text)).toEqual(["Be brief.", "Use metric units."])
    expect(request.turns).toEqual([
      { role: "user", parts: [{ kind: "text", text: "Weather?", cache: undefined }] },
      {
        role: "assistant",
        parts: [
          { kind: "thinking", text: "Think.", signature: "sig", redactedData: undefined, field: "reasoning" },
          { kind: "text", text: "Checking.", cache: undefined },
          {
            kind: "toolCall",
            id: "call_1",
            name: "weather",
            argumentsJson: '{"city":"Oslo"}',
            cache: undefined
          }
        ]
      },
      {
        role: "user",
        parts: [
          {
            kind: "toolResult",
            toolCallId: "call_1",
            content: [{ kind: "text", text: "3C", cache: undefined }],
            isError: false,
            cache: undefined
          },
          { kind: "text", text: "Thanks", cache: undefined }
        ]
      }
    ])
  })

  it("text.format is the neutral responseFormat chat's response_format becomes", () => {
    const schema = { type: "object", properties: { a: { type: "string" } }, required: ["a"] }
    const viaResponses = read({
      model: "m",
      input: "x",
      text: { format: { type: "json_schema", name: "thing", schema, strict: true } }
    }).request.responseFormat
    const dropped = new Dropped()
    const viaChat = fromOpenAI(
      {
        model: "m",
        messages: [{ role: "user", content: "x" }],
        response_format: { type: "json_schema", json_schema: { name: "thing", schema, strict: true } }
      },
      dropped
    ).responseFormat
    expect(viaResponses).toEqual(viaChat)
    expect(
      read({ model: "m", input: "x", text: { format: { type: "json_object" } } }).request.responseFormat
    ).toEqual({
      type: "json_object"
    })
  })

  it("settings carried; what has no neutral form listed as dropped; the gateway's own fields never", () => {
    const { request, dropped } = read({
      model: "m",
      input: "x",
      max_output_tokens: 300,
      temperature: 0.5,
      top_p: 0.9,
      reasoning: { effort: "high", summary: "auto" },
      tool_choice: { type: "function", name: "weather" },
      parallel_tool_calls: false,
      tools: [
        { type: "function", name: "weather", parameters: { type: "object" }, strict: true },
        { type: "web_search" }
      ],
      text: { verbosity: "low" },
      include: ["reasoning.encrypted_content"],
      truncation: "disabled",
      metadata: { a: "b" },
      store: true,
      previous_response_id: "resp_1",
      safety_identifier: "user-7"
    })
    expect(request).toMatchObject({
      maxTokens: 300,
      temperature: 0.5,
      topP: 0.9,
      reasoning: { effort: "high" },
      toolChoice: { type: "tool", name: "weather" },
      parallelToolCalls: false,
      user: "user-7",
      tools: [{ name: "weather", strict: true }]
    })
    expect(dropped).toEqual(["include", "web_search", "text.verbosity"])
  })

  it("strict mode refuses what cannot be carried, naming it", () => {
    const parsed = parseClientRequest("responses", {
      model: "claude-sonnet-4-5",
      input: "x",
      tools: [{ type: "web_search" }]
    })
    const refused = translateRequest(Either.getOrThrow(parsed), "anthropic", {
      upstreamModel: "m",
      strict: true
    })
    expect(Either.isLeft(refused) && refused.left.field).toBe("web_search")
  })
})

// ---------------------------------------------------------------------------------------------

const upstreams = [
  ["openai", "openai/stream-tools.sse", "openai/response-tools.json"],
  ["anthropic", "anthropic/stream-tools.sse", "anthropic/response-tools.json"],
  ["gemini", "gemini/stream-tools.sse", "gemini/response-tools.json"]
] as const

const eventsOf = (text: string) => {
  const events: Array<{ event: string | undefined; data: Record<string, unknown> }> = []
  createParser({ onEvent: (e) => events.push({ event: e.event, data: JSON.parse(e.data) }) }).feed(text)
  return events
}

/** Random ids of the gateway's items, and times, compared by shape. */
const normalize = (text: string) =>
  text
    .replace(/(resp|msg|fc|rs)_[0-9a-f]{48}/g, "$1_ID")
    .replace(/call_[0-9a-f]{24}/g, "call_ID")
    .replace(/"(created_at|completed_at)":\d+/g, '"$1":0')

describe("every upstream's answers as Responses", () => {
  for (const [from, stream, json] of upstreams) {
    it(`${from}: a spec-valid Response`, () => {
      const translated = translateResponse(fixtureJson(json), from, "responses", {
        requestedModel: "my-model",
        request: { model: "my-model", input: "x", metadata: { k: "v" } }
      })
      const body = Either.getOrThrow(translated).body as Record<string, unknown>
      expect(validateOpenAI("Response", body)).toEqual([])
      expect(body).toMatchObject({ object: "response", model: "my-model", metadata: { k: "v" } })
      expect((body.output as Array<{ type: string }>).some((o) => o.type === "function_call")).toBe(true)
    })

    it(`${from}: the same spec-valid event stream however the bytes arrive`, async () => {
      const bytes = fixture(stream)
      const deliveries = [
        [bytes],
        everyBytes(bytes, 1),
        randomSplits(bytes, 3),
        randomSplits(toCrlf(bytes), 9)
      ]
      const outputs: Array<string> = []
      for (const chunks of deliveries) {
        const t = makeStreamTranslator(from, "responses", {
          requestedModel: "my-model",
          clientWantsUsage: false,
          id: "resp_fixed"
        })
        const { text } = await run(t, chunks)
        const events = eventsOf(text)
        events.forEach((e, i) => {
          expect(e.event).toBe(e.data.type)
          expect(e.data.sequence_number).toBe(i)
          expect(validateResponsesEvent(e.data)).toEqual([])
        })
        expect(events[0]!.data.type).toBe("response.created")
        expect(events.at(-1)!.data.type).toBe("response.completed")
        expect(t.usage().estimated).toBe(false)
        outputs.push(normalize(text))
      }
      expect(new Set(outputs).size).toBe(1)
    })
  }

  it("an answer cut by the output limit is an incomplete Response", () => {
    const translated = translateResponse(
      {
        id: "c",
        object: "chat.completion",
        created: 1,
        model: "m",
        choices: [{ index: 0, message: { role: "assistant", content: "cut" }, finish_reason: "length" }],
        usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 }
      },
      "openai",
      "responses",
      { requestedModel: "m" }
    )
    const body = Either.getOrThrow(translated).body
    expect(validateOpenAI("Response", body)).toEqual([])
    expect(body).toMatchObject({
      status: "incomplete",
      completed_at: null,
      incomplete_details: { reason: "max_output_tokens" }
    })
  })
})
