/**
 * Seed 004's vibe-apps API, route for route, plus an app's versions and a revert. Swagger UI
 * (`/docs`), ReDoc (`/redoc`) and `/openapi.json` derive from it.
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { MalformedBody, PayloadTooLarge } from "./ControlPlaneErrors.ts"
import {
  AppDetails,
  AppHistory,
  AppStatusResponse,
  AppVersions,
  CreateAppRequest,
  CreateAppResponse,
  DeleteAppResponse,
  RevertAppRequest,
  RevertAppResponse,
  VibeAppId,
  VibeHealth,
  WriteAppRequest,
  WriteAppResponse
} from "./VibeApp.ts"
import { VibeAuthentication } from "./VibeCaller.ts"
import {
  VibeAppNotFound,
  VibeGenerationFailed,
  VibeInvalidRequest,
  VibeRateLimited,
  VibeUnavailable
} from "./VibeErrors.ts"

const appPath = Schema.Struct({ app_id: VibeAppId })

/** `GET /` and `GET /health`: no credentials needed. */
export class VibeHealthApi extends HttpApiGroup.make("health")
  .add(HttpApiEndpoint.get("root", "/").addSuccess(VibeHealth).addError(VibeUnavailable))
  .add(HttpApiEndpoint.get("health", "/health").addSuccess(VibeHealth).addError(VibeUnavailable)) {}

/** `/api/*`: every route needs credentials and touches only the caller's own apps. */
export class VibeAppsApi extends HttpApiGroup.make("apps")
  .add(
    HttpApiEndpoint.post("create", "/api/create")
      .setPayload(CreateAppRequest)
      .addSuccess(CreateAppResponse)
      .addError(VibeGenerationFailed)
      .addError(VibeRateLimited)
  )
  .add(HttpApiEndpoint.get("get", "/api/app/:app_id").setPath(appPath).addSuccess(AppDetails))
  .add(
    HttpApiEndpoint.post("write", "/api/app/:app_id/write")
      .setPath(appPath)
      .setPayload(WriteAppRequest)
      .addSuccess(WriteAppResponse)
      .addError(VibeGenerationFailed)
      .addError(VibeRateLimited)
  )
  .add(HttpApiEndpoint.get("history", "/api/app/:app_id/history").setPath(appPath).addSuccess(AppHistory))
  .add(
    HttpApiEndpoint.get("status", "/api/app/:app_id/status").setPath(appPath).addSuccess(AppStatusResponse)
  )
  .add(HttpApiEndpoint.del("remove", "/api/app/:app_id").setPath(appPath).addSuccess(DeleteAppResponse))
  .add(HttpApiEndpoint.get("versions", "/api/app/:app_id/versions").setPath(appPath).addSuccess(AppVersions))
  .add(
    HttpApiEndpoint.post("revert", "/api/app/:app_id/revert")
      .setPath(appPath)
      .setPayload(RevertAppRequest)
      .addSuccess(RevertAppResponse)
      .addError(VibeInvalidRequest)
  )
  .addError(VibeAppNotFound)
  .addError(VibeUnavailable)
  .middleware(VibeAuthentication) {}

/** The vibe-apps API. */
export class VibeApi extends HttpApi.make("vibe")
  .add(VibeHealthApi)
  .add(VibeAppsApi)
  // Answered before an endpoint is chosen, for any route with a body.
  .addError(PayloadTooLarge)
  .addError(MalformedBody)
  .annotate(OpenApi.Title, "Switchyard vibe apps")
  .annotate(
    OpenApi.Description,
    "A small web app from a prompt, edited with follow-up messages, generated through the Switchyard router and served sandboxed on its own origin."
  ) {}
