/**
 * Provider secrets behind `/v1/secret`: stored through the vault, described without the secret,
 * base URLs checked against SSRF, every change published on the change feed.
 */
import { ChangeFeed, UpstreamUrlGuard } from "@switchyard/auth"
import {
  InvalidRequest,
  type ProviderId,
  type PutSecretRequest,
  SecretNotFound,
  SecretView,
  type ServiceUnavailable
} from "@switchyard/domain"
import { type SecretMetadata, Vault } from "@switchyard/vault"
import { Context, Effect, Layer, Option } from "effect"

/** A stored secret as the API shows it. */
export const toView = (metadata: SecretMetadata): SecretView =>
  new SecretView({
    provider: metadata.provider as ProviderId,
    enabled: metadata.enabled,
    ...(metadata.baseUrl === null ? {} : { baseUrl: metadata.baseUrl }),
    last4: metadata.last4,
    createdAt: metadata.createdAt,
    updatedAt: metadata.updatedAt
  })

const notFound = (provider: string) =>
  new SecretNotFound({ message: `You have no ${provider} secret`, provider })

/** The user's provider secrets; `ServiceUnavailable` (503) when the vault's database is down. */
export class Secrets extends Context.Tag("@switchyard/control-plane/Secrets")<
  Secrets,
  {
    readonly list: (userId: string) => Effect.Effect<ReadonlyArray<SecretView>, ServiceUnavailable>
    readonly put: (
      userId: string,
      request: PutSecretRequest
    ) => Effect.Effect<SecretView, InvalidRequest | ServiceUnavailable>
    readonly setEnabled: (
      userId: string,
      provider: ProviderId,
      enabled: boolean
    ) => Effect.Effect<SecretView, SecretNotFound | ServiceUnavailable>
    readonly remove: (
      userId: string,
      provider: ProviderId
    ) => Effect.Effect<void, SecretNotFound | ServiceUnavailable>
    /** Providers the user has an enabled secret for. */
    readonly enabledProviders: (userId: string) => Effect.Effect<ReadonlyArray<string>, ServiceUnavailable>
  }
>() {
  static readonly layer: Layer.Layer<Secrets, never, Vault | ChangeFeed | UpstreamUrlGuard> = Layer.effect(
    Secrets,
    Effect.gen(function* () {
      const vault = yield* Vault
      const feed = yield* ChangeFeed
      const guard = yield* UpstreamUrlGuard
      const changed = (userId: string, provider: string) =>
        feed.publish({ _tag: "SecretChanged", userId, provider })
      return {
        list: (userId) => Effect.map(vault.list(userId), (all) => all.map(toView)),
        put: (userId, request) =>
          Effect.gen(function* () {
            if (request.baseUrl !== undefined) {
              yield* guard
                .check(request.baseUrl)
                .pipe(
                  Effect.mapError(
                    (rejected) => new InvalidRequest({ message: rejected.message, field: "baseUrl" })
                  )
                )
            }
            const metadata = yield* vault.put({
              ownerId: userId,
              provider: request.provider,
              secret: request.apiKey,
              baseUrl: request.baseUrl ?? null
            })
            yield* changed(userId, request.provider)
            return toView(metadata)
          }),
        setEnabled: (userId, provider, enabled) =>
          Effect.gen(function* () {
            const metadata = yield* vault.setEnabled(userId, provider, enabled)
            if (Option.isNone(metadata)) return yield* notFound(provider)
            yield* changed(userId, provider)
            return toView(metadata.value)
          }),
        remove: (userId, provider) =>
          Effect.gen(function* () {
            if (!(yield* vault.remove(userId, provider))) return yield* notFound(provider)
            yield* changed(userId, provider)
          }),
        enabledProviders: (userId) =>
          Effect.map(vault.list(userId), (all) => all.filter((s) => s.enabled).map((s) => s.provider))
      }
    })
  )
}
