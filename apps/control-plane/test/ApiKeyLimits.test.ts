/**
 * Per-key limits over real HTTP and PostgreSQL: `PATCH /v1/apikey` sets them, `GET` shows them,
 * regenerate keeps them, and a router's cached `ApiKeyVerifier` sees a change at once.
 */
import { describe, expect, layer } from "@effect/vitest"
import { ApiKeyVerifier, ChangeFeed } from "@switchyard/auth"
import { Database } from "@switchyard/db"
import { Context, Effect, Layer, Option, Redacted, Schedule } from "effect"
import { call, newUser, Server, serverLayer } from "./harness.ts"

const patch = (token: string, json: unknown) => call("PATCH", "/v1/apikey", { token, json })

/**
 * The dotted path of the first issue of a 400 (`HttpApiDecodeError.issues[0].path`): the most
 * specific one, since later issues are the enclosing unions' alternatives.
 */
const firstField = (body: { issues?: ReadonlyArray<{ path: ReadonlyArray<string | number> }> }) =>
  body.issues?.[0]?.path.join(".")

describe("per-key limits over HTTP", () => {
  layer(serverLayer("cp_limits"), { excludeTestServices: true })((it) => {
    it.effect("the OpenAPI document describes PATCH /v1/apikey with limits, and the view shows them", () =>
      Effect.gen(function* () {
        const spec = (yield* call("GET", "/openapi.json")).body
        const patchOp = spec.paths["/v1/apikey"].patch
        expect(patchOp.operationId).toBe("apikey.update")
        const body = patchOp.requestBody.content["application/json"].schema
        expect(Object.keys(body.properties).sort()).toEqual(["enabled", "limits"])
        expect(body.required).toEqual([])
        expect(body.description).toContain("replaces the key's whole limits object")
        expect(JSON.stringify(body.properties.limits)).toContain("amountMicros")
        expect(spec.components.schemas.ApiKeyView.required).toContain("limits")
      })
    )

    it.effect(
      "PATCH round trip: set, replace, enable beside them, kept by regenerate, {} and null reset",
      () =>
        Effect.gen(function* () {
          const { token } = yield* newUser("limits")
          expect((yield* patch(token, { limits: { rpm: 5 } })).status).toBe(404)
          const created = yield* call("POST", "/v1/apikey", { token })
          expect(created.body.limits).toBeNull()
          expect((yield* call("GET", "/v1/apikey", { token })).body.limits).toBeNull()

          // A budget in dollars is stored and shown in micro-dollars; null means "no limit of this kind".
          const set = yield* patch(token, {
            limits: { rpm: 60, tpm: 100000, concurrency: null, budget: { usd: "12.50", period: "month" } }
          })
          expect(set.status).toBe(200)
          const shown = {
            rpm: 60,
            tpm: 100000,
            concurrency: null,
            budget: { amountMicros: 12_500_000, period: "month" }
          }
          expect(set.body).toMatchObject({ enabled: true, limits: shown })
          expect((yield* call("GET", "/v1/apikey", { token })).body.limits).toEqual(shown)

          // The object is replaced whole: rpm, tpm and concurrency go back to the defaults.
          const replaced = yield* patch(token, {
            limits: { budget: { amountMicros: 3_000_000, period: "day" } }
          })
          expect(replaced.body.limits).toEqual({ budget: { amountMicros: 3_000_000, period: "day" } })

          // enabled alone leaves the limits; both at once change both.
          const disabled = yield* patch(token, { enabled: false })
          expect([disabled.body.enabled, disabled.body.limits]).toEqual([
            false,
            { budget: { amountMicros: 3_000_000, period: "day" } }
          ])
          const both = yield* patch(token, { enabled: true, limits: { rpm: 7 } })
          expect([both.body.enabled, both.body.limits]).toEqual([true, { rpm: 7 }])

          const regenerated = yield* call("PUT", "/v1/apikey", { token })
          expect(regenerated.status).toBe(200)
          expect(regenerated.body.key).not.toBe(created.body.key)
          expect(regenerated.body.limits).toEqual({ rpm: 7 })
          expect((yield* call("GET", "/v1/apikey", { token })).body.limits).toEqual({ rpm: 7 })

          expect((yield* patch(token, { limits: {} })).body.limits).toBeNull()
          expect((yield* call("GET", "/v1/apikey", { token })).body.limits).toBeNull()
          yield* patch(token, { limits: { tpm: 9 } })
          expect((yield* patch(token, { limits: null })).body.limits).toBeNull()
          expect((yield* call("GET", "/v1/apikey", { token })).body).toMatchObject({
            enabled: true,
            limits: null
          })
        })
    )

    it.effect("bad limits are a 400 naming the field, and change nothing", () =>
      Effect.gen(function* () {
        const { token } = yield* newUser("badlimits")
        yield* call("POST", "/v1/apikey", { token })
        yield* patch(token, { limits: { rpm: 10 } })
        const cases: Array<[unknown, string]> = [
          [{ limits: { rpm: 0 } }, "limits.rpm"],
          [{ limits: { rpm: -5 } }, "limits.rpm"],
          [{ limits: { rpm: 1.5 } }, "limits.rpm"],
          [{ limits: { rpm: "10" } }, "limits.rpm"],
          [{ limits: { tpm: 0 } }, "limits.tpm"],
          [{ limits: { concurrency: true } }, "limits.concurrency"],
          // A misspelt limit is refused, not dropped (dropping it would reset rpm to the default).
          [{ limits: { rmp: 10 } }, "limits.rmp"],
          [{ limits: { budget: { usd: "lots", period: "month" } } }, "limits.budget.usd"],
          [{ limits: { budget: { amountMicros: 5, period: "week" } } }, "limits.budget.period"],
          [{ limits: { budget: { amountMicros: -1, period: "day" } } }, "limits.budget.amountMicros"],
          [{ limits: { budget: 20 } }, "limits.budget"],
          [{ limits: "fast" }, "limits"],
          [{ limits: [1] }, "limits"],
          [{ enabled: "yes", limits: { rpm: 1 } }, "enabled"]
        ]
        for (const [json, field] of cases) {
          const reply = yield* patch(token, json)
          const label = JSON.stringify(json)
          expect([label, reply.status, reply.body._tag]).toEqual([label, 400, "HttpApiDecodeError"])
          expect([label, firstField(reply.body)]).toEqual([label, field])
        }
        // Neither field: nothing to change is an error too, saying what to send.
        const empty = yield* patch(token, {})
        expect(empty.status).toBe(400)
        expect(empty.body.message).toContain("Give `enabled`, `limits` or both")

        expect((yield* call("GET", "/v1/apikey", { token })).body).toMatchObject({
          enabled: true,
          limits: { rpm: 10 }
        })
      })
    )

    it.effect("tenant isolation: B cannot set, see or reset A's limits", () =>
      Effect.gen(function* () {
        const a = yield* newUser("alice")
        const b = yield* newUser("bob")
        yield* call("POST", "/v1/apikey", { token: a.token })
        yield* patch(a.token, { limits: { rpm: 11 } })
        // B has no key: B's PATCH finds nothing, whatever A has.
        for (const json of [{ limits: { rpm: 1 } }, { limits: null }, { enabled: false, limits: {} }]) {
          const reply = yield* patch(b.token, json)
          expect([reply.status, reply.body._tag]).toEqual([404, "ApiKeyNotFound"])
        }
        // Once B has a key, B's limits are B's alone.
        yield* call("POST", "/v1/apikey", { token: b.token })
        expect((yield* patch(b.token, { limits: { rpm: 2 } })).body.limits).toEqual({ rpm: 2 })
        expect((yield* call("GET", "/v1/apikey", { token: b.token })).body.limits).toEqual({ rpm: 2 })
        yield* patch(b.token, { limits: null })
        expect((yield* call("GET", "/v1/apikey", { token: a.token })).body).toMatchObject({
          enabled: true,
          limits: { rpm: 11 }
        })
        // Without a session nothing changes at all.
        expect((yield* call("PATCH", "/v1/apikey", { json: { limits: null } })).status).toBe(401)
        expect((yield* call("GET", "/v1/apikey", { token: a.token })).body.limits).toEqual({ rpm: 11 })
      })
    )

    it.effect("a router's cached verifier returns the new limits right after a PATCH", () =>
      Effect.gen(function* () {
        const { databaseUrl } = yield* Server
        // The router's side: its own pool, its own change-feed connection, the production verifier.
        const router = yield* Layer.build(
          ApiKeyVerifier.layer.pipe(
            Layer.provideMerge(ChangeFeed.layerFromConfig),
            Layer.provide(Database.layerFromUrl(Redacted.make(databaseUrl!)))
          )
        )
        const verifier = Context.get(router, ApiKeyVerifier)
        const feed = Context.get(router, ChangeFeed)
        yield* feed.awaitListening.pipe(Effect.timeout("10 seconds"))
        const changes = yield* feed.subscribe

        const { token } = yield* newUser("router")
        const key = (yield* call("POST", "/v1/apikey", { token })).body.key as string
        const limitsOf = (raw: string) =>
          Effect.map(
            verifier.verify(raw),
            Option.map((k) => k.limits)
          )
        // Let the create's own notification pass, then cache the key: from here on only a change
        // on the feed can make the verifier read it again (a valid key is trusted for 10 minutes).
        yield* changes.take.pipe(Effect.timeout("10 seconds"))
        yield* Effect.sleep("50 millis")
        expect(yield* limitsOf(key)).toEqual(Option.some(null))

        const limits = { rpm: 3, budget: { amountMicros: 1_000_000, period: "day" as const } }
        const patched = yield* patch(token, { limits: { rpm: 3, budget: { usd: "1", period: "day" } } })
        expect(patched.body.limits).toEqual(limits)
        const until = (raw: string, expected: unknown) =>
          Effect.repeat(limitsOf(raw), {
            until: (now) => Option.isSome(now) && JSON.stringify(now.value) === JSON.stringify(expected),
            schedule: Schedule.spaced("5 millis")
          }).pipe(Effect.timeout("10 seconds"))
        yield* until(key, limits)
        const verified = Option.getOrThrow(yield* verifier.verify(key))
        expect(verified).toEqual({ keyId: patched.body.id, userId: verified.userId, limits })
        expect(verified.userId).toBe((yield* call("GET", "/auth/me", { token })).body.id)

        // Regenerated: the new key carries the same limits; a reset reaches the cache too.
        const key2 = (yield* call("PUT", "/v1/apikey", { token })).body.key as string
        expect(yield* limitsOf(key2)).toEqual(Option.some(limits))
        expect((yield* patch(token, { limits: null })).status).toBe(200)
        yield* until(key2, null)
        yield* Effect.repeat(verifier.verify(key), {
          until: Option.isNone,
          schedule: Schedule.spaced("5 millis")
        }).pipe(Effect.timeout("10 seconds"))
      }).pipe(Effect.scoped)
    )
  })
})
