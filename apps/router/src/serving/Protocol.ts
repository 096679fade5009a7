/**
 * The messages between the router's two threads (see ServingThread.ts): the serving thread (a
 * `Worker` with `Bun.serve` and the model routes) and the owning thread (the Effect runtime with
 * the pools, the change feed, the ledger writer). Everything here crosses `postMessage`, so it is
 * plain data: errors travel in their schema's encoded form and are decoded on arrival, secrets as
 * strings re-wrapped in `Redacted` at once (they never leave the process).
 */
import type { ApiKeyRecord, Change, LiveSession } from "@switchyard/auth"
import {
  DecryptionError,
  GatewayError,
  LimitExceeded,
  LimitsUnavailable,
  ServiceUnavailable
} from "@switchyard/domain"
import type { EffectiveLimits, Limiter } from "@switchyard/router-core"
import { Schema } from "effect"
import type { UsageBatch } from "./UsageBatch.ts"

/** A user's secret as the vault lookup answers it, the secret in plain text (in-process only). */
export interface SecretData {
  readonly enabled: boolean
  readonly baseUrl: string | undefined
  readonly secret: string
  readonly refusal: string | undefined
}

/** Errors that cross between the threads, by tag. */
const CrossingError = Schema.Union(
  GatewayError,
  ServiceUnavailable,
  DecryptionError,
  LimitExceeded,
  LimitsUnavailable
)
export type CrossingError = typeof CrossingError.Type
/** A crossing error's encoded form (plain data). */
export type EncodedError = typeof CrossingError.Encoded

export const encodeError: (error: CrossingError) => EncodedError = Schema.encodeSync(CrossingError)
export const decodeError: (encoded: EncodedError) => CrossingError = Schema.decodeSync(CrossingError)

/** Questions the serving thread asks the owning thread. */
export type ServingAsks =
  | { readonly _tag: "FindKey"; readonly keyHash: string }
  | { readonly _tag: "FindSession"; readonly sessionToken: string }
  | { readonly _tag: "LookupSecret"; readonly userId: string; readonly provider: string }

/** Questions the owning thread asks the serving thread (its routes share the one limiter). */
export type OwnerAsks =
  | {
      readonly _tag: "Admit"
      readonly subject: Limiter.Subject
      readonly limits: EffectiveLimits.EffectiveLimits
      readonly estimate: Limiter.Usage
    }
  | { readonly _tag: "LimiterHealth" }

/** What each question is answered with. */
export interface Answers {
  readonly FindKey: ApiKeyRecord | undefined
  readonly FindSession: LiveSession | undefined
  readonly LookupSecret: SecretData | undefined
  readonly Admit: RemoteAdmission
  readonly LimiterHealth: Limiter.LimiterHealth
}

/** An admission as it crosses back to the owning thread: settled later by its id. */
export interface RemoteAdmission {
  readonly id: number
  readonly rateLimit: Limiter.RateLimitSnapshot
  readonly degraded: boolean
}

/** A question on the wire, and its answer (`ok: false`: an encoded `CrossingError`). */
export interface Ask<Q> {
  readonly _tag: "Ask"
  readonly id: number
  readonly question: Q
}
export interface Reply {
  readonly _tag: "Reply"
  readonly id: number
  readonly ok: boolean
  readonly value: unknown
}

/** Serving thread → owning thread. */
export type FromServing =
  | Ask<ServingAsks>
  | Reply
  /** Finished requests' usage events, in batches (columns: UsageBatch.ts). */
  | { readonly _tag: "Usage"; readonly batch: UsageBatch }
  /** A live event for a user's room on the realtime hub (budget alerts). */
  | { readonly _tag: "Publish"; readonly userId: string; readonly event: string; readonly data: unknown }
  /** Its services are built; it listens once told to. */
  | { readonly _tag: "Prepared" }
  | { readonly _tag: "Listening"; readonly url: string }
  | { readonly _tag: "StartFailed"; readonly message: string }
  | { readonly _tag: "Drained"; readonly finished: boolean }

/** Owning thread → serving thread. */
export type ToServing =
  | { readonly _tag: "Start"; readonly data: WorkerData }
  | Ask<OwnerAsks>
  | Reply
  /** A change from the feed, for the serving thread's caches. */
  | { readonly _tag: "Change"; readonly change: Change }
  | { readonly _tag: "Settle"; readonly id: number; readonly actual: Limiter.Usage }
  /** Start listening on the public port (the owning thread's routes are reachable by now). */
  | { readonly _tag: "Listen" }
  /** Stop accepting; let what is in flight finish within `graceMs`; flush usage; answer `Drained`. */
  | { readonly _tag: "Drain"; readonly graceMs: number }

/** What the serving thread needs to start. */
export interface WorkerData {
  readonly port: number
  readonly hostname: string | undefined
  /** The owning thread's listener for every route the serving thread does not serve itself. */
  readonly ownerSocket: string
  readonly corsOrigins: ReadonlyArray<string>
}
