/**
 * Structured output, with each client's own parser, on every provider, streamed and not: the
 * openai SDK's `chat.completions.parse` / `.stream` with a zod format, the Anthropic SDK's
 * `messages.parse` / `.stream` with `output_config.format`, and the AI SDK's `generateObject` /
 * `streamObject` through `openai.chat(...)`, `@ai-sdk/openai-compatible` and `@ai-sdk/anthropic`.
 * The fakes answer the way each provider would for what it was asked (`ModelFakes.ts`), so a
 * request that lost its schema on the way gets prose back and the client's parse fails.
 */
import { createAnthropic } from "@ai-sdk/anthropic"
import { createOpenAI } from "@ai-sdk/openai"
import { createOpenAICompatible } from "@ai-sdk/openai-compatible"
import Anthropic from "@anthropic-ai/sdk"
import { zodOutputFormat } from "@anthropic-ai/sdk/helpers/zod"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { generateObject, type LanguageModel, streamObject } from "ai"
import OpenAI from "openai"
import { zodResponseFormat } from "openai/helpers/zod"
import { z } from "zod"
import { validateOpenAI } from "../../../packages/router-core/test/translate/openaiSpec.ts"
import { type FakeUpstream, startFake } from "./FakeUpstream.ts"
import { startRouter, TEST_KEY, type TestRouter } from "./Harness.ts"
import { anthropicModel, geminiModel, openaiModel } from "./ModelFakes.ts"

const Answer = z.object({ answer: z.number(), unit: z.string() })
const answer = { answer: 4, unit: "apples" }

let openaiFake: FakeUpstream
let anthropicFake: FakeUpstream
let geminiFake: FakeUpstream
let router: TestRouter
let openai: OpenAI
let anthropic: Anthropic

beforeAll(async () => {
  openaiFake = await startFake(openaiModel(answer))
  anthropicFake = await startFake(anthropicModel(answer))
  geminiFake = await startFake(geminiModel(answer))
  router = await startRouter({
    env: {
      OPENAI_BASE_URL: `${openaiFake.url}/v1`,
      OPENAI_API_KEY: "sk-openai",
      ANTHROPIC_BASE_URL: anthropicFake.url,
      ANTHROPIC_API_KEY: "sk-ant",
      GOOGLE_AI_BASE_URL: `${geminiFake.url}/v1beta`,
      GOOGLE_AI_KEY: "g-key"
    }
  })
  openai = new OpenAI({ apiKey: TEST_KEY, baseURL: `${router.url}/v1`, maxRetries: 0 })
  anthropic = new Anthropic({ apiKey: TEST_KEY, baseURL: router.url, maxRetries: 0 })
})

afterAll(async () => {
  await router.close()
  await Promise.all([openaiFake.close(), anthropicFake.close(), geminiFake.close()])
})

const lastBody = (fake: FakeUpstream) => JSON.parse(fake.received.at(-1)!.body)

/** Each model, the fake that serves it, and what that upstream must have been asked. */
const models: Array<{
  readonly model: string
  readonly fake: () => FakeUpstream
  /** How the upstream request carried the schema. */
  readonly asked: (body: ReturnType<typeof JSON.parse>) => void
}> = [
  {
    model: "gpt-4o-mini",
    fake: () => openaiFake,
    asked: (body) => expect(body.response_format.type).toBe("json_schema")
  },
  {
    model: "claude-sonnet-4-5",
    fake: () => anthropicFake,
    asked: (body) => expect(body.output_config.format.schema.properties.answer).toBeDefined()
  },
  {
    // No native structured output: a forced tool, unwrapped into the answer's text.
    model: "claude-3-5-haiku-latest",
    fake: () => anthropicFake,
    asked: (body) => {
      expect(body.output_config).toBeUndefined()
      expect(body.tool_choice.type).toBe("tool")
    }
  },
  {
    model: "gemini-2.5-flash",
    fake: () => geminiFake,
    asked: (body) => expect(body.generationConfig.responseMimeType).toBe("application/json")
  }
]

/** A parsed completion with the SDK's own additions removed, as the router sent it. */
const asSent = (completion: OpenAI.Chat.Completions.ParsedChatCompletion<unknown>) => ({
  ...completion,
  choices: completion.choices.map(({ message: { parsed: _, ...message }, ...choice }) => ({
    ...choice,
    message
  }))
})

describe("openai SDK: chat.completions.parse and .stream with zodResponseFormat", () => {
  for (const { model, fake, asked } of models) {
    it(`${model}: parsed, and the answer is spec-valid`, async () => {
      const completion = await openai.chat.completions.parse({
        model,
        messages: [{ role: "user", content: "2 + 2 apples?" }],
        response_format: zodResponseFormat(Answer, "math_answer")
      })
      expect(completion.choices[0]!.message.parsed).toEqual(answer)
      expect(completion.choices[0]!.finish_reason).toBe("stop")
      expect(validateOpenAI("CreateChatCompletionResponse", asSent(completion))).toEqual([])
      asked(lastBody(fake()))
    })

    it(`${model}: streamed, every chunk spec-valid, the final completion parsed`, async () => {
      const stream = openai.chat.completions.stream({
        model,
        messages: [{ role: "user", content: "2 + 2 apples?" }],
        response_format: zodResponseFormat(Answer, "math_answer"),
        stream_options: { include_usage: true }
      })
      const invalid: Array<string> = []
      stream.on("chunk", (chunk) =>
        invalid.push(...validateOpenAI("CreateChatCompletionStreamResponse", chunk))
      )
      const final = await stream.finalChatCompletion()
      expect(final.choices[0]!.message.parsed).toEqual(answer)
      expect(final.choices[0]!.message.tool_calls ?? []).toEqual([])
      expect(invalid).toEqual([])
      asked(lastBody(fake()))
    })
  }
})

/** Anthropic clients' view of the same models (OpenAI's served by the OpenAI fake). */
const anthropicClientModels = models
  .filter((m) => m.model !== "gpt-4o-mini")
  .concat({
    model: "gpt-4o-mini",
    fake: () => openaiFake,
    asked: (body) => expect(body.response_format.json_schema.schema.properties.answer).toBeDefined()
  })

describe("Anthropic SDK: messages.parse and .stream with output_config.format", () => {
  for (const { model, fake, asked } of anthropicClientModels) {
    it(`${model}: parsed_output`, async () => {
      const message = await anthropic.messages.parse({
        model,
        max_tokens: 200,
        messages: [{ role: "user", content: "2 + 2 apples?" }],
        output_config: { format: zodOutputFormat(Answer) }
      })
      expect(message.parsed_output).toEqual(answer)
      expect(message.stop_reason).toBe("end_turn")
      asked(lastBody(fake()))
    })

    it(`${model}: streamed, parsed_output on the final message`, async () => {
      const final = await anthropic.messages
        .stream({
          model,
          max_tokens: 200,
          messages: [{ role: "user", content: "2 + 2 apples?" }],
          output_config: { format: zodOutputFormat(Answer) }
        })
        .finalMessage()
      expect(final.parsed_output).toEqual(answer)
      expect(final.content.map((b) => b.type)).toEqual(["text"])
      asked(lastBody(fake()))
    })
  }

  it("the structured outputs beta's output_format is carried too", async () => {
    const res = await fetch(`${router.url}/v1/messages`, {
      method: "POST",
      headers: {
        "x-api-key": TEST_KEY,
        "content-type": "application/json",
        "anthropic-version": "2023-06-01"
      },
      body: JSON.stringify({
        model: "gemini-2.5-flash",
        max_tokens: 100,
        messages: [{ role: "user", content: "2 + 2 apples?" }],
        output_format: { type: "json_schema", schema: z.toJSONSchema(Answer) }
      })
    })
    expect(res.headers.get("x-switchyard-dropped")).toBeNull()
    const body = await res.json()
    expect(JSON.parse(body.content[0].text)).toEqual(answer)
    expect(lastBody(geminiFake).generationConfig.responseJsonSchema.properties.answer).toBeDefined()
  })
})

const aiSdkModels = ["gpt-4o-mini", "claude-sonnet-4-5", "claude-3-5-haiku-latest", "gemini-2.5-flash"]

/** generateObject and streamObject with one AI SDK model. */
const objectBothWays = async (
  model: LanguageModel,
  providerOptions: Record<string, Record<string, string>> = {}
) => {
  const options = { model, schema: Answer, prompt: "2 + 2 apples?", maxRetries: 0, providerOptions }
  const generated = await generateObject(options)
  expect(generated.object).toEqual(answer)
  const streamed = streamObject(options)
  const partials: Array<unknown> = []
  for await (const partial of streamed.partialObjectStream) partials.push(partial)
  expect(await streamed.object).toEqual(answer)
  expect(partials.at(-1)).toEqual(answer)
}

describe("AI SDK: generateObject and streamObject", () => {
  for (const model of aiSdkModels) {
    it(`openai.chat("${model}")`, async () => {
      await objectBothWays(createOpenAI({ apiKey: TEST_KEY, baseURL: `${router.url}/v1` }).chat(model))
    })
  }

  for (const supportsStructuredOutputs of [true, false]) {
    for (const model of aiSdkModels) {
      it(`openai-compatible (supportsStructuredOutputs: ${supportsStructuredOutputs}) "${model}"`, async () => {
        const provider = createOpenAICompatible({
          name: "switchyard",
          apiKey: TEST_KEY,
          baseURL: `${router.url}/v1`,
          supportsStructuredOutputs
        })
        await objectBothWays(provider.chatModel(model))
      })
    }
  }

  for (const structuredOutputMode of ["auto", "outputFormat"] as const) {
    for (const model of ["gpt-4o-mini", "gemini-2.5-flash", "claude-3-5-haiku-latest"]) {
      it(`@ai-sdk/anthropic (${structuredOutputMode}) "${model}"`, async () => {
        const provider = createAnthropic({ apiKey: TEST_KEY, baseURL: `${router.url}/v1` })
        await objectBothWays(provider(model), { anthropic: { structuredOutputMode } })
        if (model === "gpt-4o-mini") {
          // `auto` forces a "json" tool for a model the AI SDK does not know; `outputFormat` sends
          // output_config.format, which reaches OpenAI as response_format.
          const body = lastBody(openaiFake)
          if (structuredOutputMode === "auto") expect(body.tool_choice).toBe("required")
          else expect(body.response_format.json_schema.schema.properties.unit).toBeDefined()
        }
      })
    }
  }
})
