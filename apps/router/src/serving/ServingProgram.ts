/**
 * The serving thread's program: worker.ts and everything it imports, bundled into one module when
 * the router starts (`bun build`, about 0.3 s on two cores) and loaded from a blob URL.
 *
 * Why: bundled, the serving thread's heap holds what the hot path uses and little else. The
 * bundler keeps only the code that is reachable and puts every module in one scope, so the thread
 * builds fewer functions, module records and objects at start-up. Its live heap after a
 * collection was mostly about half (19–45 MB against 32–63), its collections paused less, and the
 * added p99 of JSON at 16 connections fell by 1.3–1.8 ms (bench/README.md, sixteenth pass).
 *
 * It is built from the very source the router runs, at each start, so it cannot be stale. It
 * carries an inline source map: a stack trace thrown in a bundled worker names the source files
 * and lines (checked by hand; function names are the minified ones). `SERVING_BUNDLE=off` loads
 * worker.ts as it is; so does a bundle that fails to build, after saying why. A bundle that builds
 * but fails when it runs stops the router like any other start-up failure, and the error says
 * how to run it unbundled.
 */
import { fileURLToPath } from "node:url"
import { Config, Effect } from "effect"

const source = new URL("./worker.ts", import.meta.url)

/** `SERVING_BUNDLE`: `on` (the default) or `off`. */
export const bundleConfig = Config.literal(
  "on",
  "off"
)("SERVING_BUNDLE").pipe(Config.withDefault("on" as const))

/**
 * Builds the bundle in a `bun build` process of its own; its blob URL, or why it could not be
 * built. Not `Bun.build` in this process: the bundler peaks at about 200 MB, and with
 * `MIMALLOC_PURGE_DELAY=-1` (Allocator.ts) this process would keep that memory for good (its RSS
 * after start-up was 327 MiB against 174).
 */
const build = async (): Promise<string | Error> => {
  try {
    const child = Bun.spawn(
      [process.execPath, "build", fileURLToPath(source), "--target=bun", "--minify", "--sourcemap=inline"],
      { stdout: "pipe", stderr: "pipe", stdin: "ignore" }
    )
    const [program, errors, code] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.exited
    ])
    // bun prints each error with its file and line.
    if (code !== 0)
      return new Error(errors.trim().replace(/\s*\n\s*/g, " ") || `bun build exited with ${code}`)
    return URL.createObjectURL(new Blob([program], { type: "text/javascript" }))
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

/** Lets go of the bundle once the worker has started from it. */
export const release = (program: Program): void => {
  if (program.kind === "bundled") URL.revokeObjectURL(program.url)
}

/** What to add to a start-up failure of the serving thread: how to run it unbundled. */
export const hint = (program: Program): string =>
  program.kind === "bundled" ? " (its program ran bundled: SERVING_BUNDLE=off runs worker.ts as it is)" : ""
