/**
 * The vibe API's HTTP application: the `VibeApi` contract, Swagger UI (`/docs`), ReDoc (`/redoc`)
 * and `/openapi.json`, behind CORS (`MODAL_VIBE_ALLOWED_ORIGINS`) and the body guard.
 */
import * as HttpApiSwagger from "@effect/platform/HttpApiSwagger"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import { VibeApi } from "@switchyard/domain"
import { Config, Effect, Layer } from "effect"
import { AppsLive } from "./api/AppsLive.ts"
import { HealthLive } from "./api/HealthLive.ts"
import { BodyGuard } from "./http/BodyGuard.ts"
import { RedocRoute } from "./http/Redoc.ts"
import { VibeAuthenticationLive } from "./http/VibeAuthenticationLive.ts"

/** CORS for the configured front ends. Credentials travel in headers, never cookies. */
const Cors = Layer.unwrapEffect(
  Effect.map(
    Config.string("MODAL_VIBE_ALLOWED_ORIGINS").pipe(
      Config.withDefault("http://localhost:3000"),
      Config.map((list) =>
        list
          .split(",")
          .map((origin) => origin.trim())
          .filter((origin) => origin.length > 0)
      )
    ),
    (origins) =>
      HttpLayerRouter.cors({
        allowedOrigins: origins,
        credentials: false,
        allowedMethods: ["GET", "POST", "DELETE", "OPTIONS"],
        allowedHeaders: ["content-type", "authorization", "x-api-key"],
        exposedHeaders: ["retry-after"],
        maxAge: 600
      })
  ).pipe(Effect.orDie)
)

/** Every route of the vibe API. */
export const Routes = Layer.mergeAll(
  HttpLayerRouter.addHttpApi(VibeApi, { openapiPath: "/openapi.json" }).pipe(
    Layer.provide(Layer.mergeAll(HealthLive, AppsLive).pipe(Layer.provide(VibeAuthenticationLive)))
  ),
  HttpApiSwagger.layerHttpLayerRouter({ api: VibeApi, path: "/docs" }),
  RedocRoute,
  BodyGuard,
  Cors
)

/** The served API; needs an `HttpServer` and the services. */
export const ApiLive = HttpLayerRouter.serve(Routes)
