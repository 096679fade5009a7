/**
 * Serves the built dashboard (`dist/`) as static files: `config.json` from the given settings,
 * hashed assets cached for good, `index.html` never cached, and headers that keep the page from
 * being framed or talking to anything but the services it is configured for.
 */
import * as path from "node:path"
import type { RuntimeConfig } from "../RuntimeConfig.ts"

const IMMUTABLE = "public, max-age=31536000, immutable"

/** The page's Content-Security-Policy: scripts from itself, calls to the configured services. */
export const contentSecurityPolicy = (config: RuntimeConfig): string => {
  const origins = [config.controlPlaneUrl, config.routerUrl, config.realtimeUrl, config.vibeUrl].map(
    (url) => new URL(url).origin
  )
  // Socket.IO upgrades to a WebSocket on the hub's origin.
  const realtime = new URL(config.realtimeUrl)
  const socket = `${realtime.protocol === "https:" ? "wss:" : "ws:"}//${realtime.host}`
  return [
    "default-src 'self'",
    "script-src 'self'",
    // Mantine sets CSS variables and a few styles inline.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    `connect-src 'self' ${[...new Set(origins)].join(" ")} ${socket}`,
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'"
  ].join("; ")
}

/** A web handler for the site in `distDir`, announcing `config` as `/config.json`. */
export const makeStaticSite = (distDir: string, config: RuntimeConfig) => {
  const root = path.resolve(distDir)
  const configBody = JSON.stringify(config)
  const headers = {
    "content-security-policy": contentSecurityPolicy(config),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY"
  }
  return async (request: Request): Promise<Response> => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("Method not allowed", { status: 405, headers: { ...headers, allow: "GET, HEAD" } })
    }
    let pathname: string
    try {
      pathname = decodeURIComponent(new URL(request.url).pathname)
    } catch {
      return new Response("Bad request", { status: 400, headers })
    }
    if (pathname === "/health") {
      return new Response('{"status":"ok"}', {
        headers: { ...headers, "content-type": "application/json", "cache-control": "no-store" }
      })
    }
    if (pathname === "/config.json") {
      return new Response(configBody, {
        headers: { ...headers, "content-type": "application/json", "cache-control": "no-store" }
      })
    }
    const file = path.resolve(root, `.${pathname === "/" ? "/index.html" : pathname}`)
    // Nothing outside the build, whatever the path says.
    if (file !== root && !file.startsWith(`${root}${path.sep}`)) {
      return new Response("Not found", { status: 404, headers })
    }
    const found = Bun.file(file)
    if (!(await found.exists())) return new Response("Not found", { status: 404, headers })
    const cache = pathname.startsWith("/assets/") ? IMMUTABLE : "no-cache"
    return new Response(found, { headers: { ...headers, "cache-control": cache } })
  }
}
