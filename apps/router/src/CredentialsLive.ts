/**
 * The router's credentials: users' secrets from the vault, dropped when the change feed reports a
 * change to them (all of them when the feed reconnects), and the platform keys from the
 * environment. An OpenAI-compatible base URL is checked against SSRF each time it is read from the
 * vault (`UpstreamUrlGuard`: no private addresses unless the operator allows them). Subscribed to
 * the feed before the first lookup, so no change can slip in between.
 *
 * The serving thread (serving/) builds the same service over a lookup that asks the owning thread,
 * which answers with `vaultLookup`.
 */
import { ChangeFeed, UpstreamUrlGuard } from "@switchyard/auth"
import { Credentials } from "@switchyard/router-core"
import { Vault } from "@switchyard/vault"
import { Effect, Layer, Option, Stream } from "effect"

/** Reads a user's secret from the vault, its base URL checked again (it may resolve elsewhere by now). */
export const vaultLookup = Effect.gen(function* () {
  const vault = yield* Vault
  const guard = yield* UpstreamUrlGuard
  const lookup: Credentials.SecretLookup = (userId, provider) =>
    Effect.flatMap(vault.get(userId, provider), (found) => {
      if (Option.isNone(found)) return Effect.succeedNone
      const { metadata, secret } = found.value
      const secretOf = (refusal?: string): Option.Option<Credentials.UserSecret> =>
        Option.some({
          enabled: metadata.enabled,
          baseUrl: metadata.baseUrl ?? undefined,
          secret,
          refusal
        })
      if (metadata.baseUrl === null || provider !== "openai-compatible") return Effect.succeed(secretOf())
      return guard.check(metadata.baseUrl).pipe(
        Effect.as(secretOf()),
        Effect.catchTag("UpstreamUrlRejected", (rejected) => Effect.succeed(secretOf(rejected.message)))
      )
    })
  return lookup
})

/** Credentials over a secret lookup, kept current by the change feed. */
export const layerWithLookup = <E, R>(lookup: Effect.Effect<Credentials.SecretLookup, E, R>) =>
  Layer.scoped(
    Credentials.Credentials,
    Effect.gen(function* () {
      const feed = yield* ChangeFeed
      const changes = yield* feed.subscribe
      const platformKeys = yield* Credentials.platformKeysConfig
      return yield* Credentials.make({
        platformKeys,
        lookup: yield* lookup,
        changes: Stream.fromQueue(changes).pipe(
          Stream.filterMap((change): Option.Option<Credentials.SecretChange> => {
            switch (change._tag) {
              case "SecretChanged":
                return Option.some({ userId: change.userId, provider: change.provider })
              case "Resync":
                return Option.some({})
              default:
                return Option.none()
            }
          })
        )
      })
    })
  )

/** Credentials over the vault and the change feed. */
export const layer = layerWithLookup(vaultLookup)
