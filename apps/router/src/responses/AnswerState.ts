/**
 * A Responses answer on its way out, translated or OpenAI's own: its conversation-state fields set
 * as the client sent them (the upstream was asked to store nothing), and the finished Response
 * stored for `previous_response_id`, `item_reference` and `GET /v1/responses/{id}` before the client
 * sees it, so a client that continues the conversation at once finds it.
 *
 * Streams are read event by event (`eventsource-parser`): the events that carry the Response
 * (`response.created` … `response.completed`) are rewritten, the others pass as they came; an
 * `error` event the gateway wrote after a broken stream gets the sequence number after the last.
 */
import { withResponsesState } from "@switchyard/router-core"
import { createParser, type EventSourceMessage } from "eventsource-parser"

type Json = Record<string, unknown>
const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

/** What the client asked of the conversation. */
export interface ClientState {
  readonly previous_response_id?: string | null
  readonly store?: boolean | null
}

/** Stores a finished Response (its errors are the caller's to log: the answer goes on). */
export type Keep = (response: Json) => Promise<void>

/** Events that carry the Response object. */
const RESPONSE_EVENTS = new Set([
  "response.created",
  "response.queued",
  "response.in_progress",
  "response.completed",
  "response.incomplete",
  "response.failed"
])

/** Of those, the ones that end the stream. */
const FINAL_EVENTS = new Set(["response.completed", "response.incomplete", "response.failed"])

/** A non-streamed answer: the Response with its state fields, stored (unless `store: false`). */
export const finishJson = async (text: string, state: ClientState, keep: Keep): Promise<string> => {
  let response: unknown
  try {
    response = JSON.parse(text)
  } catch {
    return text
  }
  if (!isObject(response) || typeof response.id !== "string") return text
  withResponsesState(response, state)
  if (state.store !== false) await keep(response)
  return JSON.stringify(response)
}

const parse = (data: string): unknown => {
  try {
    return JSON.parse(data)
  } catch {
    return undefined
  }
}

const frame = (ev: EventSourceMessage, data: string): string =>
  ev.event === undefined ? `data: ${data}\n\n` : `event: ${ev.event}\ndata: ${data}\n\n`

/** A streamed answer's transform. */
export const finishStream = (state: ClientState, keep: Keep): TransformStream<Uint8Array, Uint8Array> => {
  const decoder = new TextDecoder()
  const encoder = new TextEncoder()
  let pending: Array<EventSourceMessage> = []
  const parser = createParser({ onEvent: (ev) => pending.push(ev) })
  let next = 0

  const write = async (controller: TransformStreamDefaultController<Uint8Array>) => {
    const events = pending
    pending = []
    let out = ""
    for (const ev of events) {
      const data = parse(ev.data)
      if (!isObject(data) || typeof data.type !== "string") {
        out += frame(ev, ev.data)
        continue
      }
      const seq = typeof data.sequence_number === "number" ? data.sequence_number : undefined
      if (data.type === "error" && (seq === undefined || seq < next)) {
        data.sequence_number = next++
        out += frame(ev, JSON.stringify(data))
        continue
      }
      if (seq !== undefined) next = Math.max(next, seq + 1)
      if (!RESPONSE_EVENTS.has(data.type) || !isObject(data.response)) {
        out += frame(ev, ev.data)
        continue
      }
      withResponsesState(data.response, state)
      // OpenAI sends `usage: null` until the Response is done; its spec has usage an object or absent.
      if (data.response.usage === null) delete data.response.usage
      if (FINAL_EVENTS.has(data.type) && state.store !== false) {
        // What came before goes out first; the final event only once the Response is kept.
        if (out !== "") controller.enqueue(encoder.encode(out))
        out = ""
        await keep(data.response)
      }
      out += frame(ev, JSON.stringify(data))
    }
    if (out !== "") controller.enqueue(encoder.encode(out))
  }

  return new TransformStream<Uint8Array, Uint8Array>({
    transform: (chunk, controller) => {
      parser.feed(decoder.decode(chunk, { stream: true }))
      return write(controller)
    },
    flush: (controller) => {
      parser.feed(`${decoder.decode()}\n\n`)
      return write(controller)
    }
  })
}
