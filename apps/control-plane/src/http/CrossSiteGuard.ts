/**
 * Refuses cross-site request forgery: a state-changing request that carries the session cookie
 * must come from a trusted origin (`CORS_ORIGIN` or the control plane's own), told by its
 * `Origin` header or, from a browser that sends none, `Sec-Fetch-Site: same-origin`. SameSite=Lax
 * alone is not enough: a sibling subdomain is "same site" and its forms carry the cookie.
 * A request with neither header does not come from a browser (every current browser sends
 * `Origin` on these methods and `Sec-Fetch-Site` on everything): `curl -b cookies` passes.
 *
 * Requests with `Authorization` are not cookie-authenticated and pass: a page of another origin
 * cannot add that header without a CORS preflight, which only trusted origins pass.
 */
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { type TrustedOrigins, trustedOriginsConfig } from "@switchyard/auth"
import { CrossSiteRequest, SESSION_COOKIE } from "@switchyard/domain"
import { Effect, Layer, Schema } from "effect"

const safeMethods = new Set(["GET", "HEAD", "OPTIONS"])

const refuse = (message: string) =>
  HttpServerResponse.unsafeJson(Schema.encodeSync(CrossSiteRequest)(new CrossSiteRequest({ message })), {
    status: 403
  })

/** Why this request must be refused, or `undefined` when it may go on. */
export const crossSiteVerdict = (
  request: {
    readonly method: string
    readonly headers: Readonly<Record<string, string | undefined>>
  },
  origins: TrustedOrigins
): string | undefined => {
  if (safeMethods.has(request.method)) return undefined
  const headers = request.headers
  if (headers.authorization !== undefined) return undefined
  // Over HTTPS the cookie is `__Secure-better-auth.session_token`: matched by its suffix.
  if (!(headers.cookie ?? "").includes(SESSION_COOKIE)) return undefined
  const origin = headers.origin
  if (origin !== undefined) {
    return origins.all.includes(origin)
      ? undefined
      : `Origin ${origin === "null" ? "null" : "not trusted"}: cookie-authenticated changes are accepted only from ${origins.all.join(", ")}`
  }
  const site = headers["sec-fetch-site"]
  if (site === undefined || site === "same-origin") return undefined
  return `Sec-Fetch-Site ${site}: cookie-authenticated changes are accepted only from ${origins.all.join(", ")}`
}

/** The guard, as a global router middleware. */
export const CrossSiteGuard = Layer.unwrapEffect(
  Effect.map(trustedOriginsConfig, (origins) =>
    HttpLayerRouter.middleware(
      (app) =>
        Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
          const refused = crossSiteVerdict(request, origins)
          return refused === undefined ? app : Effect.succeed(refuse(refused))
        }),
      { global: true }
    )
  ).pipe(Effect.orDie)
)
