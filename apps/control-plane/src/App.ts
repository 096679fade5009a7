/**
 * The control plane's HTTP application: the HttpApi contract (`ControlPlaneApi`), better-auth's
 * routes, Swagger UI and OpenAPI, behind CORS, the cross-site request check and the body guard.
 */
import * as HttpApiSwagger from "@effect/platform/HttpApiSwagger"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import { trustedOriginsConfig } from "@switchyard/auth"
import { ControlPlaneApi } from "@switchyard/domain"
import { Effect, Layer } from "effect"
import { AnalyticsLive } from "./analytics/AnalyticsLive.ts"
import { ApiKeyLive } from "./api/ApiKeyLive.ts"
import { AuthLive } from "./api/AuthLive.ts"
import { HealthLive } from "./api/HealthLive.ts"
import { SecretLive } from "./api/SecretLive.ts"
import { AuthenticationLive } from "./http/AuthenticationLive.ts"
import { BetterAuthRoute } from "./http/BetterAuthRoute.ts"
import { BodyGuard } from "./http/BodyGuard.ts"
import { CrossSiteGuard } from "./http/CrossSiteGuard.ts"

/** One layer per `ControlPlaneApi` group. Add a group's implementation here. */
export const ApiGroupsLive = Layer.mergeAll(HealthLive, AuthLive, ApiKeyLive, SecretLive, AnalyticsLive).pipe(
  Layer.provide(AuthenticationLive)
)

/** CORS for the web apps' origins (`CORS_ORIGIN`), with cookies. */
const Cors = Layer.unwrapEffect(
  Effect.map(trustedOriginsConfig, (origins) =>
    HttpLayerRouter.cors({
      allowedOrigins: [...origins.cors],
      credentials: true,
      allowedMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
      allowedHeaders: ["content-type", "authorization"],
      exposedHeaders: ["set-auth-token"],
      maxAge: 600
    })
  ).pipe(Effect.orDie)
)

/** Every route of the control plane. */
export const Routes = Layer.mergeAll(
  HttpLayerRouter.addHttpApi(ControlPlaneApi, { openapiPath: "/openapi.json" }).pipe(
    Layer.provide(ApiGroupsLive)
  ),
  HttpApiSwagger.layerHttpLayerRouter({ api: ControlPlaneApi, path: "/docs" }),
  BetterAuthRoute,
  // First: a forged cross-site change is refused as such (403) before its body is looked at.
  CrossSiteGuard,
  BodyGuard,
  Cors
)

/** The served application; needs an `HttpServer` and the services. */
export const HttpLive = HttpLayerRouter.serve(Routes)
