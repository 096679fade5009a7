/**
 * The router's HTTP surface as a contract, for its documentation (`/openapi.json`, `/docs`,
 * `/redoc` on the router): the OpenAI and Anthropic model routes, seed 000's API (under `/v1` and
 * `/api/v1`), seed 003's chat and account routes, and the health check. The model routes are
 * served by the router's hot-path handlers, not built from this contract (their bodies are
 * streamed through untouched); the account routes are (`AuthApi`). Bodies are described as far as
 * clients rely on them; OpenAI's and Anthropic's own fields pass through as they define them.
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { AuthApi } from "./AuthApi.ts"
import { FailedRequestSync, FailedRequestSynced } from "./FailedRequest.ts"

/** Every model route takes a Switchyard key (`ef_…`) or a user token from `/auth/login`. */
export class GatewayCaller extends HttpApiMiddleware.Tag<GatewayCaller>()("GatewayCaller", {
  security: {
    bearer: HttpApiSecurity.bearer,
    apiKey: HttpApiSecurity.apiKey({ in: "header", key: "x-api-key" })
  }
}) {}

const Open = Schema.Record({ key: Schema.String, value: Schema.Unknown })

/** OpenAI's error body, which every route but `/v1/messages` answers with. */
export const OpenAIErrorBody = Schema.Struct({
  error: Schema.Struct({
    message: Schema.String,
    type: Schema.String,
    param: Schema.NullOr(Schema.String),
    code: Schema.NullOr(Schema.String)
  })
}).annotations({ identifier: "OpenAIError" })

/** Anthropic's error body (`/v1/messages`). */
export const AnthropicErrorBody = Schema.Struct({
  type: Schema.Literal("error"),
  error: Schema.Struct({ type: Schema.String, message: Schema.String })
}).annotations({ identifier: "AnthropicError" })

/** Seed 000's 422 on `/api/v1/*`: Laravel's validation body, with OpenAI's `error` beside it. */
export const SeedValidationError = Schema.Struct({
  message: Schema.String,
  errors: Schema.Record({ key: Schema.String, value: Schema.Array(Schema.String) }),
  error: OpenAIErrorBody.fields.error
}).annotations({ identifier: "SeedValidationError" })

const Message = Schema.Struct({ role: Schema.String, content: Schema.Unknown }, Open)

/** OpenAI's chat request; `stream: true` answers `text/event-stream` chunks. */
export const ChatCompletionRequest = Schema.Struct(
  {
    model: Schema.String.annotations({
      description:
        "`provider/model`, a bare name routed by prefix (gpt-, claude-, gemini-, grok-…), or an alias"
    }),
    messages: Schema.Array(Message),
    stream: Schema.optional(Schema.Boolean),
    max_tokens: Schema.optional(Schema.Int),
    temperature: Schema.optional(Schema.Number)
  },
  Open
).annotations({ identifier: "ChatCompletionRequest" })

/** OpenAI's `chat.completion` (the provider's answer, translated when it is not OpenAI). */
export const ChatCompletion = Schema.Struct(
  {
    id: Schema.String,
    object: Schema.Literal("chat.completion"),
    created: Schema.Int,
    model: Schema.String,
    choices: Schema.Array(Open)
  },
  Open
).annotations({ identifier: "ChatCompletion" })

const rateLimited = { status: 429 } as const

/** The OpenAI and Anthropic model routes. */
export class OpenAIRoutes extends HttpApiGroup.make("models")
  .add(
    HttpApiEndpoint.post("chatCompletions", "/v1/chat/completions")
      .setPayload(ChatCompletionRequest)
      .addSuccess(ChatCompletion)
      .addError(OpenAIErrorBody, { status: 400 })
      .addError(OpenAIErrorBody.annotations({ identifier: "RateLimited" }), rateLimited)
  )
  .add(
    HttpApiEndpoint.post("messages", "/v1/messages")
      .setPayload(
        Schema.Struct({ model: Schema.String, max_tokens: Schema.Int, messages: Schema.Array(Message) }, Open)
      )
      .addSuccess(Open.annotations({ identifier: "AnthropicMessage" }))
      .addError(AnthropicErrorBody, { status: 400 })
  )
  .add(
    HttpApiEndpoint.post("embeddings", "/v1/embeddings")
      .setPayload(Schema.Struct({ model: Schema.String, input: Schema.Unknown }, Open))
      .addSuccess(Open.annotations({ identifier: "EmbeddingList" }))
      .addError(OpenAIErrorBody, { status: 400 })
  )
  .add(
    HttpApiEndpoint.get("models", "/v1/models").addSuccess(
      Schema.Struct({
        object: Schema.Literal("list"),
        data: Schema.Array(
          Schema.Struct({
            id: Schema.String,
            object: Schema.Literal("model"),
            created: Schema.Int,
            owned_by: Schema.String
          })
        )
      })
    )
  )
  .middleware(GatewayCaller)
  .annotate(
    OpenApi.Description,
    "OpenAI's and Anthropic's APIs, to any provider. Rate-limit windows in `x-ratelimit-*` headers."
  ) {}

/** Seed 000's offline fallback keys. */
export const UserAiKeys = Schema.Struct(
  { expiration: Schema.String.annotations({ description: "ISO 8601, 30 days ahead" }) },
  Schema.Record({ key: Schema.String, value: Schema.String })
).annotations({
  identifier: "UserAiKeys",
  description: "The caller's own enabled provider keys, by provider"
})

const seedRoutes = (prefix: "/v1" | "/api/v1", name: string) =>
  HttpApiGroup.make(name)
    .add(
      HttpApiEndpoint.get("userAiKeys", `${prefix}/user/ai-keys`)
        .addSuccess(UserAiKeys)
        .addError(OpenAIErrorBody, { status: 403 })
    )
    .add(
      HttpApiEndpoint.post("syncFailedRequest", `${prefix}/sync/failed-request`)
        .setPayload(FailedRequestSync)
        .addSuccess(FailedRequestSynced)
        .addError(prefix === "/v1" ? OpenAIErrorBody : SeedValidationError, {
          status: prefix === "/v1" ? 400 : 422
        })
    )
    .middleware(GatewayCaller)

/** Seed 000's API at the gateway's own prefix (OpenAI's statuses). */
export class SeedApi extends seedRoutes("/v1", "seed000").annotate(
  OpenApi.Description,
  "Seed 000 (Dyad builds): offline fallback keys (only with EXPOSE_USER_KEYS=true) and failed-request sync, idempotent on request_id."
) {}

/** Seed 000's API under its Laravel prefix, with its statuses (422, 500 `server_error`). */
export class SeedLaravelApi extends seedRoutes("/api/v1", "seed000Laravel")
  .add(
    HttpApiEndpoint.post("chatCompletions", "/api/v1/chat/completions")
      .setPayload(ChatCompletionRequest)
      .addSuccess(ChatCompletion)
      .addError(SeedValidationError, { status: 422 })
      .addError(OpenAIErrorBody.annotations({ identifier: "ServerError" }), { status: 500 })
  )
  .annotate(
    OpenApi.Description,
    "Seed 000's routes where its Laravel app served them: max_tokens 1–4000, temperature 0–2, messages[].content a string; 422 naming the field, 500 server_error when the provider fails."
  ) {}

/** Seed 003's chat request. */
export const SeedChatRequest = Schema.Struct({
  messages: Schema.Array(
    Schema.Struct({ role: Schema.Literal("system", "user", "assistant"), content: Schema.String })
  ),
  model: Schema.optional(Schema.String.annotations({ description: "default: OPENAI_MODEL on AI_PROVIDER" })),
  temperature: Schema.optional(Schema.Number.annotations({ description: "0–2; default OPENAI_TEMPERATURE" })),
  stream: Schema.optional(
    Schema.Boolean.annotations({ description: 'SSE `data: {"content": "…"}` lines, then `data: [DONE]`' })
  )
}).annotations({ identifier: "SeedChatRequest" })

/** Seed 003's chat answer. */
export const SeedChatAnswer = Schema.Struct({ content: Schema.String, model: Schema.String }).annotations({
  identifier: "SeedChatAnswer"
})

/** Seed 003's chat (its account routes are `AuthApi`). */
export class SeedChatApi extends HttpApiGroup.make("seed003")
  .add(
    HttpApiEndpoint.post("chat", "/api/chat")
      .setPayload(SeedChatRequest)
      .addSuccess(SeedChatAnswer)
      .addError(OpenAIErrorBody, { status: 400 })
  )
  .middleware(GatewayCaller)
  .annotate(
    OpenApi.Description,
    "Seed 003 (desktop app): chat with the token from /auth/login (or a key); its own rate, RATE_LIMIT_REQUESTS_PER_MINUTE (60)."
  ) {}

/** The health check (seed 000's shape), public. */
export class RouterHealthApi extends HttpApiGroup.make("health")
  .add(HttpApiEndpoint.get("health", "/health").addSuccess(Open.annotations({ identifier: "RouterHealth" })))
  .add(
    HttpApiEndpoint.get("v1Health", "/v1/health").addSuccess(Open.annotations({ identifier: "RouterHealth" }))
  )
  .add(
    HttpApiEndpoint.get("seedHealth", "/api/v1/health").addSuccess(
      Open.annotations({ identifier: "RouterHealth" })
    )
  ) {}

/** The router's API, as documented at `/docs` and `/redoc`. */
export class RouterApi extends HttpApi.make("switchyard-router")
  .add(OpenAIRoutes)
  .add(SeedChatApi)
  .add(AuthApi)
  .add(SeedApi)
  .add(SeedLaravelApi)
  .add(RouterHealthApi)
  .annotate(OpenApi.Title, "Switchyard router")
  .annotate(
    OpenApi.Description,
    "The model gateway: one key, every provider. Also seed 000's and seed 003's APIs on the same base URL."
  ) {}
