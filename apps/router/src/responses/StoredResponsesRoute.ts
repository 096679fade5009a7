/**
 * `GET /v1/responses/{response_id}` and `DELETE /v1/responses/{response_id}`: the caller's own
 * stored responses. Another user's id, one past its retention or one never stored is a 404, the
 * same answer, so ids cannot be probed.
 */
import type { ResponseStore } from "@switchyard/db"
import { GatewayError } from "@switchyard/domain"
import { Effect, Option } from "effect"
import { authenticate } from "../Authenticate.ts"
import { errorResponse } from "../ClientError.ts"
import type { GatewayContext } from "../GatewayContext.ts"
import * as Limits from "../Limits.ts"
import { jsonResponse } from "../routes/json.ts"

/** The path prefix of these routes. */
export const PREFIX = "/v1/responses/"

/** What an id may be (as the POST route validates them). */
const ID = /^[A-Za-z0-9_.:-]{1,256}$/

const notFound = (id: string) =>
  new GatewayError({
    status: 404,
    type: "invalid_request_error",
    message: `Response with id '${ID.test(id) ? id : "(invalid)"}' not found.`,
    param: "response_id"
  })

/** The response id of a request path, `undefined` for deeper paths (`/input_items`, `/cancel`). */
const idOf = (url: string): string | undefined => {
  const path = new URL(url).pathname
  const id = decodeURIComponent(path.slice(PREFIX.length))
  return id.includes("/") ? undefined : id
}

/** The handler of both methods. */
export const make =
  (ctx: GatewayContext, store: ResponseStore["Type"]) =>
  async (request: Request): Promise<Response> => {
    const caller = await authenticate(ctx, request, "responses")
    if (caller instanceof Response) return caller
    // One request against the caller's rate like every keyed route, with its headers.
    const limits = await Limits.admitPlain(ctx, caller)
    const headers = limits.headers
    if (!limits.ok) return errorResponse("responses", limits.error, headers)
    let id: string | undefined
    try {
      id = idOf(request.url)
    } catch {
      id = undefined
    }
    if (id === undefined)
      return errorResponse(
        "responses",
        new GatewayError({
          status: 404,
          type: "not_found_error",
          message: `No route for ${request.method} ${new URL(request.url).pathname}`
        }),
        headers
      )
    if (!ID.test(id)) return errorResponse("responses", notFound(id), headers)
    const found = id
    const answer =
      request.method === "DELETE"
        ? Effect.map(store.remove(caller.userId, found), (removed) =>
            removed
              ? jsonResponse(200, { id: found, object: "response", deleted: true }, headers)
              : errorResponse("responses", notFound(found), headers)
          )
        : Effect.map(store.get(caller.userId, found), (stored) =>
            Option.match(stored, {
              onNone: () => errorResponse("responses", notFound(found), headers),
              onSome: (s) => jsonResponse(200, s.response, headers)
            })
          )
    return ctx.run(
      answer.pipe(
        Effect.catchTag("ResponseStoreUnavailable", (e) =>
          Effect.succeed(
            errorResponse(
              "responses",
              new GatewayError({ status: 503, type: "api_error", message: e.message }),
              headers
            )
          )
        )
      )
    )
  }
