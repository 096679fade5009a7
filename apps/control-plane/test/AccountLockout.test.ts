/**
 * Sign-in is limited per account too, not only per address: over real HTTP and PostgreSQL, with
 * the per-address limit raised out of the way (as if the guesses came from many addresses).
 */
import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import pg from "pg"
import { CORS_ORIGIN, call, newUser, Server, serverLayer } from "./harness.ts"

const PASSWORD = "correct-horse-battery"

/** One sign-in, alternating seed 003's route and better-auth's own. */
const signIn = (email: string, password: string, i: number) =>
  i % 2 === 0
    ? call("POST", "/auth/login", { json: { email, password } })
    : call("POST", "/api/auth/sign-in/email", { json: { email, password }, headers: { origin: CORS_ORIGIN } })

describe("per-account sign-in lockout", () => {
  layer(serverLayer("cp_lockout", { credentialRateLimit: { window: 60, max: 1000 } }), {
    excludeTestServices: true
  })((it) => {
    it.effect(
      "five wrong passwords lock the account (429 + Retry-After on both routes), not the address",
      () =>
        Effect.gen(function* () {
          const { email } = yield* newUser("victim")
          const statuses: Array<number> = []
          for (let i = 0; i < 5; i++) statuses.push((yield* signIn(email, `guess-${i}-xxxxxxxx`, i)).status)
          expect(statuses).toEqual([401, 401, 401, 401, 401])

          // Even the right password is refused now, on either route, with how long to wait.
          for (let i = 0; i < 2; i++) {
            const locked = yield* signIn(email, PASSWORD, i)
            expect(locked.status).toBe(429)
            const retryAfter = Number(locked.headers.get("retry-after"))
            expect(retryAfter).toBeGreaterThanOrEqual(1)
            expect(retryAfter).toBeLessThanOrEqual(60)
            expect(locked.body.message).toContain("this account")
            if (i === 0)
              expect(locked.body).toMatchObject({ _tag: "TooManyRequests", retryAfterSeconds: retryAfter })
          }

          // Same address, another account: signs in.
          const other = yield* newUser("bystander")
          expect((yield* signIn(other.email, PASSWORD, 0)).status).toBe(200)

          // Shared by every instance: the count is in PostgreSQL, under a hash, never the email.
          const { databaseUrl } = yield* Server
          const rows = yield* Effect.acquireUseRelease(
            Effect.promise(async () => {
              const client = new pg.Client({ connectionString: databaseUrl })
              await client.connect()
              return client
            }),
            (client) => Effect.promise(() => client.query(`SELECT account, attempts FROM sign_in_attempts`)),
            (client) => Effect.promise(() => client.end())
          )
          expect(rows.rows).toHaveLength(1)
          expect(rows.rows[0].attempts).toBe(5)
          expect(JSON.stringify(rows.rows)).not.toContain(email.split("@")[0])
        })
    )

    it.effect("a successful sign-in resets the count", () =>
      Effect.gen(function* () {
        const { email } = yield* newUser("forgetful")
        for (let round = 0; round < 2; round++) {
          for (let i = 0; i < 4; i++)
            expect((yield* signIn(email, `wrong-${i}-xxxxxxxx`, i)).status).toBe(401)
          expect((yield* signIn(email, PASSWORD, round)).status).toBe(200)
        }
      })
    )
  })
})
