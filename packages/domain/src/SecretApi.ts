/**
 * `/v1/secret` (seed 002): the user's provider credentials, stored in the vault.
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import { Schema } from "effect"
import { SetEnabledRequest } from "./ApiKey.ts"
import { InvalidRequest, SecretNotFound, ServiceUnavailable } from "./ControlPlaneErrors.ts"
import { PutSecretRequest, SecretPath, SecretView } from "./Secret.ts"
import { Authentication } from "./User.ts"

/**
 * `/v1/secret` endpoints; all need a signed-in user and only ever touch that user's secrets; any
 * answers 503 when the database is down.
 */
export class SecretApi extends HttpApiGroup.make("secret")
  .add(HttpApiEndpoint.get("list", "/").addSuccess(Schema.Array(SecretView)))
  .add(
    HttpApiEndpoint.post("put", "/")
      .setPayload(PutSecretRequest)
      .addSuccess(SecretView)
      .addError(InvalidRequest)
  )
  .add(
    HttpApiEndpoint.patch("setEnabled", "/:provider")
      .setPath(SecretPath)
      .setPayload(SetEnabledRequest)
      .addSuccess(SecretView)
      .addError(SecretNotFound)
  )
  .add(
    HttpApiEndpoint.del("remove", "/:provider")
      .setPath(SecretPath)
      .addSuccess(HttpApiSchema.NoContent)
      .addError(SecretNotFound)
  )
  .middleware(Authentication)
  .addError(ServiceUnavailable)
  .prefix("/v1/secret") {}
