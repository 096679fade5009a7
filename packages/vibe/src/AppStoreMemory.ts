/**
 * `AppStore` in process memory, for fast tests of code built on the store; the same contract
 * suite runs against it and PostgreSQL (test/AppStore.test.ts).
 */
import type { VibeAppStatus } from "@switchyard/domain"
import { Clock, Effect, Option } from "effect"
import type { AppRecord, AppStore, MessageRecord, VersionRecord } from "./AppStore.ts"
import { LIST_LIMIT } from "./AppStore.ts"

interface StoredApp {
  record: AppRecord
  latestVersion: number
  lastActivity: number
  deleted: boolean
  versions: Array<VersionRecord & { readonly html: string }>
  messages: Array<MessageRecord>
}

/** A fresh, empty store. */
export const make = (): AppStore["Type"] => {
  const apps = new Map<string, StoredApp>()
  const live = (id: string) => {
    const app = apps.get(id)
    return app !== undefined && !app.deleted ? app : undefined
  }
  const update = (app: StoredApp, changes: Partial<AppRecord>, now: number) => {
    app.record = { ...app.record, ...changes, updatedAt: new Date(now) }
  }
  return {
    create: (input) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const recent = [...apps.values()]
          .filter(
            (app) =>
              app.record.ownerId === input.ownerId &&
              app.record.endUserId === input.endUserId &&
              app.record.createdAt.getTime() > now - 3_600_000
          )
          .map((app) => app.record.createdAt.getTime())
        if (recent.length >= input.perHour) {
          const freeAt = Math.min(...recent) + 3_600_000
          return {
            _tag: "CreateLimitReached",
            retryAfterSeconds: Math.max(1, Math.ceil((freeAt - now) / 1000))
          } as const
        }
        const record: AppRecord = {
          id: input.id,
          ownerId: input.ownerId,
          endUserId: input.endUserId,
          status: "creating",
          currentVersion: null,
          createdAt: new Date(now),
          updatedAt: new Date(now)
        }
        apps.set(input.id, {
          record,
          latestVersion: 0,
          lastActivity: now,
          deleted: false,
          versions: [],
          messages: [{ type: "user", content: input.prompt }]
        })
        return record
      }),
    find: (id, ownerId) =>
      Effect.sync(() => {
        const app = live(id)
        return app !== undefined && app.record.ownerId === ownerId ? Option.some(app.record) : Option.none()
      }),
    addMessage: (id, message) => Effect.sync(() => void apps.get(id)?.messages.push(message)),
    addVersion: (id, version) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const app = apps.get(id)
        if (app === undefined) return 0
        app.latestVersion += 1
        const number = app.latestVersion
        app.versions.push({
          version: number,
          prompt: version.prompt,
          model: version.model,
          html: version.html,
          bytes: Buffer.byteLength(version.html),
          createdAt: new Date(now)
        })
        app.lastActivity = now
        update(app, { currentVersion: number, status: "active" }, now)
        return number
      }),
    setStatus: (id, status: VibeAppStatus) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const app = apps.get(id)
        if (app !== undefined) update(app, { status }, now)
      }),
    firstPrompt: (id) =>
      Effect.sync(() => apps.get(id)?.messages.find((message) => message.type === "user")?.content ?? ""),
    currentHtml: (id) =>
      Effect.sync(() => {
        const app = apps.get(id)
        return Option.fromNullable(app?.versions.find((v) => v.version === app.record.currentVersion)?.html)
      }),
    history: (id) => Effect.sync(() => (apps.get(id)?.messages ?? []).slice(-LIST_LIMIT)),
    versions: (id) =>
      Effect.sync(() =>
        (apps.get(id)?.versions ?? []).slice(-LIST_LIMIT).map(({ html: _html, ...version }) => version)
      ),
    revert: (id, version) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const app = apps.get(id)
        if (app === undefined || !app.versions.some((v) => v.version === version)) return false
        app.lastActivity = now
        update(app, { currentVersion: version }, now)
        return true
      }),
    remove: (id) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const app = apps.get(id)
        if (app === undefined) return
        app.deleted = true
        app.versions = []
        app.messages = []
        update(app, { status: "stopped", currentVersion: null }, now)
      }),
    countActive: Effect.sync(
      () => [...apps.values()].filter((app) => !app.deleted && app.record.status === "active").length
    ),
    stopIdle: (idleSeconds) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const stopped: Array<{ id: string; ownerId: string; endUserId: string | null }> = []
        for (const app of apps.values()) {
          if (app.deleted || app.record.status !== "active" || app.lastActivity >= now - idleSeconds * 1000)
            continue
          update(app, { status: "stopped" }, now)
          stopped.push({ id: app.record.id, ownerId: app.record.ownerId, endUserId: app.record.endUserId })
        }
        return stopped
      }),
    served: (id) =>
      Effect.sync(() => {
        const app = live(id)
        if (app === undefined) return Option.none()
        const html = app.versions.find((v) => v.version === app.record.currentVersion)?.html ?? null
        return Option.some({ status: app.record.status, html })
      }),
    touch: (id) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const app = live(id)
        if (app !== undefined && app.record.status === "active" && app.lastActivity < now - 30_000)
          app.lastActivity = now
      })
  }
}
