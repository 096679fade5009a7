/**
 * The SSE parser for bytes that come from an upstream. `eventsource-parser` holds an unfinished
 * line (and an unfinished event) in memory until it ends; an upstream that never ends one (a
 * user's own base URL may point at any server) would grow the heap until the process dies, taking
 * every tenant's requests with it. Past `MAX_SSE_BUFFER` characters, `feed` throws: the stream it
 * was fed from then breaks like any broken upstream (an error event, `provider_error`).
 */
import { createParser, type EventSourceParser, type ParserCallbacks } from "eventsource-parser"

/**
 * Most characters one event may hold before it ends: 16 Mi, far above any real event (a finished
 * Response with all its output, a generated image's base64).
 */
export const MAX_SSE_BUFFER = 16 * 1024 * 1024

/** A parser of upstream SSE that throws from `feed` once an event outgrows `maxBuffer`. */
export const createSseParser = (
  callbacks: Pick<ParserCallbacks, "onEvent">,
  maxBuffer: number = MAX_SSE_BUFFER
): EventSourceParser =>
  createParser({
    ...callbacks,
    maxBufferSize: maxBuffer,
    onError: (error) => {
      if (error.type === "max-buffer-size-exceeded")
        throw new Error(`the upstream sent an event longer than ${maxBuffer} characters`)
    }
  })
