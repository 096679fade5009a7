/**
 * The handlers of the `analytics` HttpApi group: each reads the signed-in user (`CurrentUser`, from
 * the `Authentication` middleware) and asks `Analytics` for that user's numbers only. `interval`
 * is validated by the contract's URL schema before a handler runs (400 naming `interval`).
 *
 * Generic over the API the group sits in, so the control plane mounts it in `ControlPlaneApi` and
 * tests mount it in an API of their own:
 * `HttpApiBuilder.group(ControlPlaneApi, "analytics", analyticsHandlers)`.
 */
import type * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { type AnalyticsApi, type AnalyticsQuery, CurrentUser } from "@switchyard/domain"
import { Effect } from "effect"
import { Analytics, type AnalyticsScope } from "./Analytics.ts"

/** Builds the group's handlers; needs `Analytics`. */
export const analyticsHandlers = <E, R>(
  handlers: HttpApiBuilder.Handlers.FromGroup<E, R, typeof AnalyticsApi>
) =>
  Effect.gen(function* () {
    const analytics = yield* Analytics
    const scoped =
      <A, X>(read: (scope: AnalyticsScope) => Effect.Effect<A, X>) =>
      ({ urlParams }: { readonly urlParams: AnalyticsQuery }) =>
        Effect.flatMap(CurrentUser, (user) =>
          read({ userId: user.id, interval: urlParams.interval, apiKeyId: urlParams.apiKeyId })
        )
    return handlers
      .handle("overview", scoped(analytics.overview))
      .handle("timeseries", scoped(analytics.timeseries))
      .handle("latency", scoped(analytics.latency))
      .handle("cost", scoped(analytics.cost))
      .handle("errors", scoped(analytics.errors))
  })
