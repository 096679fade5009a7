/**
 * Conversation state of a Responses request, resolved before it is forwarded: the gateway keeps
 * conversations itself (per user, in `ResponseStore`), so every provider can continue one. The
 * request's `previous_response_id` becomes the earlier turns' items in front of its input, its
 * `item_reference` items become the items they name, and the upstream is asked not to store
 * anything (`store: false`, no `previous_response_id`): OpenAI included, so a conversation can
 * move between providers and another user's id can never reach one.
 */
import type { ResponseStore } from "@switchyard/db"
import { GatewayError } from "@switchyard/domain"
import type { ResponsesClientRequest, ResponsesInputItem } from "@switchyard/router-core"
import { Effect, Option } from "effect"

/** A request with its conversation resolved. */
export interface Resolved {
  /** What to forward. */
  readonly request: ResponsesClientRequest
  /** The forwarded body is the client's as sent (its bytes can go upstream untouched). */
  readonly unchanged: boolean
  /** The turn's own input items, references resolved: what is stored with its answer. */
  readonly input: ReadonlyArray<unknown>
}

type Json = Record<string, unknown>
const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

const notFound = (message: string, param: string, code: string) =>
  new GatewayError({ status: 404, type: "invalid_request_error", message, param, code })

const unavailable = (message: string) => new GatewayError({ status: 503, type: "api_error", message })

/**
 * Stored reasoning that carries no `encrypted_content` cannot go back to a model: OpenAI refuses
 * reasoning items it did not persist, Anthropic thinking it did not sign.
 */
const replayable = (item: unknown): boolean =>
  !(isObject(item) && item.type === "reasoning" && typeof item.encrypted_content !== "string")

/** Resolves the request's conversation for `userId`, or the 404 / 503 to answer. */
export const resolve = (
  store: ResponseStore["Type"],
  userId: string,
  req: ResponsesClientRequest
): Effect.Effect<Resolved, GatewayError> =>
  Effect.gen(function* () {
    const body = req.body
    const given = body.input
    const items: Array<unknown> =
      given === undefined || given === null
        ? []
        : typeof given === "string"
          ? [{ type: "message", role: "user", content: given }]
          : [...given]

    const refs: Array<string> = []
    for (const item of items)
      if (isObject(item) && item.type === "item_reference" && typeof item.id === "string") refs.push(item.id)
    if (refs.length > 0) {
      const found = yield* store.items(userId, refs)
      for (let i = 0; i < items.length; i++) {
        const item = items[i]
        if (!isObject(item) || item.type !== "item_reference") continue
        const stored = found.get(item.id as string)
        if (stored === undefined)
          return yield* notFound(`Item with id '${item.id}' not found.`, `input[${i}].id`, "item_not_found")
        items[i] = stored
      }
    }

    const previous = body.previous_response_id
    let history: ReadonlyArray<unknown> = []
    if (typeof previous === "string") {
      const found = yield* store.history(userId, previous)
      if (Option.isNone(found))
        return yield* notFound(
          `Previous response with id '${previous}' not found.`,
          "previous_response_id",
          "previous_response_not_found"
        )
      history = found.value
    }

    const input = items.filter((item, i) => refs.length === 0 || replayable(item) || !wasReference(given, i))
    const unchanged = typeof previous !== "string" && refs.length === 0 && body.store === false
    if (unchanged) return { request: req, unchanged, input }
    const { previous_response_id: _, ...rest } = body
    const forwarded = {
      ...rest,
      input: [...history.filter(replayable), ...input] as Array<ResponsesInputItem>,
      store: false
    }
    return { request: { ...req, body: forwarded }, unchanged, input }
  }).pipe(Effect.catchTag("ResponseStoreUnavailable", (e) => Effect.fail(unavailable(e.message))))

/** Whether the client's input item at `i` was an `item_reference`. */
const wasReference = (given: ResponsesClientRequest["body"]["input"], i: number): boolean => {
  if (!Array.isArray(given)) return false
  const item = given[i]
  return isObject(item) && item.type === "item_reference"
}
