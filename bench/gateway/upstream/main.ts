/**
 * The fake OpenAI upstream of the gateway benchmark: plain Node `http`, keep-alive, answering
 * `POST /v1/chat/completions` at once in OpenAI's exact wire format (JSON, or SSE with a usage
 * chunk when `stream_options.include_usage` is set). Runs under Node in a process of its own,
 * so it is never on the event loop of the proxy that waits for it.
 *
 * Arguments: `<port> <chunks>`: it listens on 127.0.0.1 only; `chunks` is the number of content
 * chunks per streamed answer, and of completion tokens per answer (default 4).
 *
 * Two stream shapes: by default each event leaves in one write. A request whose `user` is
 * `bench-split` gets the shape real networks deliver (NOTES.md, "Streaming benchmarks"): each
 * event written in two pieces cut at an odd byte offset, the second on the next turn of the event
 * loop so that they reach the proxy in separate reads. The `user` field rides in the body, which
 * every proxy forwards as it is.
 *
 * Bench-only control routes: `GET /__bench/stats` (counters, and completions per bearer
 * credential: each target sends its own, so they count what each proxy forwarded) and `POST /__bench/config` `{"chunkDelayMs": n}` (pause between streamed content chunks,
 * used by the time-to-first-chunk sampler so that a buffering proxy shows).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { type Completion, completionEvents, completionJson, errorJson, snapshotOf } from "./OpenAiWire.ts"

const port = Number(process.argv[2] ?? "0")
const chunks = Number(process.argv[3] ?? "4")

const stats = {
  completions: 0,
  streamed: 0,
  unauthorized: 0,
  badRequests: 0,
  /** Completions answered per `Authorization` value (at most 16 distinct values are kept). */
  credentials: {} as Record<string, number>
}
let chunkDelayMs = 0
let sequence = 0

let distinctCredentials = 0

const countCredential = (authorization: string): void => {
  const seen = stats.credentials[authorization]
  if (seen !== undefined) stats.credentials[authorization] = seen + 1
  else if (distinctCredentials < 16) {
    distinctCredentials++
    stats.credentials[authorization] = 1
  }
}

const json = (res: ServerResponse, status: number, body: string): void => {
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "x-request-id": `req_bench${sequence}`,
    "openai-processing-ms": "0"
  })
  res.end(body)
}

const readBody = (req: IncomingMessage, onBody: (body: string) => void): void => {
  const parts: Array<Buffer> = []
  req.on("data", (part: Buffer) => parts.push(part))
  req.on("end", () => onBody(parts.length === 1 ? parts[0]!.toString() : Buffer.concat(parts).toString()))
}

interface ChatRequest {
  readonly model?: unknown
  readonly stream?: unknown
  readonly stream_options?: { readonly include_usage?: unknown } | null
  readonly user?: unknown
}

/** The `user` value that asks for the split stream shape. */
const SPLIT_SHAPE = "bench-split"

/** Where an event is cut: near its middle, at an odd offset (inside a JSON token, as networks do). */
const cutOf = (event: string): number => (Math.floor(event.length / 2) | 1) % event.length

/** Writes every event in two pieces, the second one event-loop turn after the first. */
const writeSplit = (res: ServerResponse, events: Array<string>): void => {
  let i = 0
  const next = (): void => {
    const event = events[i++]!
    const cut = cutOf(event)
    res.write(event.slice(0, cut))
    setImmediate(() => {
      res.write(event.slice(cut))
      if (i === events.length) res.end()
      else setImmediate(next)
    })
  }
  next()
}

const stream = (res: ServerResponse, events: Array<string>, split: boolean): void => {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "x-request-id": `req_bench${sequence}`,
    "openai-processing-ms": "0"
  })
  if (split && chunkDelayMs === 0) {
    writeSplit(res, events)
    return
  }
  if (chunkDelayMs === 0) {
    for (const event of events) res.write(event)
    res.end()
    return
  }
  // Paced: the role chunk leaves at once, each later event after a pause.
  let i = 0
  const next = (): void => {
    res.write(events[i++])
    if (i === events.length) res.end()
    else setTimeout(next, chunkDelayMs)
  }
  next()
}

const chatCompletions = (req: IncomingMessage, res: ServerResponse): void => {
  const authorization = req.headers.authorization
  readBody(req, (body) => {
    if (authorization === undefined || !authorization.startsWith("Bearer ")) {
      stats.unauthorized++
      return json(
        res,
        401,
        errorJson(
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
          "invalid_request_error",
          null
        )
      )
    }
    let request: ChatRequest
    try {
      request = JSON.parse(body) as ChatRequest
    } catch {
      stats.badRequests++
      return json(
        res,
        400,
        errorJson("We could not parse the JSON body of your request.", "invalid_request_error", null)
      )
    }
    if (typeof request.model !== "string") {
      stats.badRequests++
      return json(res, 400, errorJson("you must provide a model parameter", "invalid_request_error", null))
    }
    sequence++
    stats.completions++
    countCredential(authorization)
    const completion: Completion = {
      id: `chatcmpl-bench${sequence}`,
      created: Math.floor(Date.now() / 1000),
      model: snapshotOf(request.model),
      promptTokens: Math.max(1, Math.ceil(body.length / 4))
    }
    if (request.stream === true) {
      stats.streamed++
      const includeUsage = request.stream_options?.include_usage === true
      return stream(res, completionEvents(completion, chunks, includeUsage), request.user === SPLIT_SHAPE)
    }
    json(res, 200, completionJson(completion, chunks))
  })
}

const server = createServer((req, res) => {
  const url = req.url ?? "/"
  if (req.method === "POST" && url === "/v1/chat/completions") return chatCompletions(req, res)
  if (req.method === "GET" && url === "/v1/models") {
    return json(
      res,
      200,
      `{"object":"list","data":[{"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"}]}`
    )
  }
  if (req.method === "GET" && url === "/__bench/stats") return json(res, 200, JSON.stringify(stats))
  if (req.method === "POST" && url === "/__bench/config") {
    return readBody(req, (body) => {
      const config = JSON.parse(body) as { chunkDelayMs?: number }
      chunkDelayMs = config.chunkDelayMs ?? 0
      json(res, 200, JSON.stringify({ chunkDelayMs }))
    })
  }
  json(
    res,
    404,
    errorJson(`Unknown request URL: ${req.method} ${url}.`, "invalid_request_error", "unknown_url")
  )
})

// Load generators and proxies keep connections open for the whole run.
server.keepAliveTimeout = 120_000
server.headersTimeout = 125_000
server.listen(port, "127.0.0.1", () => {
  const address = server.address()
  const bound = typeof address === "object" && address !== null ? address.port : port
  process.stdout.write(`listening 127.0.0.1:${bound}\n`)
})

const stop = (): void => {
  server.close(() => process.exit(0))
  server.closeAllConnections()
}
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
