/**
 * `encoding_format: "base64"` (the openai Node SDK's default) honoured for every provider: OpenAI
 * gets it and answers in it, an upstream that answers numbers anyway is re-encoded, Gemini's and
 * OpenAI-compatible servers' numbers are encoded by the router, and the SDK decodes the same
 * vectors it would get as floats.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import OpenAI from "openai"
import { validateOpenAI } from "../../../packages/router-core/test/translate/openaiSpec.ts"
import { type FakeUpstream, json, type Script, startFake } from "./FakeUpstream.ts"
import { secret, startRouter, TEST_KEY, type TestRouter } from "./Harness.ts"

/** Vectors exactly representable as float32, so decoded values compare equal. */
const vectors = [
  [0.5, -0.25, 1],
  [0.125, 2, -3.5]
]

const base64 = (v: ReadonlyArray<number>) => Buffer.from(new Float32Array(v).buffer).toString("base64")

/** OpenAI's own behaviour: base64 when asked, numbers otherwise. */
const openaiEmbeddings: Script = (req, res) => {
  const body = JSON.parse(req.body)
  const inputs: Array<string> = typeof body.input === "string" ? [body.input] : body.input
  json(200, {
    object: "list",
    data: inputs.map((_, index) => ({
      object: "embedding",
      index,
      embedding: body.encoding_format === "base64" ? base64(vectors[index]!) : vectors[index]
    })),
    model: body.model,
    usage: { prompt_tokens: 3, total_tokens: 3 }
  })(req, res)
}

/** A server that ignores `encoding_format` (many OpenAI-compatible ones do). */
const floatsOnly: Script = (req, res) => {
  const body = JSON.parse(req.body)
  const inputs: Array<string> = typeof body.input === "string" ? [body.input] : body.input
  json(200, {
    object: "list",
    data: inputs.map((_, index) => ({ object: "embedding", index, embedding: vectors[index] })),
    model: body.model,
    usage: { prompt_tokens: 3, total_tokens: 3 }
  })(req, res)
}

let openaiFake: FakeUpstream
let geminiFake: FakeUpstream
let compatible: FakeUpstream
let router: TestRouter
let openai: OpenAI

beforeAll(async () => {
  openaiFake = await startFake(openaiEmbeddings)
  geminiFake = await startFake(json(200, { embeddings: vectors.map((values) => ({ values })) }))
  compatible = await startFake(floatsOnly)
  router = await startRouter({
    env: {
      OPENAI_BASE_URL: `${openaiFake.url}/v1`,
      OPENAI_API_KEY: "sk",
      GOOGLE_AI_BASE_URL: `${geminiFake.url}/v1beta`,
      GOOGLE_AI_KEY: "g"
    },
    secrets: new Map([["u1/openai-compatible", secret("vllm", `${compatible.url}/v1`)]])
  })
  openai = new OpenAI({ apiKey: TEST_KEY, baseURL: `${router.url}/v1`, maxRetries: 0 })
})

afterAll(async () => {
  await router.close()
  await Promise.all([openaiFake.close(), geminiFake.close(), compatible.close()])
})

const raw = async (model: string, encoding?: string) => {
  const res = await fetch(`${router.url}/v1/embeddings`, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({
      model,
      input: ["a", "b"],
      ...(encoding === undefined ? {} : { encoding_format: encoding })
    })
  })
  return { status: res.status, body: await res.json() }
}

describe("embeddings in base64, the openai SDK's default", () => {
  for (const model of ["text-embedding-3-small", "google/text-embedding-004", "openai-compatible/bge-m3"]) {
    it(`${model}: the SDK's default call decodes the provider's vectors`, async () => {
      const result = await openai.embeddings.create({ model, input: ["a", "b"] })
      expect(result.data.map((d) => d.embedding)).toEqual(vectors)
      expect(validateOpenAI("CreateEmbeddingResponse", result)).toEqual([])
      const { body } = await raw(model, "base64")
      expect(body.data.map((d: { embedding: string }) => d.embedding)).toEqual(vectors.map(base64))
    })
  }

  it("OpenAI is asked for base64 itself; OpenAI-compatible servers are asked for floats", async () => {
    await openai.embeddings.create({ model: "text-embedding-3-small", input: "a" })
    expect(JSON.parse(openaiFake.received.at(-1)!.body).encoding_format).toBe("base64")
    await openai.embeddings.create({ model: "openai-compatible/bge-m3", input: "a" })
    expect(JSON.parse(compatible.received.at(-1)!.body).encoding_format).toBeUndefined()
  })

  it("an upstream answering numbers to a base64 request is re-encoded", async () => {
    openaiFake.script = floatsOnly
    try {
      const { body } = await raw("text-embedding-3-small", "base64")
      expect(body.data.map((d: { embedding: string }) => d.embedding)).toEqual(vectors.map(base64))
    } finally {
      openaiFake.script = openaiEmbeddings
    }
  })

  it("the mock too, and floats stay floats", async () => {
    const decoded = await openai.embeddings.create({ model: "mock/echo", input: "hello" })
    const floats = await openai.embeddings.create({
      model: "mock/echo",
      input: "hello",
      encoding_format: "float"
    })
    expect(decoded.data[0]!.embedding).toHaveLength(8)
    expect(decoded.data[0]!.embedding).toEqual(floats.data[0]!.embedding.map((x) => Math.fround(x)))
    const { body } = await raw("google/text-embedding-004", "float")
    expect(body.data.map((d: { embedding: Array<number> }) => d.embedding)).toEqual(vectors)
  })

  it("refuses an unknown encoding, naming the field", async () => {
    const { status, body } = await raw("text-embedding-3-small", "int8")
    expect(status).toBe(400)
    expect(body.error.param).toBe("encoding_format")
  })
})
