/**
 * Prompt tokens of an OpenAI chat request, counted locally with `gpt-tokenizer` (a maintained
 * JavaScript port of tiktoken, with OpenAI's per-message and function-definition overheads). Used
 * for `POST /v1/messages/count_tokens` to providers with no counting endpoint: exact for OpenAI's
 * text, an estimate for images (their size is not known here) and for other families' models
 * (xAI, OpenAI-compatible servers), which use tokenizers of their own.
 *
 * The tokenizer's tables are a few megabytes: they are loaded on the first count, never on the
 * chat path.
 */
import type { OpenAIChatRequest, OpenAIContentPart, OpenAIMessage } from "./wire.ts"

/** A count and the tokenizer it was made with. */
export interface LocalTokenCount {
  readonly inputTokens: number
  /** `o200k_base` or `cl100k_base`. */
  readonly tokenizer: string
}

/** What OpenAI bills a high-detail 1024 × 1024 image: images are counted as that. */
const IMAGE_TOKENS = 765

type Encoding = "o200k_base" | "cl100k_base"

/** GPT-4 (not 4o, 4.1, 4.5) and GPT-3.5 use cl100k_base; every later model o200k_base. */
export const encodingFor = (model: string): Encoding =>
  /^gpt-(?:3\.5|4(?:$|-(?!o)|-turbo))/.test(model) && !/^gpt-4(?:o|\.\d)/.test(model)
    ? "cl100k_base"
    : "o200k_base"

const load = (encoding: Encoding) =>
  encoding === "cl100k_base"
    ? import("gpt-tokenizer/encoding/cl100k_base")
    : import("gpt-tokenizer/encoding/o200k_base")

/** A message's text for the tokenizer, and the images and files it carries beside it. */
const flatten = (m: OpenAIMessage): { content: string; extra: number } => {
  let content = ""
  let extra = 0
  const parts: string | Array<OpenAIContentPart> | null | undefined = m.content
  if (typeof parts === "string") content = parts
  else if (Array.isArray(parts)) {
    for (const p of parts) {
      if (p.type === "text") content += p.text
      else if (p.type === "refusal") content += p.refusal
      else if (p.type === "image_url") extra += IMAGE_TOKENS
      // A file's data is base64: about four bytes of text per token once extracted.
      else if (p.type === "file") extra += Math.ceil(((p.file.file_data?.length ?? 0) * 3) / 4 / 4)
    }
  }
  if (m.role === "assistant") {
    for (const c of m.tool_calls ?? []) content += `${c.function.name}(${c.function.arguments})`
  }
  return { content, extra }
}

/** Counts the prompt tokens of `body` as `model`'s tokenizer sees them. */
export const countOpenAITokens = async (body: OpenAIChatRequest, model: string): Promise<LocalTokenCount> => {
  const tokenizer = encodingFor(model)
  const [{ countTokens }, { computeChatCompletionTokenCount }] = await Promise.all([
    load(tokenizer),
    import("gpt-tokenizer/functionCalling")
  ])
  let extra = 0
  const messages = body.messages.map((m) => {
    const flat = flatten(m)
    extra += flat.extra
    return { role: m.role, content: flat.content }
  })
  const functions = (body.tools ?? []).map((t) => ({
    name: t.function.name,
    ...(t.function.description === undefined ? {} : { description: t.function.description }),
    // The library formats parameters as OpenAI does internally; a schema it cannot read as one is
    // still counted, as its JSON text.
    parameters: (t.function.parameters ?? { type: "object", properties: {} }) as never
  }))
  let schema = 0
  const rf = body.response_format
  if (rf?.type === "json_schema" && rf.json_schema.schema !== undefined)
    schema = countTokens(JSON.stringify(rf.json_schema.schema))
  const count = computeChatCompletionTokenCount(
    functions.length > 0 ? { messages, functions } : { messages },
    countTokens
  )
  return { inputTokens: count + extra + schema, tokenizer }
}
