/**
 * One contract suite for `AppStore`, run against PostgreSQL and the in-memory layer: ownership,
 * the hourly create limit, versions and their numbering, history, revert, delete, the idle sweep
 * and serving.
 */
import { expect, layer } from "@effect/vitest"
import { TestDatabase } from "@switchyard/db/testing"
import { Effect, Layer, Option } from "effect"
import * as AppIds from "../src/AppIds.ts"
import { AppStore } from "../src/AppStore.ts"
import { vibeMigrations } from "../src/VibeMigrations.ts"

const layers = {
  postgres: AppStore.layerPg.pipe(Layer.provide(TestDatabase.layer("vibe_store", [vibeMigrations]))),
  memory: AppStore.layerMemory
}

const newApp = (ownerId: string, options: { readonly endUserId?: string; readonly perHour?: number } = {}) =>
  Effect.gen(function* () {
    const store = yield* AppStore
    const created = yield* store.create({
      id: AppIds.make(),
      ownerId,
      endUserId: options.endUserId ?? null,
      prompt: "first prompt",
      perHour: options.perHour ?? 100
    })
    if ("_tag" in created) throw new Error("limit reached unexpectedly")
    return created
  })

for (const [name, storeLayer] of Object.entries(layers)) {
  // Live clock: the idle sweep compares real timestamps, as PostgreSQL's now() does.
  layer(storeLayer, { timeout: 60_000, excludeTestServices: true })(`AppStore (${name})`, (it) => {
    it.effect("creates an app visible to its owner only, with its prompt as the first message", () =>
      Effect.gen(function* () {
        const store = yield* AppStore
        const owner = `user:${crypto.randomUUID()}`
        const app = yield* newApp(owner)
        expect(app).toMatchObject({
          ownerId: owner,
          status: "creating",
          currentVersion: null,
          endUserId: null
        })
        expect(Option.isSome(yield* store.find(app.id, owner))).toBe(true)
        expect(Option.isNone(yield* store.find(app.id, "user:someone-else"))).toBe(true)
        expect(yield* store.history(app.id)).toEqual([{ type: "user", content: "first prompt" }])
        expect(yield* store.firstPrompt(app.id)).toBe("first prompt")
        expect(yield* store.served(app.id)).toEqual(Option.some({ status: "creating", html: null }))
      })
    )

    it.effect(
      "refuses creates over the hourly allowance, per owner and end user, deleted apps included",
      () =>
        Effect.gen(function* () {
          const store = yield* AppStore
          const owner = `service:${crypto.randomUUID().slice(0, 8)}`
          const first = yield* newApp(owner, { endUserId: "dave", perHour: 2 })
          yield* store.remove(first.id)
          yield* newApp(owner, { endUserId: "dave", perHour: 2 })
          const third = yield* store.create({
            id: AppIds.make(),
            ownerId: owner,
            endUserId: "dave",
            prompt: "x",
            perHour: 2
          })
          expect("_tag" in third && third._tag).toBe("CreateLimitReached")
          if ("_tag" in third) {
            expect(third.retryAfterSeconds).toBeGreaterThan(3500)
            expect(third.retryAfterSeconds).toBeLessThanOrEqual(3600)
          }
          // Another end user of the same service has an allowance of their own.
          yield* newApp(owner, { endUserId: "erin", perHour: 2 })
        })
    )

    it.effect("numbers versions, serves the latest, lists them, and reverts", () =>
      Effect.gen(function* () {
        const store = yield* AppStore
        const owner = `user:${crypto.randomUUID()}`
        const app = yield* newApp(owner)
        expect(
          yield* store.addVersion(app.id, { html: "<p>one</p>", prompt: "first prompt", model: "m" })
        ).toBe(1)
        expect(yield* store.addVersion(app.id, { html: "<p>twö</p>", prompt: "edit", model: "m" })).toBe(2)
        expect(yield* store.currentHtml(app.id)).toEqual(Option.some("<p>twö</p>"))
        const versions = yield* store.versions(app.id)
        expect(versions.map((v) => [v.version, v.prompt, v.bytes])).toEqual([
          [1, "first prompt", 10],
          [2, "edit", 11]
        ])
        expect(yield* store.revert(app.id, 1)).toBe(true)
        expect(yield* store.revert(app.id, 7)).toBe(false)
        expect(yield* store.served(app.id)).toEqual(Option.some({ status: "active", html: "<p>one</p>" }))
        expect(Option.getOrThrow(yield* store.find(app.id, owner)).currentVersion).toBe(1)
      })
    )

    it.effect("stops idle active apps only, and counts active ones", () =>
      Effect.gen(function* () {
        const store = yield* AppStore
        const owner = `user:${crypto.randomUUID()}`
        const idle = yield* newApp(owner)
        yield* store.addVersion(idle.id, { html: "<p>x</p>", prompt: "p", model: "m" })
        const failed = yield* newApp(owner)
        yield* store.setStatus(failed.id, "failed")
        const before = yield* store.countActive
        yield* Effect.sleep("30 millis")
        const stopped = yield* store.stopIdle(0.01)
        expect(stopped.map((app) => app.id)).toContain(idle.id)
        expect(stopped.map((app) => app.id)).not.toContain(failed.id)
        expect(stopped.find((app) => app.id === idle.id)).toEqual({
          id: idle.id,
          ownerId: owner,
          endUserId: null
        })
        expect(yield* store.countActive).toBe(before - stopped.length)
        expect(Option.getOrThrow(yield* store.find(failed.id, owner)).status).toBe("failed")
        // A new version revives it.
        yield* store.addVersion(idle.id, { html: "<p>y</p>", prompt: "p2", model: "m" })
        expect(Option.getOrThrow(yield* store.find(idle.id, owner)).status).toBe("active")
      })
    )

    it.effect("delete drops versions and history and hides the app everywhere", () =>
      Effect.gen(function* () {
        const store = yield* AppStore
        const owner = `jwt:${crypto.randomUUID()}`
        const app = yield* newApp(owner)
        yield* store.addVersion(app.id, { html: "<p>x</p>", prompt: "p", model: "m" })
        yield* store.addMessage(app.id, { type: "assistant", content: "done" })
        yield* store.remove(app.id)
        expect(Option.isNone(yield* store.find(app.id, owner))).toBe(true)
        expect(Option.isNone(yield* store.served(app.id))).toBe(true)
        expect(yield* store.history(app.id)).toEqual([])
        expect(yield* store.versions(app.id)).toEqual([])
      })
    )
  })
}
