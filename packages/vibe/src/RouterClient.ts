/**
 * Calls the Switchyard router's `/v1/chat/completions` over HTTP, like any other client: so every
 * generation is authenticated, limited and accounted in the ledger under the credential it is sent
 * with. Only the answer's text is kept; everything read from the router is validated first.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Context, Duration, Effect, Layer, Redacted, Schema } from "effect"
import type { ChatMessage } from "./Prompts.ts"
import { VibeSettings } from "./VibeSettings.ts"

/** Why the router gave no usable answer. */
export class RouterCallFailed extends Schema.TaggedError<RouterCallFailed>()("RouterCallFailed", {
  /** One sentence, safe to show the user (no credential, bounded length). */
  reason: Schema.String,
  /** The router's status, when it answered. */
  status: Schema.optional(Schema.Int),
  /** Seconds to wait, when the router refused for a limit (its `Retry-After`). */
  retryAfterSeconds: Schema.optional(Schema.Int)
}) {}

const Completion = Schema.Struct({
  model: Schema.optional(Schema.String),
  choices: Schema.NonEmptyArray(
    Schema.Struct({ message: Schema.Struct({ content: Schema.NullOr(Schema.String) }) })
  )
})

const ErrorBody = Schema.Struct({ error: Schema.Struct({ message: Schema.String }) })

/** Keeps what a remote party wrote short and printable before it is stored or shown. */
export const sanitize = (text: string, max = 300): string => {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

const retryAfterOf = (response: HttpClientResponse.HttpClientResponse): number | undefined => {
  const value = Number(response.headers["retry-after"])
  return Number.isFinite(value) && value >= 0 ? Math.min(Math.ceil(value), 86_400) : undefined
}

/** One chat request. */
export interface ChatCall {
  readonly model: string
  readonly messages: ReadonlyArray<ChatMessage>
  readonly maxTokens: number
  /** The `ef_` key or session token the router authenticates. */
  readonly credential: Redacted.Redacted<string>
}

/** The router, as the vibe service uses it. */
export class RouterClient extends Context.Tag("@switchyard/vibe/RouterClient")<
  RouterClient,
  {
    /** The answer's text and the model that wrote it. */
    readonly chat: (
      call: ChatCall
    ) => Effect.Effect<{ readonly text: string; readonly model: string }, RouterCallFailed>
  }
>() {
  /** Over HTTP to `VIBE_ROUTER_URL`. */
  static readonly layer = Layer.effect(
    RouterClient,
    Effect.gen(function* () {
      const settings = yield* VibeSettings
      const client = (yield* HttpClient.HttpClient).pipe(HttpClient.withTracerPropagation(false))
      const timeout = Duration.seconds(settings.generationTimeoutSeconds)
      const url = `${settings.routerUrl}/v1/chat/completions`

      const refused = (response: HttpClientResponse.HttpClientResponse) =>
        Effect.gen(function* () {
          const body = yield* Effect.option(Effect.flatMap(response.json, Schema.decodeUnknown(ErrorBody)))
          const detail = body._tag === "Some" ? `: ${sanitize(body.value.error.message, 240)}` : ""
          const retryAfterSeconds = response.status === 429 ? (retryAfterOf(response) ?? 60) : undefined
          return yield* new RouterCallFailed({
            reason: `the router answered ${response.status}${detail}`,
            status: response.status,
            ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds })
          })
        })

      const chat = (call: ChatCall) =>
        Effect.gen(function* () {
          const request = HttpClientRequest.post(url).pipe(
            HttpClientRequest.bearerToken(Redacted.value(call.credential)),
            HttpClientRequest.bodyUnsafeJson({
              model: call.model,
              messages: call.messages,
              max_tokens: call.maxTokens,
              stream: false
            })
          )
          const response = yield* client.execute(request).pipe(
            Effect.timeoutFail({
              duration: timeout,
              onTimeout: () =>
                new RouterCallFailed({
                  reason: `the router did not answer within ${settings.generationTimeoutSeconds} s`
                })
            }),
            Effect.catchTags({
              RequestError: () =>
                Effect.fail(new RouterCallFailed({ reason: "the router could not be reached" })),
              ResponseError: () =>
                Effect.fail(new RouterCallFailed({ reason: "the router's answer could not be read" }))
            })
          )
          if (response.status !== 200) return yield* refused(response)
          const body = yield* Effect.flatMap(response.json, Schema.decodeUnknown(Completion)).pipe(
            Effect.mapError(
              () =>
                new RouterCallFailed({ reason: "the router's answer was not a chat completion", status: 200 })
            )
          )
          const text = body.choices[0].message.content ?? ""
          return { text, model: sanitize(body.model ?? call.model, 120) }
        }).pipe(Effect.scoped, Effect.withSpan("RouterClient.chat", { attributes: { model: call.model } }))

      return { chat }
    })
  )
}
