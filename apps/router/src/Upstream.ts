/**
 * One upstream call with plain `fetch`: aborted when the client goes away, and when the upstream
 * has not started answering within the timeout. No HttpClient wrapper on the hot path (NOTES.md:
 * it costs throughput and its finaliser may cut a long stream whose body is passed on).
 */
import type { Target } from "./UpstreamTarget.ts"

/** Controls one upstream call's cancellation. */
export class UpstreamCall {
  /** The call's signal: its own controller's, or the fallback engine's as given. */
  readonly signal: AbortSignal
  /** True when the timeout (not the client) aborted the call. */
  timedOut = false
  private timer: ReturnType<typeof setTimeout> | undefined

  /**
   * `timeoutMs` undefined: `signal` already times the attempt and follows the client (the fallback
   * engine's), so it is used as is: no controller, timer or listener of its own.
   */
  constructor(signal: AbortSignal, timeoutMs: number | undefined) {
    if (timeoutMs === undefined) {
      this.signal = signal
      return
    }
    const controller = new AbortController()
    this.signal = controller.signal
    this.timer = setTimeout(() => {
      this.timedOut = true
      controller.abort(new DOMException("The upstream did not answer in time", "TimeoutError"))
    }, timeoutMs)
    if (signal.aborted) controller.abort(signal.reason)
    else signal.addEventListener("abort", () => controller.abort(signal.reason), { once: true })
  }

  /** The upstream started answering: the first-byte timeout no longer applies. */
  answered(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
  }

  /** Sends the request. Rejects on network errors, timeouts and client aborts. */
  send(url: string, headers: Record<string, string>, body: BodyInit): Promise<Response> {
    return fetch(url, { method: "POST", headers, body, signal: this.signal })
  }

  /**
   * Sends to a user-supplied base URL's endpoint at a checked address (`UpstreamTarget`), never
   * following a redirect: a 3xx comes back as it is, for the caller to refuse.
   */
  sendTo(target: Target, headers: Record<string, string>, body: BodyInit): Promise<Response> {
    const init: RequestInit & { tls?: { serverName: string } } = {
      method: "POST",
      headers: target.host === undefined ? headers : { ...headers, host: target.host },
      body,
      signal: this.signal,
      redirect: "manual"
    }
    // bun: SNI and the certificate check use the name, while the connection goes to the address.
    if (target.serverName !== undefined) init.tls = { serverName: target.serverName }
    return fetch(target.url, init)
  }
}

/**
 * Whether the body is exactly its declared length: a `Content-Length`, no compression (the length
 * would be the compressed one, and a small gzip can inflate without end) and no
 * `Transfer-Encoding` (chunked framing wins over a length sent beside it, and bun's client reads
 * every chunk while the header still says the small length).
 */
const boundedByLength = (headers: Headers, declared: number): boolean => {
  if (!Number.isFinite(declared) || headers.get("transfer-encoding") !== null) return false
  const encoding = headers.get("content-encoding")
  return encoding === null || encoding === "" || encoding.toLowerCase() === "identity"
}

/**
 * An upstream answer's text, read chunk by chunk up to `limit` bytes; `undefined` (the rest left
 * unread and the body cancelled) past it, so a server that answers without end cannot make the
 * router hold it all in memory.
 *
 * A body bounded by a length within the limit cannot overrun it (the HTTP client stops there), so
 * it is read whole with `text()`, before anything touches `response.body`: bun builds that stream
 * (and its source) only when asked, so the common answer costs no stream, reader or decoder.
 */
export const readText = (response: Response, limit: number): Promise<string | undefined> => {
  const headers = response.headers
  const declared = Number(headers.get("content-length") ?? Number.NaN)
  if (declared > limit) return discard(response)
  if (boundedByLength(headers, declared)) return response.text()
  return readCapped(response, limit)
}

/** A body over the limit: cancelled unread. */
const discard = async (response: Response): Promise<string | undefined> => {
  if (response.body === null) return ""
  await response.body.cancel().catch(() => undefined)
  return undefined
}

/** Reads chunk by chunk, stopping (and cancelling) past `limit` bytes. */
const readCapped = async (response: Response, limit: number): Promise<string | undefined> => {
  if (response.body === null) return ""
  const reader = response.body.getReader()
  const decoder = new TextDecoder()
  let text = ""
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return text + decoder.decode()
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => undefined)
      return undefined
    }
    text += decoder.decode(value, { stream: true })
  }
}
