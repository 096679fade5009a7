/**
 * `/v1/apikey`: the signed-in user's key, and the public verify call.
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { ApiKeyFormat, type ApiKeyRecord, ApiKeys, PlatformProviders } from "@switchyard/auth"
import {
  ApiKeyNotFound,
  ApiKeyView,
  ControlPlaneApi,
  CreatedApiKey,
  CurrentUser,
  InvalidKey,
  type ProviderId,
  ValidKey
} from "@switchyard/domain"
import { Effect, Option, Redacted } from "effect"
import { Secrets } from "../Secrets.ts"

/** The masked view of a stored key. */
export const toView = (record: ApiKeyRecord) =>
  new ApiKeyView({
    id: record.id,
    prefix: record.prefix,
    last4: record.last4,
    maskedKey: ApiKeyFormat.mask(record),
    enabled: record.enabled,
    createdAt: record.createdAt,
    lastUsedAt: record.lastUsedAt,
    limits: record.limits
  })

/** The apikey group. */
export const ApiKeyLive = HttpApiBuilder.group(ControlPlaneApi, "apikey", (handlers) =>
  Effect.gen(function* () {
    const keys = yield* ApiKeys
    const secrets = yield* Secrets
    const platform = yield* PlatformProviders
    // A database failure is an outage, not a bad request: `ServiceUnavailable` (503) from the repository.
    const issued = ({ key, record }: { key: Redacted.Redacted<string>; record: ApiKeyRecord }) =>
      new CreatedApiKey({ ...toView(record), key })

    return handlers
      .handle("get", () =>
        Effect.gen(function* () {
          const user = yield* CurrentUser
          const record = yield* keys.get(user.id)
          if (Option.isNone(record)) {
            return yield* new ApiKeyNotFound({
              message: "You have no API key; create one with POST /v1/apikey"
            })
          }
          return toView(record.value)
        })
      )
      .handle("create", () =>
        Effect.flatMap(CurrentUser, (user) => keys.create(user.id)).pipe(Effect.map(issued))
      )
      .handle("regenerate", () =>
        Effect.flatMap(CurrentUser, (user) => keys.regenerate(user.id)).pipe(Effect.map(issued))
      )
      .handle("update", ({ payload }) =>
        Effect.flatMap(CurrentUser, (user) =>
          keys.update(user.id, {
            ...(payload.enabled !== undefined ? { enabled: payload.enabled } : {}),
            ...(payload.limits !== undefined ? { limits: payload.limits } : {})
          })
        ).pipe(Effect.map(toView))
      )
      .handle("remove", () => Effect.flatMap(CurrentUser, (user) => keys.remove(user.id)))
      .handle("verify", ({ payload }) =>
        Effect.gen(function* () {
          const verified = yield* keys.verify(Redacted.value(payload.key))
          if (Option.isNone(verified)) return new InvalidKey({ valid: false })
          const own = yield* secrets.enabledProviders(verified.value.userId)
          const providers = [...new Set([...own, ...platform.providers])].sort() as Array<ProviderId>
          return new ValidKey({ valid: true, userId: verified.value.userId, providers })
        })
      )
  })
)
