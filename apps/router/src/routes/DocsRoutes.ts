/**
 * `GET /docs`, `/redoc` and `/openapi.json`: the router's API documentation (`docs/RouterDocs.ts`,
 * loaded on the first request for one of them).
 */
import type { ExtraRoutes, Handler } from "../Router.ts"

/** The documentation's paths. */
export const PATHS = ["GET /docs", "GET /redoc", "GET /openapi.json"] as const

/** The routes. */
export const make = (): ExtraRoutes => {
  let built: Promise<Handler> | undefined
  const handle: Handler = async (request) => {
    built ??= import("../docs/RouterDocs.ts").then((module) => {
      const { handler } = module.build()
      return (request: Request) => handler(request)
    })
    return (await built)(request)
  }
  return Object.fromEntries(PATHS.map((path) => [path, handle]))
}
