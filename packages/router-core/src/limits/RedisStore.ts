/**
 * The limiter backend shared by every router instance: one `EVALSHA` of an atomic Lua script per
 * admission and at most one per settlement (ioredis `defineCommand` sends the script's SHA and
 * loads the script itself on `NOSCRIPT`). Keys expire on their own: a bucket when it has refilled,
 * a lease set after the lease TTL, a budget counter a day after its period.
 */
import type { LimitExceeded, LimitKind, LimitScope, RateLimitWindow } from "@switchyard/domain"
import type { Redis } from "ioredis"
import * as BudgetPeriod from "./BudgetPeriod.ts"
import * as LimitScripts from "./LimitScripts.ts"
import type {
  Adjustment,
  AdmitRequest,
  LimitStore,
  RateLimitSnapshot,
  ScopePlan,
  StoreAdmission
} from "./LimitStore.ts"
import { refusal } from "./Refusal.ts"

/** Options of the Redis store. */
export interface RedisStoreOptions {
  /** Prepended to every key, e.g. `switchyard:limits:`. */
  readonly prefix: string
  /** How long a concurrency slot is held when a request never releases it (crash, lost reply). */
  readonly leaseTtlMs: number
}

/** The scripts as ioredis commands (added to the client by `defineCommand`). */
interface LimitCommands {
  switchyardLimitsAdmit(...args: ReadonlyArray<string | number>): Promise<Array<number>>
  switchyardLimitsSettle(...args: ReadonlyArray<string | number>): Promise<number>
}

const KINDS: ReadonlyArray<LimitKind> = ["requests", "requests", "tokens", "concurrency", "budget"]
/** The scope of each script slot, in order. */
const SCOPES: ReadonlyArray<LimitScope> = ["key", "user", "route"]

const windowAt = (reply: ReadonlyArray<number>, at: number): RateLimitWindow | undefined =>
  reply[at] === 0 ? undefined : { limit: reply[at]!, remaining: reply[at + 1]!, resetMs: reply[at + 2]! }

const snapshotAt = (reply: ReadonlyArray<number>, at: number): RateLimitSnapshot => {
  const requests = windowAt(reply, at)
  const tokens = windowAt(reply, at + 3)
  return {
    ...(requests === undefined ? {} : { requests }),
    ...(tokens === undefined ? {} : { tokens })
  }
}

/** Wraps a client (which the caller owns and closes) as a limiter store. */
export const make = (client: Redis, options: RedisStoreOptions): LimitStore => {
  client.defineCommand("switchyardLimitsAdmit", {
    numberOfKeys: 4 * LimitScripts.SLOTS,
    lua: LimitScripts.admit
  })
  client.defineCommand("switchyardLimitsSettle", {
    numberOfKeys: 3 * LimitScripts.SLOTS,
    lua: LimitScripts.settle
  })
  const commands = client as unknown as LimitCommands
  const { leaseTtlMs, prefix } = options

  const admit = (request: AdmitRequest): Promise<StoreAdmission | LimitExceeded> => {
    const { estimate, now, userId } = request
    const tag = `${prefix}{${userId}}:`
    const slots: Array<ScopePlan | undefined> = [undefined, undefined, undefined]
    for (const plan of request.scopes) slots[SCOPES.indexOf(plan.scope)] = plan
    const keys: Array<string> = []
    const limitArgs: Array<number> = []
    const resetArgs: Array<number> = []
    const settleKeys: Array<string> = []
    const settleFlags: Array<number> = []
    for (const plan of slots) {
      const base =
        plan === undefined
          ? `${tag}-:`
          : plan.scope === "key"
            ? `${tag}k:${plan.id}:`
            : plan.scope === "route"
              ? `${tag}r:${plan.id}:`
              : `${tag}u:`
      const period = plan?.budget === undefined ? undefined : BudgetPeriod.windowAt(plan.budget.period, now)
      const budgetKey = `${base}b:${period?.id ?? "-"}`
      keys.push(`${base}rpm`, `${base}tpm`, `${base}slots`, budgetKey)
      settleKeys.push(`${base}tpm`, `${base}slots`, budgetKey)
      limitArgs.push(
        plan?.rpm ?? 0,
        plan?.tpm ?? 0,
        plan?.concurrency ?? 0,
        plan?.budget?.amountMicros ?? -1,
        period === undefined ? 0 : period.endsAt + BudgetPeriod.SETTLE_GRACE_MS - now
      )
      resetArgs.push(period === undefined ? 0 : period.endsAt - now)
      settleFlags.push(plan?.tpm ?? 0, plan?.concurrency ?? 0, plan?.budget === undefined ? 0 : 1)
    }
    const leaseId = request.leaseId ?? ""
    // Per slot: tpm, concurrency, budget.
    const flagged = (kind: number) => settleFlags.some((flag, i) => i % 3 === kind && flag > 0)
    const hasTokens = flagged(0)
    const hasSlots = flagged(1)
    const hasBudget = flagged(2)
    const adjust = (adjustment: Adjustment): void | Promise<void> => {
      if (
        (adjustment.tokens === 0 || !hasTokens) &&
        (adjustment.costMicros === 0 || !hasBudget) &&
        (!adjustment.release || !hasSlots)
      ) {
        return
      }
      return commands
        .switchyardLimitsSettle(
          ...settleKeys,
          Math.round(adjustment.tokens),
          Math.round(adjustment.costMicros),
          adjustment.release ? leaseId : "",
          ...settleFlags
        )
        .then(() => undefined)
    }
    return commands
      .switchyardLimitsAdmit(
        ...keys,
        estimate.tokens,
        estimate.costMicros,
        leaseId,
        leaseTtlMs,
        ...limitArgs,
        ...resetArgs
      )
      .then((reply) =>
        reply[0] === 0
          ? refusal({
              kind: KINDS[reply[1]!]!,
              scope: SCOPES[reply[2]!]!,
              limit: reply[3]!,
              remaining: reply[4]!,
              resetMs: reply[5]!,
              snapshot: snapshotAt(reply, 6)
            })
          : { rateLimit: snapshotAt(reply, 1), adjust }
      )
  }

  return {
    backend: "redis",
    admit,
    ping: () => client.ping().then(() => undefined)
  }
}
