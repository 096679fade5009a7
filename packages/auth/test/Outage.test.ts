/**
 * A database that fails is an expected failure, not a defect: the key store, the cached verifiers
 * and the key lifecycle fail with `ServiceUnavailable` (which the apps answer with 503), so an
 * outage can never look like a wrong key. Real PostgreSQL, with the tables dropped under the
 * running services.
 */
import { SqlClient } from "@effect/sql"
import { describe, expect, layer } from "@effect/vitest"
import { TestDatabase } from "@switchyard/db/testing"
import { ServiceUnavailable } from "@switchyard/domain"
import { Effect, Exit, Layer, Option, Redacted } from "effect"
import * as ApiKeyFormat from "../src/ApiKeyFormat.ts"
import { ApiKeys } from "../src/ApiKeys.ts"
import { ApiKeyVerifier } from "../src/ApiKeyVerifier.ts"
import { authMigrations } from "../src/AuthMigrations.ts"
import { ChangeFeed } from "../src/ChangeFeed.ts"
import { UserTokenVerifier } from "../src/UserTokenVerifier.ts"

const services = Layer.mergeAll(ApiKeys.layerPg, ApiKeyVerifier.layer, UserTokenVerifier.layer()).pipe(
  Layer.provide(ChangeFeed.layerMemory),
  Layer.provideMerge(TestDatabase.layer("auth_outage", [authMigrations]))
)

const failsAsOutage = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.map(Effect.exit(effect), (exit) => {
    expect(exit).toEqual(Exit.fail(ServiceUnavailable.database()))
  })

describe("a database outage", () => {
  layer(services)((it) => {
    it.effect("fails verification and key changes with ServiceUnavailable, never a defect", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const keys = yield* ApiKeys
        const verifier = yield* ApiKeyVerifier
        const tokens = yield* UserTokenVerifier
        // Working first: an unknown key is "no such key", not an error.
        expect(yield* verifier.verify(Redacted.value(ApiKeyFormat.generate()))).toEqual(Option.none())
        yield* sql`DROP TABLE api_key`
        yield* sql`DROP TABLE "session" CASCADE`
        const raw = Redacted.value(ApiKeyFormat.generate())
        yield* failsAsOutage(verifier.verify(raw))
        yield* failsAsOutage(keys.verify(raw))
        yield* failsAsOutage(keys.create("u1"))
        yield* failsAsOutage(keys.get("u1"))
        yield* failsAsOutage(tokens.verify("some-session-token"))
      })
    )
  })
})
