/**
 * The variables the launcher hands to both apps: generated once in local mode, checked otherwise.
 */
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"

/** Secrets local mode generates once and keeps. */
export interface LocalSecrets {
  readonly BETTER_AUTH_SECRET: string
  readonly VAULT_TOKEN_KEY: string
}

/**
 * Reads `<dataDir>/secrets.json`, creating it (mode 600) on first use. `created` says whether it
 * was just generated, so the launcher can tell the user where the keys live.
 */
export const loadOrCreateSecrets = (
  dataDir: string
): { secrets: LocalSecrets; file: string; created: boolean } => {
  const file = path.join(dataDir, "secrets.json")
  if (fs.existsSync(file)) {
    const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<LocalSecrets>
    if (typeof parsed.BETTER_AUTH_SECRET !== "string" || typeof parsed.VAULT_TOKEN_KEY !== "string") {
      throw new Error(`${file} lacks BETTER_AUTH_SECRET or VAULT_TOKEN_KEY; restore it from a backup`)
    }
    return { secrets: parsed as LocalSecrets, file, created: false }
  }
  const secrets: LocalSecrets = {
    BETTER_AUTH_SECRET: randomBytes(32).toString("base64"),
    VAULT_TOKEN_KEY: randomBytes(32).toString("base64")
  }
  // "wx": never overwrite a file another launcher wrote in the meantime.
  fs.writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600, flag: "wx" })
  return { secrets, file, created: true }
}

/** As the vault reads it: standard base64 (surrounding blanks ignored) of exactly 32 bytes. */
const isBase64Of32Bytes = (value: string) => /^(base64:)?[A-Za-z0-9+/]{43}=$/.test(value.trim())

/**
 * Problems with the variables both apps require, one sentence each naming the variable; empty
 * when start-up may proceed.
 */
export const problems = (env: Readonly<Record<string, string | undefined>>): ReadonlyArray<string> => {
  const found: Array<string> = []
  const connection = env.POSTGRES_CONNECTION_STRING
  if (!connection) {
    found.push("POSTGRES_CONNECTION_STRING is not set (unset it entirely to use the embedded PostgreSQL).")
  } else if (!/^postgres(ql)?:\/\//.test(connection) || !URL.canParse(connection)) {
    found.push("POSTGRES_CONNECTION_STRING must be a URL like postgres://user:password@host:5432/database.")
  }
  const authSecret = env.BETTER_AUTH_SECRET
  if (!authSecret) {
    found.push("BETTER_AUTH_SECRET is not set (generate one with `openssl rand -base64 32`).")
  } else if (authSecret.length < 32) {
    found.push("BETTER_AUTH_SECRET must be at least 32 characters long (`openssl rand -base64 32`).")
  }
  // ENCRYPTION_KEY is seed 000's name for the same key.
  const named = env.VAULT_TOKEN_KEY ? "VAULT_TOKEN_KEY" : env.ENCRYPTION_KEY ? "ENCRYPTION_KEY" : undefined
  const vaultKey = env.VAULT_TOKEN_KEY || env.ENCRYPTION_KEY
  const bare = (key: string) => key.trim().replace(/^base64:/, "")
  if (!vaultKey || named === undefined) {
    found.push(
      "VAULT_TOKEN_KEY (or ENCRYPTION_KEY) is not set: it must be 32 random bytes in base64 (`openssl rand -base64 32`)."
    )
  } else if (!isBase64Of32Bytes(vaultKey)) {
    found.push(`${named} must be exactly 32 bytes encoded in base64 (\`openssl rand -base64 32\`).`)
  } else if (
    env.VAULT_TOKEN_KEY &&
    env.ENCRYPTION_KEY &&
    bare(env.VAULT_TOKEN_KEY) !== bare(env.ENCRYPTION_KEY)
  ) {
    found.push(
      "VAULT_TOKEN_KEY and ENCRYPTION_KEY (seed 000's name for it) are set to different keys: set only one."
    )
  }
  return found
}
