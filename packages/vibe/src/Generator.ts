/**
 * One generation: asks the router for an app document (`VIBE_MODEL`) and checks the answer, and
 * writes the assistant's short history message (`VIBE_EXPLAIN_MODEL`, best effort).
 */
import { Context, Effect, Either, Layer, Option, type Redacted, Schema } from "effect"
import * as HtmlDocument from "./HtmlDocument.ts"
import * as Prompts from "./Prompts.ts"
import { type RouterCallFailed, RouterClient, sanitize } from "./RouterClient.ts"
import { VibeSettings } from "./VibeSettings.ts"

/** The model answered, but not with an app we can serve. */
export class GenerationRejected extends Schema.TaggedError<GenerationRejected>()("GenerationRejected", {
  /** One sentence for the user (see `HtmlDocument.describe`). */
  reason: Schema.String
}) {}

/** A checked document and the model that wrote it. */
export interface GeneratedApp {
  readonly html: string
  readonly model: string
}

/** The generator. */
export class Generator extends Context.Tag("@switchyard/vibe/Generator")<
  Generator,
  {
    readonly document: (
      messages: ReadonlyArray<Prompts.ChatMessage>,
      credential: Redacted.Redacted<string>
    ) => Effect.Effect<GeneratedApp, RouterCallFailed | GenerationRejected>
    /** From the explain model, else (off, or it failed) a plain sentence. Never fails. */
    readonly explanation: (
      request: { readonly text: string; readonly isEdit: boolean; readonly version: number },
      credential: Redacted.Redacted<string>
    ) => Effect.Effect<string>
  }
>() {
  static readonly layer = Layer.effect(
    Generator,
    Effect.gen(function* () {
      const router = yield* RouterClient
      const settings = yield* VibeSettings
      return {
        document: (messages, credential) =>
          Effect.flatMap(
            router.chat({ model: settings.model, messages, maxTokens: settings.maxTokens, credential }),
            (answer) =>
              Either.match(HtmlDocument.fromAnswer(answer.text, settings.maxHtmlBytes), {
                onLeft: (rejection) =>
                  Effect.fail(new GenerationRejected({ reason: HtmlDocument.describe(rejection) })),
                onRight: (html) => Effect.succeed({ html, model: answer.model })
              })
          ),
        explanation: (request, credential) => {
          const fallback = request.isEdit
            ? `Done: version ${request.version} of your app is live.`
            : "Your app is ready."
          return Option.match(settings.explainModel, {
            onNone: () => Effect.succeed(fallback),
            onSome: (model) =>
              router
                .chat({
                  model,
                  messages: Prompts.explain(request.text, request.isEdit),
                  maxTokens: 120,
                  credential
                })
                .pipe(
                  Effect.map((answer) => sanitize(answer.text, 600) || fallback),
                  Effect.catchAll((failure) =>
                    Effect.as(
                      Effect.logWarning("vibe: explanation failed; using a plain sentence", failure.reason),
                      fallback
                    )
                  )
                )
          })
        }
      }
    })
  )
}
