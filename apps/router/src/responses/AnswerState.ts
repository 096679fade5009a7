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

/**
 * A streamed answer, read from `source`. A plain pull stream rather than a `TransformStream`: a
 * client that leaves cancels the source at once (the relay records `client_abort`), with no pipe
 * in between for the upstream's own abort to overtake.
 */
export const finishStream = (
  source: ReadableStream<Uint8Array>,
  state: ClientState,
  keep: Keep
): ReadableStream<Uint8Array> => {
  const reader = source.getReader()
  const decoder = new TextDecoder()
  const encoder = new TextEncoder()
  let pending: Array<EventSourceMessage> = []
  const parser = createParser({ onEvent: (ev) => pending.push(ev) })
  let next = 0

  /**
   * The events parsed so far, rewritten; a final event only once its Response is kept. Whether
   * anything was written.
   */
  const write = async (controller: ReadableStreamDefaultController<Uint8Array>): Promise<boolean> => {
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
        if (out !== "") controller.enqueue(encoder.encode(out))
        out = ""
        await keep(data.response)
      }
      out += frame(ev, JSON.stringify(data))
    }
    if (out !== "") controller.enqueue(encoder.encode(out))
    return events.length > 0
  }

  return new ReadableStream<Uint8Array>(
    {
      // Reads until it has written something: a pull that writes nothing is not called again.
      async pull(controller) {
        for (;;) {
          const { done, value } = await reader.read()
          if (done) {
            parser.feed(`${decoder.decode()}\n\n`)
            await write(controller)
            controller.close()
            return
          }
          parser.feed(decoder.decode(value, { stream: true }))
          if (await write(controller)) return
        }
      },
      cancel: (reason) => reader.cancel(reason)
    },
    { highWaterMark: 0 }
  )
}
