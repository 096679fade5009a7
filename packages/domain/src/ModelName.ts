/**
 * What a model name may be. It is client input that travels far: into the upstream's URL and
 * body, a response header (`x-switchyard-model`), metric labels, the ledger's rollup keys (an
 * index, so bounded in size) and the logs. A bounded set of printable characters is safe in all
 * of them; every real provider's model ids fit in it (`gpt-4o`, `claude-3-5-sonnet@20240620`,
 * `accounts/fireworks/models/llama-v3p1-8b`, `anthropic.claude-v2:1`, `ollama/llama3:8b`).
 */

/** Longest model name accepted. */
export const MODEL_NAME_MAX_LENGTH = 256

const MODEL_NAME = /^[A-Za-z0-9._:/@+~-]+$/

/** Why `name` is not an acceptable model name, or `undefined` when it is. */
export const modelNameProblem = (name: string): string | undefined => {
  if (name.length === 0) return "'model' must not be empty"
  if (name.length > MODEL_NAME_MAX_LENGTH) {
    return `'model' is longer than ${MODEL_NAME_MAX_LENGTH} characters`
  }
  if (!MODEL_NAME.test(name)) {
    return "'model' may contain only letters, digits and . _ : / @ + ~ -"
  }
  return undefined
}
