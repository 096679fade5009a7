/**
 * The token verifier without a database: HS256 JWTs with the shared secret (user in `sub` or
 * `user_id`), everything else refused; Switchyard keys and sessions only through their verifiers.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Option, Redacted } from "effect"
import { SignJWT } from "jose"
import * as TokenVerifier from "../src/TokenVerifier.ts"

const secret = "shared-secret-for-the-unit-tests-0123456789"
const key = new TextEncoder().encode(secret)

const verifier = TokenVerifier.make({
  jwtSecret: Option.some(Redacted.make(secret)),
  laravelUrl: Option.none(),
  cacheTtl: Duration.seconds(60),
  negativeTtl: Duration.seconds(5),
  keys: undefined,
  sessions: undefined
})

const sign = (claims: Record<string, unknown>, alg = "HS256", signingKey: Uint8Array = key) =>
  new SignJWT(claims).setProtectedHeader({ alg }).setExpirationTime("1h").sign(signingKey)

describe("TokenVerifier", () => {
  it.effect("accepts an HS256 JWT with the user in sub or user_id", () =>
    Effect.gen(function* () {
      const { verify } = yield* verifier
      const bySub = yield* verify(yield* Effect.promise(() => sign({ sub: "42", name: "Ada" })))
      expect(bySub).toEqual(Option.some({ id: "42", name: "Ada", via: "jwt" }))
      const byUserId = yield* verify(yield* Effect.promise(() => sign({ user_id: 7 })))
      expect(byUserId).toEqual(Option.some({ id: "7", name: null, via: "jwt" }))
    })
  )

  it.effect("refuses other algorithms, other secrets, expired tokens, odd user ids and non-tokens", () =>
    Effect.gen(function* () {
      const { verify } = yield* verifier
      const refused = [
        yield* Effect.promise(() => sign({ sub: "42" }, "HS512")),
        yield* Effect.promise(() =>
          sign({ sub: "42" }, "HS256", new TextEncoder().encode(`${secret}-other`))
        ),
        yield* Effect.promise(() =>
          new SignJWT({ sub: "42" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime(0).sign(key)
        ),
        yield* Effect.promise(() => sign({ sub: "../admin" })),
        yield* Effect.promise(() => sign({ name: "no user" })),
        "a.b.c",
        "",
        "x".repeat(5000),
        "ef_someKeyButNoKeyVerifierConfigured"
      ]
      for (const token of refused) expect(yield* verify(token)).toEqual(Option.none())
    })
  )
})
