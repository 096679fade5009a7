/**
 * Seed 000's `POST /api/v1/chat/completions`: OpenAI's chat body, first held to the seed's own
 * validation rules (`model` required, `messages[].role` one of system/user/assistant,
 * `messages[].content` a non-empty string, `stream` boolean, `max_tokens` 1–4000, `temperature`
 * 0–2, `metadata` an array or object), then served by the same pipeline as `/v1/chat/completions`
 * (any provider by model name, streamed or not, accounted and limited the same way). Errors in the
 * seed's conventions (`SeedErrors.ts`).
 */
import { GatewayError } from "@switchyard/domain"
import { missingKey, verifyNow } from "../Authenticate.ts"
import { credentialOf } from "../CallerAuth.ts"
import * as ChatRoute from "../ChatRoute.ts"
import { errorResponse } from "../ClientError.ts"
import type { GatewayContext } from "../GatewayContext.ts"
import { readJsonBody } from "../RequestBody.ts"

/** The seed's largest `max_tokens`. */
export const SEED_MAX_TOKENS = 4000

type Json = Record<string, unknown>
const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

/** A field that failed, in Laravel's dotted notation (`messages.0.role`) and words. */
const invalid = (field: string, message: string) =>
  new GatewayError({ status: 400, type: "invalid_request_error", message, param: field })

const ROLES = new Set(["system", "user", "assistant"])

/** Laravel's `boolean` rule: true, false, 1, 0, "1", "0". */
const booleanOf = (value: unknown): boolean | undefined => {
  if (typeof value === "boolean") return value
  if (value === 1 || value === "1") return true
  if (value === 0 || value === "0") return false
  return undefined
}

const present = (value: unknown) => value !== undefined && value !== null

/**
 * Applies the seed's rules; answers the body to forward (with `stream` as a boolean) or the first
 * field that fails, as Laravel would name it.
 */
export const validateSeedChat = (body: unknown): Json | GatewayError => {
  if (!isObject(body)) return invalid("body", "The request body must be a JSON object.")
  const { model, messages, stream, max_tokens, temperature, metadata } = body
  if (!present(model) || model === "") return invalid("model", "The model field is required.")
  if (typeof model !== "string") return invalid("model", "The model field must be a string.")
  if (!present(messages) || (Array.isArray(messages) && messages.length === 0))
    return invalid("messages", "The messages field is required.")
  if (!Array.isArray(messages)) return invalid("messages", "The messages field must be an array.")
  for (let i = 0; i < messages.length; i++) {
    const message: unknown = messages[i]
    const role = isObject(message) ? message.role : undefined
    const content = isObject(message) ? message.content : undefined
    if (!present(role) || role === "")
      return invalid(`messages.${i}.role`, `The messages.${i}.role field is required.`)
    if (typeof role !== "string" || !ROLES.has(role))
      return invalid(`messages.${i}.role`, `The selected messages.${i}.role is invalid.`)
    if (!present(content) || content === "")
      return invalid(`messages.${i}.content`, `The messages.${i}.content field is required.`)
    if (typeof content !== "string")
      return invalid(`messages.${i}.content`, `The messages.${i}.content field must be a string.`)
  }
  const out: Json = { ...body }
  if (present(stream)) {
    const value = booleanOf(stream)
    if (value === undefined) return invalid("stream", "The stream field must be true or false.")
    out.stream = value
  }
  if (present(max_tokens)) {
    if (typeof max_tokens !== "number" || !Number.isInteger(max_tokens))
      return invalid("max_tokens", "The max tokens field must be an integer.")
    if (max_tokens < 1) return invalid("max_tokens", "The max tokens field must be at least 1.")
    if (max_tokens > SEED_MAX_TOKENS)
      return invalid("max_tokens", `The max tokens field must not be greater than ${SEED_MAX_TOKENS}.`)
  }
  if (present(temperature)) {
    if (typeof temperature !== "number" || !Number.isFinite(temperature))
      return invalid("temperature", "The temperature field must be a number.")
    if (temperature < 0 || temperature > 2)
      return invalid("temperature", "The temperature field must be between 0 and 2.")
  }
  if (present(metadata) && typeof metadata !== "object")
    return invalid("metadata", "The metadata field must be an array.")
  return out
}

/** The handler (wrapped in the seed's error conventions by `SeedApiRoutes`). */
export const make =
  (ctx: GatewayContext) =>
  async (request: Request): Promise<Response> => {
    const startedAt = performance.now()
    const token = credentialOf(request.headers)
    if (token === undefined) return errorResponse("openai", missingKey)
    // The key before the body, as on every model route: an unauthenticated body is never buffered.
    const caller = await verifyNow(ctx, token)
    if (caller instanceof GatewayError) return errorResponse("openai", caller)
    const read = await readJsonBody(request, ctx.settings.maxBodyBytes)
    const valid = read instanceof GatewayError ? read : validateSeedChat(read.json)
    const parsed: ChatRoute.Parsed =
      valid instanceof GatewayError
        ? {
            ok: false,
            error: valid,
            model: ChatRoute.recordableModel(read instanceof GatewayError ? undefined : read.json)
          }
        : ChatRoute.parseBody("openai", { json: valid, bytes: new Uint8Array(0) })
    // The body was normalised (`stream`): it is re-encoded rather than forwarded as received.
    const reencoded: ChatRoute.Parsed = parsed.ok ? { ...parsed, bytes: undefined } : parsed
    return ChatRoute.serve(ctx, request, "openai", caller, reencoded, startedAt)
  }
