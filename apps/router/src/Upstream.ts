/**
 * One upstream call with plain `fetch`: aborted when the client goes away, and when the upstream
 * has not started answering within the timeout. No HttpClient wrapper on the hot path (NOTES.md:
 * it costs throughput and its finaliser may cut a long stream whose body is passed on).
 */

/** Controls one upstream call's cancellation. */
export class UpstreamCall {
  readonly controller = new AbortController()
  /** True when the timeout (not the client) aborted the call. */
  timedOut = false
  private timer: ReturnType<typeof setTimeout> | undefined

  /** `timeoutMs` undefined: no timer of its own (the fallback engine times the attempt). */
  constructor(clientSignal: AbortSignal, timeoutMs: number | undefined) {
    const controller = this.controller
    if (timeoutMs !== undefined) {
      this.timer = setTimeout(() => {
        this.timedOut = true
        controller.abort(new DOMException("The upstream did not answer in time", "TimeoutError"))
      }, timeoutMs)
    }
    if (clientSignal.aborted) controller.abort(clientSignal.reason)
    else clientSignal.addEventListener("abort", () => controller.abort(clientSignal.reason), { once: true })
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
    return fetch(url, { method: "POST", headers, body, signal: this.controller.signal })
  }
}
