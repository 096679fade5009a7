/**
 * An app's `build` script (run in the app's directory as `bun ../../scripts/build-app.ts`):
 * bundles `src/main.ts` into `dist/main.js` for Node, with the `@switchyard/*` workspace sources
 * compiled in and every npm package left external, so `node apps/<app>/dist/main.js` runs against
 * the installed `node_modules`.
 *
 * Node resolves an external import from `dist/`, that is from the app's own dependencies. A package
 * only a workspace package depends on (bun installs are isolated: the app cannot see it) gets a
 * link in `dist/node_modules` to the copy that workspace package uses.
 */
import * as fs from "node:fs"
import { builtinModules } from "node:module"
import * as path from "node:path"

const appDir = process.cwd()
const entry = path.join(appDir, "src", "main.ts")
if (!fs.existsSync(entry)) {
  console.error(`build-app: ${entry} does not exist (run this from an app's directory).`)
  process.exit(1)
}
const builtins = new Set(builtinModules)

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
const packageOf = (specifier: string) =>
  specifier
    .split("/")
    .slice(0, specifier.startsWith("@") ? 2 : 1)
    .join("/")

/** Packages the app cannot resolve itself → the installed package directory to link to. */
const links = new Map<string, string>()
const conflicts: Array<string> = []

/** The directory of the package `name` that `file` belongs to. */
const packageRoot = (name: string, file: string): string | undefined => {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json")
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, "utf8")).name === name) return dir
  }
  return undefined
}

const distDir = path.join(appDir, "dist")
fs.rmSync(distDir, { recursive: true, force: true })

const result = await Bun.build({
  entrypoints: [entry],
  outdir: distDir,
  naming: "main.js",
  target: "node",
  format: "esm",
  sourcemap: "linked",
  plugins: [
    {
      name: "externalize-npm-packages",
      setup(build) {
        build.onResolve({ filter: /^[^./]/ }, (args) => {
          const specifier = args.path
          const name = packageOf(specifier)
          if (specifier.startsWith("node:") || specifier.startsWith("bun:") || builtins.has(name)) {
            return { path: specifier, external: true }
          }
          // Workspace sources: resolved normally and bundled.
          if (specifier.startsWith("@switchyard/")) return undefined
          if (!links.has(name)) {
            try {
              Bun.resolveSync(specifier, appDir)
            } catch {
              const resolved = Bun.resolveSync(specifier, path.dirname(args.importer))
              const root = packageRoot(name, resolved)
              if (root === undefined)
                conflicts.push(`cannot find the package directory of "${name}" (${resolved})`)
              else links.set(name, root)
            }
          } else {
            const resolved = Bun.resolveSync(specifier, path.dirname(args.importer))
            const root = packageRoot(name, resolved)
            if (root !== links.get(name)) {
              conflicts.push(`"${name}" resolves to both ${links.get(name)} and ${root}`)
            }
          }
          return { path: specifier, external: true }
        })
      }
    }
  ]
})

if (!result.success) {
  for (const log of result.logs) console.error(log)
  process.exit(1)
}
if (conflicts.length > 0) {
  for (const conflict of conflicts) console.error(`build-app: ${conflict}`)
  fs.rmSync(distDir, { recursive: true, force: true })
  process.exit(1)
}
for (const [name, root] of links) {
  const link = path.join(distDir, "node_modules", name)
  fs.mkdirSync(path.dirname(link), { recursive: true })
  // Relative, so the link survives moving the whole checkout.
  fs.symlinkSync(path.relative(path.dirname(link), root), link)
}
const linked = links.size > 0 ? ` (linked from workspace packages: ${[...links.keys()].join(", ")})` : ""
console.log(`Built ${path.relative(process.cwd(), path.join(distDir, "main.js"))}${linked}`)
