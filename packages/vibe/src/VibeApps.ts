/**
 * Seed 004's operations on apps, for one authenticated caller: create, details, write (edit),
 * history, status, delete, versions and revert. Ownership is checked on every call (someone else's
 * app is "not found"); generation goes through the router with the caller's own credential, or
 * the operator's `VIBE_ROUTER_KEY` for callers without one.
 */
import {
  AppDetails,
  AppHistory,
  AppStatusResponse,
  AppVersion,
  AppVersions,
  HistoryMessage,
  VibeAppNotFound,
  type VibeCallerInfo,
  VibeGenerationFailed,
  VibeInvalidRequest,
  VibeRateLimited,
  VibeUnavailable
} from "@switchyard/domain"
import { Context, Effect, Layer, Option, type Redacted } from "effect"
import * as AppIds from "./AppIds.ts"
import { AppStatusEvents } from "./AppStatusEvents.ts"
import { type AppRecord, AppStore } from "./AppStore.ts"
import { AppUrls } from "./AppUrls.ts"
import { type GenerationRejected, Generator } from "./Generator.ts"
import * as Prompts from "./Prompts.ts"
import type { RouterCallFailed } from "./RouterClient.ts"
import { VibeSettings } from "./VibeSettings.ts"

/** Seconds a caller is told to wait when every generation slot is taken. */
const BUSY_RETRY_SECONDS = 5

/** The vibe-apps operations. */
export class VibeApps extends Context.Tag("@switchyard/vibe/VibeApps")<
  VibeApps,
  {
    readonly create: (
      caller: VibeCallerInfo,
      request: { readonly prompt: string; readonly userId: string | undefined }
    ) => Effect.Effect<{ readonly appId: string }, VibeGenerationFailed | VibeRateLimited | VibeUnavailable>
    readonly details: (
      caller: VibeCallerInfo,
      appId: string
    ) => Effect.Effect<AppDetails, VibeAppNotFound | VibeUnavailable>
    readonly write: (
      caller: VibeCallerInfo,
      appId: string,
      request: { readonly text: string; readonly userId: string | undefined }
    ) => Effect.Effect<void, VibeAppNotFound | VibeGenerationFailed | VibeRateLimited | VibeUnavailable>
    readonly history: (
      caller: VibeCallerInfo,
      appId: string
    ) => Effect.Effect<AppHistory, VibeAppNotFound | VibeUnavailable>
    readonly status: (
      caller: VibeCallerInfo,
      appId: string
    ) => Effect.Effect<AppStatusResponse, VibeAppNotFound | VibeUnavailable>
    readonly remove: (
      caller: VibeCallerInfo,
      appId: string
    ) => Effect.Effect<void, VibeAppNotFound | VibeUnavailable>
    readonly versions: (
      caller: VibeCallerInfo,
      appId: string
    ) => Effect.Effect<AppVersions, VibeAppNotFound | VibeUnavailable>
    readonly revert: (
      caller: VibeCallerInfo,
      appId: string,
      request: { readonly version: number; readonly userId: string | undefined }
    ) => Effect.Effect<number, VibeAppNotFound | VibeInvalidRequest | VibeUnavailable>
    readonly activeCount: Effect.Effect<number, VibeUnavailable>
  }
>() {
  static readonly layer = Layer.effect(
    VibeApps,
    Effect.gen(function* () {
      const store = yield* AppStore
      const generator = yield* Generator
      const settings = yield* VibeSettings
      const urls = yield* AppUrls
      const events = yield* AppStatusEvents
      const slots = yield* Effect.makeSemaphore(settings.maxConcurrentGenerations)

      /** A service caller's end user (from `user_id`); other callers are their own end user. */
      const endUserOf = (caller: VibeCallerInfo, userId: string | undefined) =>
        caller.kind === "service_key" ? (userId ?? null) : null

      const notFound = (appId: string) =>
        new VibeAppNotFound({ message: `No app ${appId} (or it is not yours)`, app_id: appId })

      /** The caller's app; for a service naming an end user, only that user's app. */
      const owned = (caller: VibeCallerInfo, appId: string, userId?: string) =>
        Effect.flatMap(store.find(appId, caller.ownerId), (found) => {
          if (Option.isNone(found)) return Effect.fail(notFound(appId))
          const endUser = endUserOf(caller, userId)
          if (endUser !== null && found.value.endUserId !== null && found.value.endUserId !== endUser)
            return Effect.fail(notFound(appId))
          return Effect.succeed(found.value)
        })

      const credentialOf = (caller: VibeCallerInfo) =>
        Option.match(
          Option.orElse(caller.routerCredential, () => settings.routerKey),
          {
            onNone: () =>
              Effect.fail(
                new VibeUnavailable({
                  message:
                    "Generation for this kind of credential needs the operator's VIBE_ROUTER_KEY, which is not set"
                })
              ),
            onSome: (credential) => Effect.succeed(credential)
          }
        )

      /** Takes a generation slot for `effect`, or answers 429 at once when all are taken. */
      const inSlot = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
        Effect.flatMap(
          slots.withPermitsIfAvailable(1)(effect),
          Option.match({
            onNone: () =>
              Effect.fail(
                new VibeRateLimited({
                  message: `${settings.maxConcurrentGenerations} apps are being generated right now; try again shortly`,
                  retry_after_seconds: BUSY_RETRY_SECONDS
                })
              ),
            onSome: Effect.succeed
          })
        )

      /** A failed generation, for the caller: 429 when the router refused for a limit, else 502. */
      const failureOf = (appId: string, failure: RouterCallFailed | GenerationRejected) =>
        failure._tag === "RouterCallFailed" && failure.retryAfterSeconds !== undefined
          ? new VibeRateLimited({
              message: `Generation was refused by the router's limits: ${failure.reason}`,
              retry_after_seconds: failure.retryAfterSeconds
            })
          : new VibeGenerationFailed({
              message: `Generating the app failed: ${failure.reason}`,
              app_id: appId
            })

      /**
       * Runs one generation for an app whose user message is already stored: stores the version
       * and the assistant's message, or the failure in the history. `fallbackStatus` is what the
       * app becomes when it fails.
       */
      const runGeneration = (
        app: AppRecord,
        ownerId: string,
        request: string,
        messages: ReadonlyArray<Prompts.ChatMessage>,
        credential: Redacted.Redacted<string>,
        isEdit: boolean,
        fallbackStatus: AppRecord["status"]
      ) =>
        generator.document(messages, credential).pipe(
          Effect.matchEffect({
            onFailure: (failure) =>
              Effect.gen(function* () {
                const reason = failure.reason
                yield* Effect.logWarning("vibe: generation failed", { app_id: app.id, reason })
                yield* store.addMessage(app.id, {
                  type: "assistant",
                  content: `Generation failed: ${reason}`
                })
                yield* store.setStatus(app.id, fallbackStatus)
                yield* events.publish({
                  ownerId,
                  endUserId: app.endUserId,
                  app_id: app.id,
                  status: fallbackStatus
                })
                return yield* Effect.fail(failureOf(app.id, failure))
              }),
            onSuccess: (generated) =>
              Effect.gen(function* () {
                const version = yield* store.addVersion(app.id, {
                  html: generated.html,
                  prompt: request,
                  model: generated.model
                })
                const message = yield* generator.explanation({ text: request, isEdit, version }, credential)
                yield* store.addMessage(app.id, { type: "assistant", content: message })
                yield* events.publish({
                  ownerId,
                  endUserId: app.endUserId,
                  app_id: app.id,
                  status: "active",
                  version
                })
                yield* Effect.logInfo("vibe: app generated", {
                  app_id: app.id,
                  version,
                  bytes: generated.html.length
                })
              })
          })
        )

      const create = (
        caller: VibeCallerInfo,
        request: { readonly prompt: string; readonly userId: string | undefined }
      ) =>
        Effect.gen(function* () {
          const credential = yield* credentialOf(caller)
          return yield* inSlot(
            Effect.gen(function* () {
              const created = yield* store.create({
                id: AppIds.make(),
                ownerId: caller.ownerId,
                endUserId: endUserOf(caller, request.userId),
                prompt: request.prompt,
                perHour: settings.createsPerHour
              })
              if ("_tag" in created) {
                return yield* Effect.fail(
                  new VibeRateLimited({
                    message: `At most ${settings.createsPerHour} apps can be created per hour`,
                    retry_after_seconds: created.retryAfterSeconds
                  })
                )
              }
              yield* events.publish({
                ownerId: caller.ownerId,
                endUserId: created.endUserId,
                app_id: created.id,
                status: "creating"
              })
              yield* runGeneration(
                created,
                caller.ownerId,
                request.prompt,
                Prompts.create(request.prompt),
                credential,
                false,
                "failed"
              )
              return { appId: created.id }
            })
          )
        })

      const write = (
        caller: VibeCallerInfo,
        appId: string,
        request: { readonly text: string; readonly userId: string | undefined }
      ) =>
        Effect.gen(function* () {
          const app = yield* owned(caller, appId, request.userId)
          const credential = yield* credentialOf(caller)
          yield* inSlot(
            Effect.gen(function* () {
              const current = yield* store.currentHtml(appId)
              const first = yield* store.firstPrompt(appId)
              yield* store.addMessage(appId, { type: "user", content: request.text })
              // With no working version yet (its first generation failed), the edit starts over.
              const messages = Option.match(current, {
                onNone: () => Prompts.create(`${first}\n\n${request.text}`),
                onSome: (html) => Prompts.edit(first, html, request.text)
              })
              // A failed edit leaves a working app as it was; an app with nothing to serve stays failed.
              const fallback = Option.isSome(current) ? app.status : "failed"
              yield* runGeneration(app, caller.ownerId, request.text, messages, credential, true, fallback)
            })
          )
        })

      const isoOf = (date: Date) => date.toISOString()

      return {
        create,
        write,
        details: (caller, appId) =>
          Effect.map(
            owned(caller, appId),
            (app) =>
              new AppDetails({
                app_id: app.id,
                status: app.status,
                url: urls.urlOf(app.id),
                created_at: isoOf(app.createdAt),
                updated_at: isoOf(app.updatedAt)
              })
          ),
        history: (caller, appId) =>
          Effect.zipRight(owned(caller, appId), store.history(appId)).pipe(
            Effect.map(
              (messages) =>
                new AppHistory({
                  message_history: messages.map(
                    (m) => new HistoryMessage({ content: m.content, type: m.type })
                  )
                })
            )
          ),
        status: (caller, appId) =>
          Effect.map(owned(caller, appId), (app) => new AppStatusResponse({ status: app.status })),
        remove: (caller, appId) =>
          Effect.gen(function* () {
            const app = yield* owned(caller, appId)
            yield* store.remove(appId)
            yield* events.publish({
              ownerId: caller.ownerId,
              endUserId: app.endUserId,
              app_id: appId,
              status: "deleted"
            })
          }),
        versions: (caller, appId) =>
          Effect.gen(function* () {
            const app = yield* owned(caller, appId)
            const versions = yield* store.versions(appId)
            return new AppVersions({
              app_id: appId,
              current_version: app.currentVersion,
              versions: versions.map(
                (v) =>
                  new AppVersion({
                    version: v.version,
                    prompt: v.prompt,
                    model: v.model,
                    bytes: v.bytes,
                    created_at: isoOf(v.createdAt)
                  })
              )
            })
          }),
        revert: (caller, appId, request) =>
          Effect.gen(function* () {
            const app = yield* owned(caller, appId, request.userId)
            const done = yield* store.revert(appId, request.version)
            if (!done)
              return yield* Effect.fail(
                new VibeInvalidRequest({
                  message: `App ${appId} has no version ${request.version}`,
                  field: "version"
                })
              )
            // Serving an earlier version counts as activity, and revives a stopped app.
            if (app.status !== "active") yield* store.setStatus(appId, "active")
            yield* events.publish({
              ownerId: caller.ownerId,
              endUserId: app.endUserId,
              app_id: appId,
              status: "active",
              version: request.version
            })
            return request.version
          }),
        activeCount: store.countActive
      }
    })
  )
}
