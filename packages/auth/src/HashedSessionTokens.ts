/**
 * better-auth's database adapter with session tokens stored hashed: the `session.token` column
 * holds the SHA-256 (hex) of the token, never the token, so a read of the database (a backup, a
 * replica, an injection elsewhere) yields nothing a client could sign in with. better-auth 1.7.7
 * has no option for this (its `secondaryStorage` keys sessions by the raw token too), so the
 * adapter translates: a token written is hashed, a token looked up is hashed before the query,
 * and a row found by its token is handed back with the token the caller gave.
 *
 * A value that is already a stored hash (64 hex characters; better-auth's tokens are 32
 * alphanumerics) is used as is, so flows that take tokens from listed rows (revoke a listed
 * session, revoke the others) keep working. A database read alone cannot turn that into a
 * sign-in: better-auth only accepts a session token inside a cookie or bearer value signed with
 * `BETTER_AUTH_SECRET` (the bearer plugin runs with `requireSignature`), and the router looks
 * every token up by its hash, so a stored hash never matches there. (Whoever holds both the
 * database and the secret could sign a stored hash for the control plane.)
 */
import { kyselyAdapter } from "@better-auth/kysely-adapter"
import type { BetterAuthOptions } from "better-auth"
import { Kysely, PostgresDialect } from "kysely"
import type pg from "pg"
import { hash } from "./ApiKeyFormat.ts"

// Types from the kysely adapter's side: bun resolves two copies of @better-auth/core (one per
// peer set), identical at run time but distinct to TypeScript.
type DBAdapter = ReturnType<ReturnType<typeof kyselyAdapter>>
type DBTransactionAdapter = Omit<DBAdapter, "transaction">
type Where = NonNullable<Parameters<DBAdapter["findMany"]>[0]["where"]>[number]

const SESSION = "session"
const STORED_HASH = /^[0-9a-f]{64}$/

/** Whether `value` is a stored token hash rather than a token. */
export const isStoredTokenHash = (value: string): boolean => STORED_HASH.test(value)

/** What the `session.token` column holds for `token`. */
export const storedToken = (token: string): string => (isStoredTokenHash(token) ? token : hash(token))

/** The where clauses with every `token` value replaced by its stored form. */
const hashWhere = (where: ReadonlyArray<Where> | undefined): Array<Where> | undefined =>
  where?.map((clause) => {
    if (clause.field !== "token") return clause
    const value = clause.value
    if (typeof value === "string") return { ...clause, value: storedToken(value) }
    if (Array.isArray(value)) {
      return { ...clause, value: value.map((v) => (typeof v === "string" ? storedToken(v) : v)) } as Where
    }
    return clause
  })

/** Stored hash → the token the caller gave, for every token named in `where`. */
const tokensIn = (where: ReadonlyArray<Where> | undefined): Map<string, string> => {
  const known = new Map<string, string>()
  for (const clause of where ?? []) {
    if (clause.field !== "token") continue
    const values = Array.isArray(clause.value) ? clause.value : [clause.value]
    for (const v of values) if (typeof v === "string" && !isStoredTokenHash(v)) known.set(hash(v), v)
  }
  return known
}

/** `row` with its stored token replaced by the caller's, when the caller named it. */
const restore = <T>(row: T, known: Map<string, string>): T => {
  if (row === null || typeof row !== "object") return row
  const token = (row as { token?: unknown }).token
  if (typeof token !== "string") return row
  const original = known.get(token)
  return original === undefined ? row : { ...row, token: original }
}

/** Wraps one adapter (or a transaction's) so the session model stores hashed tokens. */
const wrap = <A extends DBTransactionAdapter>(inner: A): A => {
  const sessionOnly = <D extends { model: string; where?: Array<Where> | undefined }>(data: D): D =>
    data.model === SESSION ? { ...data, where: hashWhere(data.where) } : data
  const known = (data: { model: string; where?: Array<Where> | undefined }) =>
    data.model === SESSION ? tokensIn(data.where) : new Map<string, string>()
  return {
    ...inner,
    create: async (data) => {
      if (data.model !== SESSION) return inner.create(data)
      const token = (data.data as { token?: unknown }).token
      if (typeof token !== "string") return inner.create(data)
      const created = await inner.create({ ...data, data: { ...data.data, token: storedToken(token) } })
      return restore(created, new Map([[storedToken(token), token]]))
    },
    findOne: async (data) => restore(await inner.findOne(sessionOnly(data)), known(data)),
    findMany: async (data) => {
      const rows = await inner.findMany(sessionOnly(data))
      const tokens = known(data)
      return rows.map((row) => restore(row, tokens))
    },
    count: (data) => inner.count(sessionOnly(data)),
    update: async (data) => {
      if (data.model !== SESSION) return inner.update(data)
      const update =
        typeof data.update.token === "string"
          ? { ...data.update, token: storedToken(data.update.token) }
          : data.update
      return restore(await inner.update({ ...sessionOnly(data), update }), known(data))
    },
    updateMany: (data) => {
      if (data.model !== SESSION) return inner.updateMany(data)
      const update =
        typeof data.update.token === "string"
          ? { ...data.update, token: storedToken(data.update.token) }
          : data.update
      return inner.updateMany({ ...sessionOnly(data), update })
    },
    delete: (data) => inner.delete(sessionOnly(data)),
    deleteMany: (data) => inner.deleteMany(sessionOnly(data)),
    consumeOne: async (data) => restore(await inner.consumeOne(sessionOnly(data)), known(data)),
    incrementOne: async (data) => restore(await inner.incrementOne(sessionOnly(data)), known(data))
  }
}

/** better-auth's PostgreSQL adapter over `pool`, with session tokens stored hashed. */
export const hashedSessionAdapter = (pool: pg.Pool): NonNullable<BetterAuthOptions["database"]> => {
  const factory = (options: Parameters<ReturnType<typeof kyselyAdapter>>[0]): DBAdapter => {
    const inner = kyselyAdapter(new Kysely({ dialect: new PostgresDialect({ pool }) }), {
      type: "postgres",
      transaction: true
    })(options)
    const outer = wrap(inner)
    return { ...outer, transaction: (callback) => inner.transaction((trx) => callback(wrap(trx))) }
  }
  return factory as unknown as NonNullable<BetterAuthOptions["database"]>
}
