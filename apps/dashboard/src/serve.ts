/**
 * `bun src/serve.ts` (what `bun run start` runs): serves the built dashboard on `PORT` (3000, on `HOST`),
 * building it first when `dist/` is missing or older than the sources. `config.json` says where
 * the other services are: `CONTROL_PLANE_URL`, `ROUTER_URL`, `REALTIME_URL`, `VIBE_URL`, each
 * defaulting to the shipped `public/config.json` (localhost and the default ports).
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { Schema } from "effect"
import { RuntimeConfig } from "./RuntimeConfig.ts"
import { makeStaticSite } from "./server/StaticSite.ts"

const appDir = path.resolve(import.meta.dir, "..")
const distDir = path.join(appDir, "dist")

/** The newest modification time under `dir`. */
const newest = (dir: string): number =>
  fs
    .readdirSync(dir, { withFileTypes: true })
    .reduce(
      (latest, entry) =>
        Math.max(
          latest,
          entry.isDirectory()
            ? newest(path.join(dir, entry.name))
            : fs.statSync(path.join(dir, entry.name)).mtimeMs
        ),
      0
    )

const built = path.join(distDir, "index.html")
const sources = [path.join(appDir, "src"), path.join(appDir, "public"), path.join(appDir, "index.html")]
const stale =
  !fs.existsSync(built) ||
  sources.some(
    (source) =>
      (fs.statSync(source).isDirectory() ? newest(source) : fs.statSync(source).mtimeMs) >
      fs.statSync(built).mtimeMs
  )
if (stale) {
  console.log("dashboard: building (dist/ is missing or older than the sources)…")
  const build = spawnSync(process.execPath, ["x", "vite", "build", "--logLevel", "warn"], {
    cwd: appDir,
    stdio: "inherit"
  })
  if (build.status !== 0) {
    console.error("dashboard: the build failed (see above).")
    process.exit(1)
  }
}

const shipped = JSON.parse(fs.readFileSync(path.join(appDir, "public", "config.json"), "utf8"))
const config = Schema.decodeUnknownSync(RuntimeConfig)({
  controlPlaneUrl: process.env.CONTROL_PLANE_URL || shipped.controlPlaneUrl,
  routerUrl: process.env.ROUTER_URL || shipped.routerUrl,
  realtimeUrl: process.env.REALTIME_URL || shipped.realtimeUrl,
  vibeUrl: process.env.VIBE_URL || shipped.vibeUrl
})

const server = Bun.serve({
  port: Number(process.env.PORT ?? 3000),
  hostname: process.env.HOST ?? "0.0.0.0",
  fetch: makeStaticSite(distDir, config)
})
console.log(`dashboard: listening on http://localhost:${server.port}`)

const stop = () => {
  void server.stop(true)
  process.exit(0)
}
process.once("SIGTERM", stop)
process.once("SIGINT", stop)
