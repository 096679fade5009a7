/**
 * The setting of bun's allocator (mimalloc) the router runs best with. mimalloc reads its options
 * once, when the process starts, so the router cannot set this for itself: whoever starts it does
 * (`bun run start`, the benchmark), and the router says at start-up when it was left out.
 *
 * `MIMALLOC_PURGE_DELAY=-1`: freed memory is kept for the process's next allocations instead of
 * being handed back to the system. Under load the router's heaps free blocks and take new ones
 * several times a second. Handing them back made bun's allocator thread (`mi-scavenger`) and
 * JavaScriptCore's block warm-up thread (`JSCWarmUp`) fault the same pages in again and again.
 * On an AMD EPYC VM the setting saved about a quarter of the router's CPU per request at 16
 * connections (bench/README.md, fifteenth pass); finite delays (1 s, 10 s) did not help there.
 * The price: the process keeps the most memory it has used (RSS), instead of shrinking when load
 * falls.
 *
 * An empty value counts as unset, as it does for the launcher's other variables: mimalloc would
 * read it as 1 ms, not as the operator's choice.
 */

/** The variable, and the value the router is started with unless the operator set one. */
export const PURGE_DELAY_VARIABLE = "MIMALLOC_PURGE_DELAY"
export const PURGE_DELAY_DEFAULT = "-1"

/** The value the router is to start with, given the environment the operator gave. */
export const purgeDelayFor = (env: Readonly<Record<string, string | undefined>>): string =>
  env[PURGE_DELAY_VARIABLE] || PURGE_DELAY_DEFAULT

/** `env` with the router's allocator setting added, unless the operator set it already. */
export const withAllocatorSetting = <E extends Readonly<Record<string, string | undefined>>>(
  env: E
): E & Record<typeof PURGE_DELAY_VARIABLE, string> => ({
  ...env,
  [PURGE_DELAY_VARIABLE]: purgeDelayFor(env)
})

/**
 * What to tell the operator at start-up when the router runs under bun without the setting
 * (`undefined` when it has one, or under Node, whose allocator is not mimalloc).
 */
export const missingAllocatorSetting = (
  env: Readonly<Record<string, string | undefined>>,
  underBun: boolean
): string | undefined =>
  !underBun || env[PURGE_DELAY_VARIABLE]
    ? undefined
    : `router: ${PURGE_DELAY_VARIABLE} is not set, so bun's allocator hands freed memory back to the system and faults it in again under load; start the router with ${PURGE_DELAY_VARIABLE}=${PURGE_DELAY_DEFAULT} (as \`bun run start\` at the repository's root does) for more requests per CPU second, at the price of keeping its peak memory (README, Production)`
