/**
 * The vault's master keys: the current one (`VAULT_TOKEN_KEY`, or `ENCRYPTION_KEY`, seed 000's name
 * for it), which wraps every new data key, and older ones (`VAULT_PREVIOUS_KEYS`) that stay readable
 * until `bun run vault:rotate` has re-wrapped everything under the current key.
 *
 * A key's id is derived from its material, so nothing besides the keys needs configuring and a
 * record names the exact key it needs.
 */
import { createHash, randomBytes } from "node:crypto"
import { Config, ConfigError, Either, Encoding, Option, Redacted } from "effect"

/** Length of an AES-256 key in bytes. */
export const KEY_BYTES = 32

/** One master key and its id. */
export interface MasterKey {
  /** First 16 hex characters of the SHA-256 of the raw key (`base64 -d | sha256sum | cut -c1-16`). */
  readonly id: string
  readonly material: Redacted.Redacted<Uint8Array>
}

/** The configured master keys. */
export interface MasterKeys {
  /** Wraps every new or rotated data key. */
  readonly current: MasterKey
  /** Every readable key by id, the current one included. */
  readonly byId: ReadonlyMap<string, MasterKey>
}

/** The id of a key: public, stored beside every record it wraps. */
export const keyId = (material: Uint8Array): string =>
  createHash("sha256").update(material).digest("hex").slice(0, 16)

/**
 * Decodes one base64 key. The failure message never contains the input, which may be a real key
 * with a typo in it.
 */
export const parseKey = (encoded: Redacted.Redacted<string>): Either.Either<MasterKey, string> => {
  // Laravel writes its keys as `base64:…` (seed 000's `php artisan key:generate`).
  const text = Redacted.value(encoded)
    .trim()
    .replace(/^base64:/, "")
  const decoded = Encoding.decodeBase64(text)
  if (Either.isLeft(decoded)) {
    return Either.left(`must be base64 of exactly ${KEY_BYTES} random bytes (this is not valid base64)`)
  }
  if (decoded.right.length !== KEY_BYTES) {
    return Either.left(
      `must be base64 of exactly ${KEY_BYTES} random bytes (this decodes to ${decoded.right.length})`
    )
  }
  return Either.right({ id: keyId(decoded.right), material: Redacted.make(decoded.right) })
}

const requirement = `it must be base64 of exactly ${KEY_BYTES} random bytes`
const hint = "generate one with `openssl rand -base64 32`"

/**
 * Builds the key set from the current key and the older ones; errors name the variable (and the
 * position in `VAULT_PREVIOUS_KEYS`) that is wrong.
 */
export const fromBase64 = (
  current: Redacted.Redacted<string>,
  previous: ReadonlyArray<Redacted.Redacted<string>> = [],
  currentName: string = CURRENT
): Either.Either<MasterKeys, ConfigError.ConfigError> => {
  const parsedCurrent = parseKey(current)
  if (Either.isLeft(parsedCurrent)) {
    return Either.left(ConfigError.InvalidData([currentName], `${parsedCurrent.left}; ${hint}`))
  }
  const byId = new Map<string, MasterKey>([[parsedCurrent.right.id, parsedCurrent.right]])
  for (const [index, encoded] of previous.entries()) {
    const parsed = parseKey(encoded)
    if (Either.isLeft(parsed)) {
      return Either.left(
        ConfigError.InvalidData(
          ["VAULT_PREVIOUS_KEYS"],
          `entry ${index + 1} ${parsed.left}; the variable is a comma-separated list of base64 keys`
        )
      )
    }
    if (!byId.has(parsed.right.id)) byId.set(parsed.right.id, parsed.right)
  }
  return Either.right({ current: parsedCurrent.right, byId })
}

/** Splits `VAULT_PREVIOUS_KEYS` (comma-separated, blanks ignored) without unwrapping its entries for long. */
const splitKeys = (list: Redacted.Redacted<string>): ReadonlyArray<Redacted.Redacted<string>> =>
  Redacted.value(list)
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => Redacted.make(entry))

/** The current key's variable, and its alias (seed 000's name). */
const CURRENT = "VAULT_TOKEN_KEY"
const ALIAS = "ENCRYPTION_KEY"

const present = (value: Option.Option<Redacted.Redacted<string>>) =>
  Option.filter(value, (key) => Redacted.value(key).trim() !== "")

/** The same key however it is written (blanks, Laravel's `base64:` prefix). */
const sameKey = (a: Redacted.Redacted<string>, b: Redacted.Redacted<string>) => {
  const bare = (key: Redacted.Redacted<string>) =>
    Redacted.value(key)
      .trim()
      .replace(/^base64:/, "")
  return bare(a) === bare(b)
}

/**
 * The master keys from `VAULT_TOKEN_KEY` or its alias `ENCRYPTION_KEY` (one is required; when both
 * are set they must be the same key, else start-up stops naming both) and `VAULT_PREVIOUS_KEYS`
 * (optional).
 */
export const config: Config.Config<MasterKeys> = Config.all({
  current: Config.option(Config.redacted(CURRENT)),
  alias: Config.option(Config.redacted(ALIAS)),
  previous: Config.redacted("VAULT_PREVIOUS_KEYS").pipe(Config.withDefault(Redacted.make("")))
}).pipe(
  Config.mapOrFail(({ alias, current, previous }) => {
    const primary = present(current)
    const secondary = present(alias)
    if (Option.isSome(primary) && Option.isSome(secondary) && !sameKey(primary.value, secondary.value)) {
      return Either.left(
        ConfigError.InvalidData(
          [ALIAS],
          `and ${CURRENT} are both set, to different keys: ${ALIAS} is seed 000's name for ${CURRENT}; set only one of them (or both to the same key)`
        )
      )
    }
    if (Option.isSome(primary)) return fromBase64(primary.value, splitKeys(previous), CURRENT)
    if (Option.isSome(secondary)) return fromBase64(secondary.value, splitKeys(previous), ALIAS)
    // Config.redacted's own message for a missing variable is itself redacted: say what is needed.
    return Either.left(
      ConfigError.MissingData([CURRENT], `is not set (nor its alias ${ALIAS}): ${requirement}; ${hint}`)
    )
  })
)

/** A new random key, base64 encoded: what `VAULT_TOKEN_KEY` holds (used by local mode and tests). */
export const generate = (): Redacted.Redacted<string> =>
  Redacted.make(randomBytes(KEY_BYTES).toString("base64"))

/** A key set made of one fresh random key. */
export const random = (): MasterKeys => {
  const material = new Uint8Array(randomBytes(KEY_BYTES))
  const key: MasterKey = { id: keyId(material), material: Redacted.make(material) }
  return { current: key, byId: new Map([[key.id, key]]) }
}
