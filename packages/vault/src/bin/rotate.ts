/**
 * `bun run vault:rotate`: re-wraps every stored data key under the current master key
 * (`VAULT_TOKEN_KEY`), reading old records with `VAULT_PREVIOUS_KEYS`, in the database of
 * `POSTGRES_CONNECTION_STRING`. Safe to interrupt and run again, and to run while the apps serve.
 * Exits non-zero when some records could not be re-wrapped, naming them and why.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Database, Migrations } from "@switchyard/db"
import { Cause, Console, Data, Effect, Layer, Option } from "effect"
import { vaultMigrations } from "../migrations/index.ts"
import { Vault } from "../Vault.ts"

/** Some records could not be re-wrapped: the message is what the operator reads. */
class RotationIncomplete extends Data.TaggedError("RotationIncomplete")<{ readonly message: string }> {}

const rotate = Effect.gen(function* () {
  yield* Migrations.run([vaultMigrations])
  const vault = yield* Vault
  const result = yield* vault.rotate({
    onProgress: ({ rewrapped, unreadable }) =>
      Console.log(
        `vault:rotate: ${rewrapped} re-wrapped so far${unreadable > 0 ? `, ${unreadable} unreadable` : ""}`
      )
  })
  yield* Console.log(
    `vault:rotate: re-wrapped ${result.rewrapped} data key(s) under master key ${result.keyId}`
  )
  if (result.unreadable.length > 0) {
    for (const error of result.unreadable) yield* Console.error(`vault:rotate: skipped: ${error.message}`)
    return yield* new RotationIncomplete({
      message: `${result.unreadable.length} secret(s) could not be re-wrapped and still need their old key; keep VAULT_PREVIOUS_KEYS`
    })
  }
  yield* Console.log(
    "vault:rotate: every secret is under the current key; once every app runs with this VAULT_TOKEN_KEY, VAULT_PREVIOUS_KEYS may be removed"
  )
})

/** One line for what the operator can act on (configuration, unreadable records); the full cause otherwise. */
const report = (cause: Cause.Cause<unknown>) => {
  if (Cause.isInterruptedOnly(cause)) {
    return "interrupted; every committed batch is kept, run it again to finish"
  }
  const failure = Cause.failureOption(cause)
  return Option.isSome(failure) ? String(failure.value) : Cause.pretty(cause)
}

rotate.pipe(
  Effect.provide(Vault.layerPg.pipe(Layer.provideMerge(Database.layer))),
  Effect.tapErrorCause((cause) => Console.error(`vault:rotate: ${report(cause)}`)),
  (main) => NodeRuntime.runMain(main, { disableErrorReporting: true })
)
