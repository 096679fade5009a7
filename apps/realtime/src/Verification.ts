/**
 * The hub's token verifier: JWT and Laravel tokens always (as configured), and Switchyard's own
 * API keys and session tokens when the hub can reach Switchyard's database
 * (`POSTGRES_CONNECTION_STRING`), through `@switchyard/auth`'s cached verifiers kept current by
 * the change feed (Redis when `REDIS_URL` is set, else LISTEN/NOTIFY).
 */
import { ApiKeyVerifier, ChangeFeed, UserTokenVerifier } from "@switchyard/auth"
import { Database } from "@switchyard/db"
import { TokenVerifier } from "@switchyard/realtime"
import { Config, Effect, Layer, Option } from "effect"
import type { Verification } from "./SocketHandlers.ts"

/** The verifier layer the configuration calls for. */
export const layer: Layer.Layer<TokenVerifier> = Layer.unwrapEffect(
  Effect.map(Config.option(Config.string("POSTGRES_CONNECTION_STRING")), (database) =>
    Option.isNone(database)
      ? TokenVerifier.layer
      : TokenVerifier.layerWithSwitchyard.pipe(
          Layer.provide(Layer.mergeAll(ApiKeyVerifier.layer, UserTokenVerifier.layer())),
          Layer.provide(ChangeFeed.layerFromConfig),
          Layer.provide(Database.layer)
        )
  )
).pipe(Layer.orDie)

/** `verify` as the socket handlers call it. */
export const verifyWith =
  (service: TokenVerifier["Type"], run: <A>(effect: Effect.Effect<A>) => Promise<A>) =>
  (token: string): Promise<Verification> =>
    run(
      service.verify(token).pipe(
        Effect.map(
          Option.match({
            onNone: (): Verification => ({ _tag: "invalid" }),
            onSome: (user): Verification => ({ _tag: "valid", user })
          })
        ),
        Effect.catchAll((error) =>
          Effect.as(Effect.logWarning(`realtime: ${error.message}`), { _tag: "unavailable" } as Verification)
        ),
        // A database failure on a cache miss is not the client's fault either.
        Effect.catchAllDefect((defect) =>
          Effect.as(Effect.logError("realtime: token check failed", defect), {
            _tag: "unavailable"
          } as Verification)
        )
      )
    )
