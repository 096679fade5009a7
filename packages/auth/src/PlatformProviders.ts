/**
 * Which providers the operator has a platform key for (seed 000's environment variables, and
 * seed 003's `AI_BASE_URL` for an OpenAI-compatible server), so users without their own key can
 * still reach them.
 */
import { PLATFORM_COMPATIBLE_VARIABLES, PLATFORM_KEY_VARIABLES, type ProviderId } from "@switchyard/domain"
import { Config, Context, Effect, Layer, Option } from "effect"

/** Providers with a platform key configured. */
export class PlatformProviders extends Context.Tag("@switchyard/auth/PlatformProviders")<
  PlatformProviders,
  { readonly providers: ReadonlyArray<ProviderId> }
>() {
  /** Reads the variables once at start-up (their values are not kept). */
  static readonly layer: Layer.Layer<PlatformProviders> = Layer.effect(
    PlatformProviders,
    Effect.gen(function* () {
      const providers: Array<ProviderId> = []
      for (const [provider, variable] of Object.entries(PLATFORM_KEY_VARIABLES)) {
        const value = yield* Config.option(Config.nonEmptyString(variable)).pipe(
          Effect.orElseSucceed(Option.none)
        )
        if (Option.isSome(value)) providers.push(provider as ProviderId)
      }
      // The platform's OpenAI-compatible server (`AI_BASE_URL`) may take no key at all.
      const compatible = yield* Config.option(
        Config.nonEmptyString(PLATFORM_COMPATIBLE_VARIABLES.baseUrl)
      ).pipe(Effect.orElseSucceed(Option.none))
      if (Option.isSome(compatible)) providers.push("openai-compatible")
      return { providers }
    })
  )

  /** A fixed list, for tests. */
  static readonly layerTest = (providers: ReadonlyArray<ProviderId>): Layer.Layer<PlatformProviders> =>
    Layer.succeed(PlatformProviders, { providers })
}
