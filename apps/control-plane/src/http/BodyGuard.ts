/**
 * Answers oversized bodies with 413, bodies that are not `application/json` with 415 and
 * malformed JSON with 400 before any handler runs, in the API's error format. (The HttpApi would
 * otherwise decode form bodies as well, which any page can post cross-site without a preflight,
 * and treat a body it cannot parse as a defect.)
 */
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { AUTH_BASE_PATH } from "@switchyard/auth/better-auth"
import { MalformedBody, PayloadTooLarge, UnsupportedMediaType } from "@switchyard/domain"
import { Effect, Option, Schema } from "effect"

/** Largest request body accepted, in bytes. Control-plane requests are small. */
export const MAX_BODY_BYTES = 64 * 1024

const withBody = new Set(["POST", "PUT", "PATCH", "DELETE"])

const tooLarge = HttpServerResponse.unsafeJson(
  Schema.encodeSync(PayloadTooLarge)(
    new PayloadTooLarge({
      message: `Request body exceeds ${MAX_BODY_BYTES} bytes`,
      limitBytes: MAX_BODY_BYTES
    })
  ),
  { status: 413, headers: { connection: "close" } }
)

const malformed = HttpServerResponse.unsafeJson(
  Schema.encodeSync(MalformedBody)(new MalformedBody({ message: "Request body is not valid JSON" })),
  { status: 400 }
)

const notJson = HttpServerResponse.unsafeJson(
  Schema.encodeSync(UnsupportedMediaType)(
    new UnsupportedMediaType({
      message: "Send the request body as JSON, with Content-Type: application/json"
    })
  ),
  { status: 415 }
)

/** The media type of a `Content-Type` value, without its parameters (`; charset=utf-8`). */
const mediaType = (contentType: string) => (contentType.split(";")[0] ?? "").trim().toLowerCase()

/** Whether the request says it has a body. */
const hasBody = (headers: Readonly<Record<string, string | undefined>>) =>
  headers["transfer-encoding"] !== undefined || Number(headers["content-length"] ?? "0") > 0

/** The guard, as a global router middleware. */
export const BodyGuard = HttpLayerRouter.middleware(
  (app) =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      if (!withBody.has(request.method)) return yield* app
      const length = Number(request.headers["content-length"] ?? "0")
      if (Number.isFinite(length) && length > MAX_BODY_BYTES) return tooLarge
      // better-auth reads its own body as a web stream; only the length limit applies there.
      if (request.url.startsWith(`${AUTH_BASE_PATH}/`)) return yield* app
      const type = request.headers["content-type"]
      if (type === undefined) return hasBody(request.headers) ? notJson : yield* app
      if (mediaType(type) !== "application/json") return notJson
      // Read (and cached by the request) here, so the handler's own read cannot fail.
      const parsed = yield* Effect.either(request.json)
      if (parsed._tag === "Left") {
        const cause = parsed.left.cause
        return cause instanceof Error && cause.message === "maxBytes exceeded" ? tooLarge : malformed
      }
      return yield* app
    }).pipe(HttpIncomingMessage.withMaxBodySize(Option.some(MAX_BODY_BYTES))),
  { global: true }
)
