/**
 * A provider refusing its key (upstream 401/403) reaches the client as 424 with `x-should-retry:
 * false`: no SDK retries it or reports it as the caller's own key being wrong, and the message
 * names the provider and whose key failed (the user's own or the platform's), never the key.
 */
import { createOpenAI } from "@ai-sdk/openai"
import Anthropic from "@anthropic-ai/sdk"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { APICallError, generateText } from "ai"
import OpenAI from "openai"
import { type FakeUpstream, json, startFake } from "./FakeUpstream.ts"
import { secret, startRouter, TEST_KEY, type TestRouter } from "./Harness.ts"

const OPENAI_401 = {
  error: {
    message: "Incorrect API key provided: sk-plat***4321. You can find your API key at …",
    type: "invalid_request_error",
    param: null,
    code: "invalid_api_key"
  }
}
const ANTHROPIC_401 = { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } }
const GEMINI_403 = {
  error: {
    code: 403,
    message: "API key not valid. Please pass a valid API key.",
    status: "PERMISSION_DENIED"
  }
}

let openaiFake: FakeUpstream
let anthropicFake: FakeUpstream
let geminiFake: FakeUpstream
let router: TestRouter

beforeAll(async () => {
  openaiFake = await startFake(json(401, OPENAI_401))
  anthropicFake = await startFake(json(401, ANTHROPIC_401))
  geminiFake = await startFake(json(403, GEMINI_403))
  router = await startRouter({
    env: {
      OPENAI_BASE_URL: `${openaiFake.url}/v1`,
      OPENAI_API_KEY: "sk-platform-4321",
      ANTHROPIC_BASE_URL: anthropicFake.url,
      GOOGLE_AI_BASE_URL: `${geminiFake.url}/v1beta`,
      GOOGLE_AI_KEY: "g-platform"
    },
    // The caller's own Anthropic key; OpenAI and Google are the platform's.
    secrets: new Map([["u1/anthropic", secret("sk-ant-users-own-9876")]])
  })
})

afterAll(async () => {
  await router.close()
  await Promise.all([openaiFake.close(), anthropicFake.close(), geminiFake.close()])
})

/** Sent once, whatever the client's retry policy. */
const sentOnce = async (fake: FakeUpstream, call: () => Promise<unknown>) => {
  const before = fake.received.length
  const error = await call().catch((e: unknown) => e)
  expect(fake.received.length - before).toBe(1)
  return error
}

const noSecrets = (message: string) => {
  for (const leak of ["sk-platform", "4321", "sk-ant-users", "9876", "g-platform", "Incorrect API key"])
    expect(message).not.toContain(leak)
}

describe("a provider refusing its key", () => {
  it("openai SDK, platform key: 424, not an AuthenticationError, not retried", async () => {
    const openai = new OpenAI({ apiKey: TEST_KEY, baseURL: `${router.url}/v1` })
    const error = await sentOnce(openaiFake, () =>
      openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] })
    )
    expect(error).toBeInstanceOf(OpenAI.APIError)
    expect(error).not.toBeInstanceOf(OpenAI.AuthenticationError)
    const e = error as InstanceType<typeof OpenAI.APIError>
    expect(e.status).toBe(424)
    expect(e.code).toBe("upstream_credential_rejected")
    expect(e.message).toContain("openai provider rejected the platform's")
    expect(e.headers?.get("x-should-retry")).toBe("false")
    noSecrets(e.message)
    const event = (await router.waitForEvents(1)).at(-1)!
    expect(event).toMatchObject({ outcome: "provider_error", status: 424, provider: "openai" })
  })

  it("Anthropic SDK, the user's own key, streamed: 424 naming their own key", async () => {
    const anthropic = new Anthropic({ apiKey: TEST_KEY, baseURL: router.url })
    const error = await sentOnce(anthropicFake, () =>
      anthropic.messages
        .stream({ model: "claude-sonnet-4-5", max_tokens: 10, messages: [{ role: "user", content: "hi" }] })
        .finalMessage()
    )
    expect(error).toBeInstanceOf(Anthropic.APIError)
    expect(error).not.toBeInstanceOf(Anthropic.AuthenticationError)
    const e = error as InstanceType<typeof Anthropic.APIError>
    expect(e.status).toBe(424)
    expect(e.message).toContain("rejected your own anthropic API key")
    noSecrets(e.message)
    // The user's own key went upstream.
    expect(anthropicFake.received.at(-1)!.headers["x-api-key"]).toBe("sk-ant-users-own-9876")
  })

  it("a 403 from Gemini, through the AI SDK: not retryable", async () => {
    const model = createOpenAI({ apiKey: TEST_KEY, baseURL: `${router.url}/v1` }).chat("gemini-2.5-flash")
    const error = await sentOnce(geminiFake, () => generateText({ model, prompt: "hi" }))
    const cause = APICallError.isInstance(error) ? error : (error as { lastError?: unknown }).lastError
    expect(APICallError.isInstance(cause)).toBe(true)
    expect((cause as APICallError).statusCode).toBe(424)
    expect((cause as APICallError).isRetryable).toBe(false)
    expect((cause as APICallError).message).toContain("google provider rejected the platform's")
  })

  it("embeddings and token counting answer the same way", async () => {
    const openai = new OpenAI({ apiKey: TEST_KEY, baseURL: `${router.url}/v1`, maxRetries: 0 })
    const embedding = (await openai.embeddings
      .create({ model: "text-embedding-3-small", input: "x" })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>
    expect(embedding.status).toBe(424)
    noSecrets(embedding.message)
    const anthropic = new Anthropic({ apiKey: TEST_KEY, baseURL: router.url, maxRetries: 0 })
    const counted = (await anthropic.messages
      .countTokens({ model: "claude-sonnet-4-5", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>
    expect(counted.status).toBe(424)
    expect(counted.message).toContain("your own anthropic API key")
  })

  it("the caller's own bad Switchyard key is still a 401", async () => {
    const openai = new OpenAI({ apiKey: "ef_wrong", baseURL: `${router.url}/v1`, maxRetries: 0 })
    const error = await openai.models.list().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError)
  })
})
