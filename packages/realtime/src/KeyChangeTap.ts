/**
 * Live key changes for the dashboard: an `ApiKeys` that does what the one it wraps does and, when
 * a change succeeds, publishes `key_changed` to the owner's room (created, regenerated, enabled,
 * disabled, updated, deleted), with the key's id and never the key. Wired by the control plane
 * around `ApiKeys.layerPg`; the publish is fire-and-forget.
 */
import { ApiKeys } from "@switchyard/auth"
import { Effect, Layer } from "effect"
import type { KeyChanged } from "./Events.ts"
import { Publisher } from "./Publisher.ts"

/** Wraps the `ApiKeys` below it (provide it, and a `Publisher`, to this layer). */
export const layer: Layer.Layer<ApiKeys, never, ApiKeys | Publisher> = Layer.effect(
  ApiKeys,
  Effect.gen(function* () {
    const inner = yield* ApiKeys
    const publisher = yield* Publisher
    const tell = (userId: string, action: KeyChanged["action"], keyId: string | null) =>
      Effect.sync(() =>
        publisher.publish(userId, "key_changed", { action, keyId, timestamp: new Date().toISOString() })
      )
    return {
      ...inner,
      create: (userId) =>
        Effect.tap(inner.create(userId), (issued) => tell(userId, "created", issued.record.id)),
      regenerate: (userId) =>
        Effect.tap(inner.regenerate(userId), (issued) => tell(userId, "regenerated", issued.record.id)),
      update: (userId, patch) =>
        Effect.tap(inner.update(userId, patch), (record) =>
          tell(
            userId,
            patch.limits === undefined && patch.enabled !== undefined
              ? patch.enabled
                ? "enabled"
                : "disabled"
              : "updated",
            record.id
          )
        ),
      setEnabled: (userId, enabled) =>
        Effect.tap(inner.setEnabled(userId, enabled), (record) =>
          tell(userId, enabled ? "enabled" : "disabled", record.id)
        ),
      remove: (userId) => Effect.tap(inner.remove(userId), () => tell(userId, "deleted", null))
    }
  })
)
