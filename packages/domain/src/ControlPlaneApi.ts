/**
 * The control plane's whole HTTP contract (seed 002 + seed 003's `/auth/*`). The server implements
 * it group by group; OpenAPI (`/openapi.json`, `/docs`) and typed clients derive from it.
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as OpenApi from "@effect/platform/OpenApi"
import { AnalyticsApi } from "./AnalyticsApi.ts"
import { ApiKeyApi } from "./ApiKeyApi.ts"
import { AuthApi } from "./AuthApi.ts"
import {
  CrossSiteRequest,
  MalformedBody,
  PayloadTooLarge,
  UnsupportedMediaType
} from "./ControlPlaneErrors.ts"
import { HealthApi } from "./HealthApi.ts"
import { SecretApi } from "./SecretApi.ts"

/** The control-plane API. Each group is one `.add(...)` line. */
export class ControlPlaneApi extends HttpApi.make("control-plane")
  .add(HealthApi)
  .add(AuthApi)
  .add(ApiKeyApi)
  .add(SecretApi)
  .add(AnalyticsApi)
  // Answered before an endpoint is chosen, for any route with a body.
  .addError(PayloadTooLarge)
  .addError(MalformedBody)
  .addError(UnsupportedMediaType)
  // Cookie-authenticated changes from an untrusted origin.
  .addError(CrossSiteRequest)
  .annotate(OpenApi.Title, "Switchyard control plane")
  .annotate(
    OpenApi.Description,
    "Accounts, API keys, provider secrets and analytics. better-auth's own routes live under /api/auth/*."
  ) {}
