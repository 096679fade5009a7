/**
 * Answers oversized bodies with 413 and malformed JSON with 400 before any handler runs, in the
 * API's error format (the HttpApi would otherwise treat a body it cannot parse as a defect).
 */
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { MalformedBody, PayloadTooLarge } from "@switchyard/domain"
import { Effect, Option, Schema } from "effect"

/** Largest request body accepted: prompts are at most 8 000 characters. */
export const MAX_BODY_BYTES = 64 * 1024

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

/** The guard, as a global router middleware. */
export const BodyGuard = HttpLayerRouter.middleware(
  (app) =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      if (request.method !== "POST") return yield* app
      const length = Number(request.headers["content-length"] ?? "0")
      if (Number.isFinite(length) && length > MAX_BODY_BYTES) return tooLarge
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
