/**
 * Relays an upstream body (already translated, or untouched) to the client as a web stream, with
 * no Effect `Stream` in between (see NOTES.md: converting costs ~85 % of throughput).
 *
 * The first chunk is awaited before the response is answered, so an upstream that fails before
 * its first byte still gets a proper error status (and a retry could happen there). After that,
 * a broken upstream ends the client's stream with an error event in its format, and a client that
 * goes away cancels the upstream read (which aborts the upstream request). An upstream silent for
 * `idleMs` is cut by us, and the client gets an error event saying so.
 */

/** How the relayed stream ended; `idle`: the upstream sent nothing for `idleMs` and we cut it. */
export type RelayEnd = "complete" | "client_abort" | "broken" | "idle"

/** Hooks of one relay. */
export interface RelayOptions {
  /** Sees every chunk forwarded, in order (usage taps); a throw breaks the stream. */
  readonly onChunk: ((chunk: Uint8Array) => void) | undefined
  /** Called exactly once, when the stream ends in any way. */
  readonly onEnd: (end: RelayEnd, error?: unknown) => void
  /** The bytes that tell the client the stream broke (an SSE error event in its format). */
  readonly brokenEvent: (error: unknown) => Uint8Array
  /** The bytes that tell the client we cut a stream that went idle. */
  readonly idleEvent: () => Uint8Array
  /** Longest silence from the upstream after the first chunk (`UPSTREAM_IDLE_TIMEOUT_MS`). */
  readonly idleMs: number
  /**
   * Asked when the upstream closes: true when the stream stopped before its format's end (an
   * untouched stream; a translated one reports this itself). The client then gets `brokenEvent`.
   */
  readonly cutShort?: (() => boolean) | undefined
}

/** Why a stream whose upstream closed early is broken. */
const CUT_SHORT = new Error("the stream ended before it completed")

/** Whether `chunk` ends an SSE event (a blank line), so the next bytes start a new one. */
const endsEvent = (chunk: Uint8Array): boolean => {
  const n = chunk.length
  return n >= 2 && chunk[n - 1] === 10 && (chunk[n - 2] === 10 || (n >= 4 && chunk[n - 3] === 10))
}

const BLANK_LINE = new Uint8Array([10, 10])

/** The relay, once its first chunk arrived; or the error that came instead. */
export type Primed =
  | { readonly _tag: "Ready"; readonly stream: ReadableStream<Uint8Array> }
  | { readonly _tag: "Failed"; readonly error: unknown }

/** Reads the first chunk, then hands back the stream that relays the rest. */
export const relay = async (source: ReadableStream<Uint8Array>, options: RelayOptions): Promise<Primed> => {
  const reader = source.getReader()
  let first: Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>["read"]>>
  try {
    first = await reader.read()
  } catch (error) {
    reader.releaseLock()
    return { _tag: "Failed", error }
  }
  let ended = false
  const end = (how: RelayEnd, error?: unknown) => {
    if (ended) return
    ended = true
    options.onEnd(how, error)
  }
  const onChunk = options.onChunk
  // One timer per stream, not per chunk: each chunk only notes the time, and the timer, when it
  // fires early, re-arms itself for what is left of the silence.
  const { idleMs } = options
  let lastChunkAt = performance.now()
  let idled = false
  let idleTimer: ReturnType<typeof setTimeout> | undefined
  const watch = (delay: number) => {
    idleTimer = setTimeout(() => {
      const silent = performance.now() - lastChunkAt
      if (silent < idleMs) return watch(idleMs - silent)
      idled = true
      // The pending read then resolves as done; cancelling also aborts the upstream request.
      reader.cancel(new Error(`no data from the upstream for ${idleMs} ms`)).catch(() => undefined)
    }, delay)
  }
  const stopWatching = () => {
    if (idleTimer !== undefined) clearTimeout(idleTimer)
    idleTimer = undefined
  }
  // An upstream that breaks off mid-event leaves a partial line: our error event must not be
  // glued onto it (the client would read one malformed event and miss the error).
  let atEventEnd = true
  const tell = (controller: ReadableStreamDefaultController<Uint8Array>, event: Uint8Array) => {
    if (!atEventEnd) controller.enqueue(BLANK_LINE)
    controller.enqueue(event)
  }
  const forward = (controller: ReadableStreamDefaultController<Uint8Array>, chunk: Uint8Array) => {
    atEventEnd = endsEvent(chunk)
    controller.enqueue(chunk)
  }
  /** The upstream closed: complete, or cut short (the client is told). */
  const closed = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    if (options.cutShort?.() === true) {
      end("broken", CUT_SHORT)
      tell(controller, options.brokenEvent(CUT_SHORT))
    } else end("complete")
    controller.close()
  }
  /** The upstream broke, or a chunk could not be read (`onChunk` threw): the client is told. */
  const broke = (controller: ReadableStreamDefaultController<Uint8Array>, error: unknown) => {
    stopWatching()
    if (ended) return
    end(idled ? "idle" : "broken", error)
    tell(controller, idled ? options.idleEvent() : options.brokenEvent(error))
    controller.close()
    // An upstream whose chunk we refused is still sending: stop it.
    reader.cancel(error).catch(() => undefined)
  }
  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (first.done) {
          closed(controller)
          return
        }
        try {
          onChunk?.(first.value)
        } catch (error) {
          broke(controller, error)
          return
        }
        forward(controller, first.value)
        watch(idleMs)
      },
      async pull(controller) {
        try {
          const next = await reader.read()
          if (next.done) {
            stopWatching()
            if (idled) {
              end("idle")
              tell(controller, options.idleEvent())
              controller.close()
            } else closed(controller)
            return
          }
          lastChunkAt = performance.now()
          onChunk?.(next.value)
          forward(controller, next.value)
        } catch (error) {
          broke(controller, error)
        }
      },
      cancel(reason) {
        stopWatching()
        end("client_abort", reason)
        return reader.cancel(reason).catch(() => undefined)
      }
    },
    { highWaterMark: 0 }
  )
  return { _tag: "Ready", stream }
}
