/**
 * `POST /v1/responses`: OpenAI's Responses API, to any provider. The request goes through the chat
 * routes' pipeline (`ChatRoute.serve`: credentials, limits, fallbacks, the same usage event and
 * ledger row) as a third client format: to OpenAI untranslated (its Responses endpoint), to every
 * other provider translated through the neutral form, like chat. Around it, this route resolves the
 * conversation (`previous_response_id`, `item_reference`) from the caller's stored responses before,
 * and stores the answer after (unless `store: false`).
 */
import type { ResponseStore } from "@switchyard/db"
import { GatewayError } from "@switchyard/domain"
import type { ResponsesRequest } from "@switchyard/router-core"
import { Effect } from "effect"
import { missingKey, verifyNow } from "../Authenticate.ts"
import { credentialOf } from "../CallerAuth.ts"
import * as ChatRoute from "../ChatRoute.ts"
import { errorResponse } from "../ClientError.ts"
import type { GatewayContext } from "../GatewayContext.ts"
import { readJsonBody } from "../RequestBody.ts"
import { type ClientState, finishJson, finishStream, type Keep } from "./AnswerState.ts"
import * as Conversation from "./Conversation.ts"

/** The handler. */
export const make =
  (ctx: GatewayContext, store: ResponseStore["Type"]) =>
  async (request: Request): Promise<Response> => {
    const startedAt = performance.now()
    const token = credentialOf(request.headers)
    if (token === undefined) return errorResponse("responses", missingKey)
    // The key before the body: an unauthenticated body is never buffered.
    const caller = await verifyNow(ctx, token)
    if (caller instanceof GatewayError) return errorResponse("responses", caller)
    let parsed = ChatRoute.parseBody("responses", await readJsonBody(request, ctx.settings.maxBodyBytes))
    let input: ReadonlyArray<unknown> = []
    let client: ResponsesRequest | undefined
    if (parsed.ok && parsed.request.format === "responses") {
      client = parsed.request.body
      const resolved = await ctx.run(
        Effect.either(Conversation.resolve(store, caller.userId, parsed.request))
      )
      if (resolved._tag === "Left") parsed = { ok: false, error: resolved.left, model: parsed.request.model }
      else {
        input = resolved.right.input
        parsed = {
          ok: true,
          request: resolved.right.request,
          bytes: resolved.right.unchanged ? parsed.bytes : undefined
        }
      }
    }
    const answer = await ChatRoute.serve(ctx, request, "responses", caller, parsed, startedAt)
    if (client === undefined || !parsed.ok || answer.status !== 200 || answer.body === null) return answer

    const state: ClientState = client
    const keep: Keep = (response) =>
      ctx.run(
        store
          .put({
            id: response.id as string,
            userId: caller.userId,
            previousResponseId: client.previous_response_id ?? null,
            input,
            response
          })
          .pipe(
            // The answer is already paid for and on its way: a store that failed is logged, not fatal.
            Effect.catchAll((error) =>
              Effect.logError("responses: could not store a response", error.message)
            )
          )
      )
    if (client.stream === true)
      return new Response(finishStream(answer.body, state, keep), {
        status: answer.status,
        headers: answer.headers
      })
    return new Response(await finishJson(await answer.text(), state, keep), {
      status: answer.status,
      headers: answer.headers
    })
  }
