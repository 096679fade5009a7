/**
 * `/api/*` (seed 004, plus versions and revert): each handler hands the authenticated caller to
 * `VibeApps`. A 429 also carries `Retry-After`.
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import {
  CreateAppResponse,
  DeleteAppResponse,
  RevertAppResponse,
  VibeApi,
  VibeCaller,
  WriteAppResponse
} from "@switchyard/domain"
import { VibeApps } from "@switchyard/vibe"
import { Effect } from "effect"

/** Adds `Retry-After` to the response when the effect fails with a 429. */
const withRetryAfter = <A, E extends { readonly _tag: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.tapError(effect, (error) =>
    error._tag === "VibeRateLimited" && "retry_after_seconds" in error
      ? HttpApp.appendPreResponseHandler((_request, response) =>
          Effect.succeed(
            HttpServerResponse.setHeader(response, "retry-after", String(error.retry_after_seconds))
          )
        )
      : Effect.void
  )

export const AppsLive = HttpApiBuilder.group(VibeApi, "apps", (handlers) =>
  Effect.gen(function* () {
    const apps = yield* VibeApps
    return handlers
      .handle("create", ({ payload }) =>
        Effect.flatMap(VibeCaller, (caller) =>
          apps.create(caller, { prompt: payload.prompt, userId: payload.user_id })
        ).pipe(
          Effect.map(({ appId }) => new CreateAppResponse({ app_id: appId, status: "created" })),
          withRetryAfter
        )
      )
      .handle("get", ({ path }) => Effect.flatMap(VibeCaller, (caller) => apps.details(caller, path.app_id)))
      .handle("write", ({ path, payload }) =>
        Effect.flatMap(VibeCaller, (caller) =>
          apps.write(caller, path.app_id, { text: payload.text, userId: payload.user_id })
        ).pipe(Effect.as(new WriteAppResponse({ status: "ok", app_id: path.app_id })), withRetryAfter)
      )
      .handle("history", ({ path }) =>
        Effect.flatMap(VibeCaller, (caller) => apps.history(caller, path.app_id))
      )
      .handle("status", ({ path }) =>
        Effect.flatMap(VibeCaller, (caller) => apps.status(caller, path.app_id))
      )
      .handle("remove", ({ path }) =>
        Effect.flatMap(VibeCaller, (caller) => apps.remove(caller, path.app_id)).pipe(
          Effect.as(new DeleteAppResponse({ status: "deleted", app_id: path.app_id }))
        )
      )
      .handle("versions", ({ path }) =>
        Effect.flatMap(VibeCaller, (caller) => apps.versions(caller, path.app_id))
      )
      .handle("revert", ({ path, payload }) =>
        Effect.flatMap(VibeCaller, (caller) =>
          apps.revert(caller, path.app_id, { version: payload.version, userId: payload.user_id })
        ).pipe(
          Effect.map(
            (version) =>
              new RevertAppResponse({ status: "ok", app_id: path.app_id, current_version: version })
          )
        )
      )
  })
)
