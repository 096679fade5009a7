/**
 * `/v1/apikey` (seed 002): the user's one Switchyard key, and the unauthenticated verify call.
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import {
  ApiKeyView,
  CreatedApiKey,
  UpdateApiKeyRequest,
  VerifyKeyRequest,
  VerifyKeyResponse
} from "./ApiKey.ts"
import { ApiKeyAlreadyExists, ApiKeyNotFound, ServiceUnavailable } from "./ControlPlaneErrors.ts"
import { Authentication } from "./User.ts"

/** `/v1/apikey` endpoints. All but `verify` need a signed-in user; any answers 503 when the database is down. */
export class ApiKeyApi extends HttpApiGroup.make("apikey")
  .add(HttpApiEndpoint.get("get", "/").addSuccess(ApiKeyView).addError(ApiKeyNotFound))
  .add(
    HttpApiEndpoint.post("create", "/")
      .addSuccess(CreatedApiKey, { status: 201 })
      .addError(ApiKeyAlreadyExists)
  )
  .add(HttpApiEndpoint.put("regenerate", "/").addSuccess(CreatedApiKey).addError(ApiKeyNotFound))
  .add(
    HttpApiEndpoint.patch("update", "/")
      .setPayload(UpdateApiKeyRequest)
      .addSuccess(ApiKeyView)
      .addError(ApiKeyNotFound)
  )
  .add(HttpApiEndpoint.del("remove", "/").addSuccess(HttpApiSchema.NoContent).addError(ApiKeyNotFound))
  .middlewareEndpoints(Authentication)
  .add(HttpApiEndpoint.post("verify", "/verify").setPayload(VerifyKeyRequest).addSuccess(VerifyKeyResponse))
  .addError(ServiceUnavailable)
  .prefix("/v1/apikey") {}
