/**
 * The serving thread's program: worker.ts and everything it imports, bundled into one module when
 * the router starts (`Bun.build` in memory, about 0.3 s on two cores) and loaded from a blob URL.
 *
 * Why: bundled, the serving thread's heap holds what the hot path uses and little else. The
 * bundler keeps only the code that is reachable and puts every module in one scope, so the thread
 * builds far fewer functions, module records and objects at start-up. Its live heap after a
 * collection halved (about 20–40 MB against 47–63), its collections paused less, and its p99 fell
 * (bench/README.md, sixteenth pass).
 *
 * It is built from the very source the router runs, at each start, so it cannot be stale. It
 * carries an inline source map, so a stack trace from the serving thread still names the source's
 * files and lines. `SERVING_BUNDLE=off` loads worker.ts as it is; so does a bundle that fails to
 * build, after saying why.
 */
import { fileURLToPath } from "node:url"
import { Config, Effect } from "effect"

const source = new URL("./worker.ts", import.meta.url)

/** `SERVING_BUNDLE`: `on` (the default) or `off`. */
export const bundleConfig = Config.literal(
  "on",
  "off"
)("SERVING_BUNDLE").pipe(Config.withDefault("on" as const))

/** Builds the bundle; its blob URL, or why it could not be built. */
const build = async (): Promise<string | Error> => {
  try {
    const built = await Bun.build({
      entrypoints: [fileURLToPath(source)],
      target: "bun",
      minify: true,
      sourcemap: "inline"
    })
    const program = built.outputs[0]
    if (!built.success || program === undefined)
      return new Error(built.logs.map((log) => log.message).join("; ") || "no output")
    return URL.createObjectURL(program)
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error))
  }
}

/** What the serving thread's `Worker` loads: the bundle, or worker.ts itself. */
export interface Program {
  readonly url: string
  readonly kind: "bundled" | "source"
}

/** The serving thread's program, bundled unless `SERVING_BUNDLE=off` or the build fails. */
export const program = Effect.gen(function* () {
  const unbundled: Program = { url: source.href, kind: "source" }
  if ((yield* bundleConfig) === "off") return unbundled
  const built = yield* Effect.promise(build)
  if (typeof built === "string") return { url: built, kind: "bundled" } satisfies Program
  console.error(
    `router: the serving thread's program could not be bundled (${built.message}); loading it unbundled`
  )
  return unbundled
})
