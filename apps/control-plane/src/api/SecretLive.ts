/**
 * `/v1/secret`: the signed-in user's provider secrets. Every call is scoped to `CurrentUser`, so
 * no path or body can name another user's secret.
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { ControlPlaneApi, CurrentUser } from "@switchyard/domain"
import { Effect } from "effect"
import { Secrets } from "../Secrets.ts"

/** The secret group. */
export const SecretLive = HttpApiBuilder.group(ControlPlaneApi, "secret", (handlers) =>
  Effect.gen(function* () {
    const secrets = yield* Secrets
    return handlers
      .handle("list", () => Effect.flatMap(CurrentUser, (user) => secrets.list(user.id)))
      .handle("put", ({ payload }) => Effect.flatMap(CurrentUser, (user) => secrets.put(user.id, payload)))
      .handle("setEnabled", ({ path, payload }) =>
        Effect.flatMap(CurrentUser, (user) => secrets.setEnabled(user.id, path.provider, payload.enabled))
      )
      .handle("remove", ({ path }) =>
        Effect.flatMap(CurrentUser, (user) => secrets.remove(user.id, path.provider))
      )
  })
)
