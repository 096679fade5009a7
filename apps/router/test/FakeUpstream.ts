/**
 * A fake provider on loopback (plain node:http, like the real ones: keep-alive, chunked SSE): it
 * records every request exactly as received and answers with whatever the test scripts.
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"

/** A request as the fake received it. */
export interface Received {
  readonly method: string
  readonly url: string
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
  /** Resolves when the client closed the connection before the answer was finished. */
  readonly aborted: Promise<void>
}

/** How the fake answers one request. */
export type Script = (req: Received, res: http.ServerResponse) => void | Promise<void>

/** A running fake. */
export interface FakeUpstream {
  readonly url: string
  readonly received: Array<Received>
  /** Replaces the script for the following requests. */
  script: Script
  readonly close: () => Promise<void>
}

/** Starts a fake on a free port. */
export const startFake = async (script: Script): Promise<FakeUpstream> => {
  const received: Array<Received> = []
  const fake: FakeUpstream = {
    url: "",
    received,
    script,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
  const server = http.createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const aborted = new Promise<void>((resolve) => {
        res.on("close", () => {
          if (!res.writableFinished) resolve()
        })
      })
      const entry: Received = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        aborted
      }
      received.push(entry)
      void fake.script(entry, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  ;(fake as { url: string }).url = `http://127.0.0.1:${port}`
  return fake
}

/** Answers JSON. */
export const json =
  (status: number, body: unknown): Script =>
  (_req, res) => {
    res.writeHead(status, { "content-type": "application/json" })
    res.end(typeof body === "string" ? body : JSON.stringify(body))
  }

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Answers an SSE stream: the text is cut at the given byte offsets (or every `splitEvery` bytes),
 * each piece written separately with a pause, so events arrive split at arbitrary places.
 */
export const sse =
  (text: string, options: { readonly splitEvery?: number; readonly pauseMs?: number } = {}): Script =>
  async (_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" })
    const bytes = Buffer.from(text, "utf8")
    const step = options.splitEvery ?? 7
    for (let at = 0; at < bytes.length; at += step) {
      if (res.destroyed) return
      res.write(bytes.subarray(at, Math.min(bytes.length, at + step)))
      await sleep(options.pauseMs ?? 1)
    }
    res.end()
  }

/** SSE text from events, with CRLF line endings, a comment and a ping among them. */
export const sseText = (
  events: ReadonlyArray<{ readonly event?: string; readonly data: unknown }>,
  options: { readonly crlf?: boolean; readonly done?: boolean } = {}
): string => {
  const nl = options.crlf === false ? "\n" : "\r\n"
  let out = `: keep-alive comment${nl}${nl}`
  for (const e of events) {
    if (e.event !== undefined) out += `event: ${e.event}${nl}`
    out += `data: ${typeof e.data === "string" ? e.data : JSON.stringify(e.data)}${nl}${nl}`
  }
  if (options.done !== false) out += `data: [DONE]${nl}${nl}`
  return out
}
