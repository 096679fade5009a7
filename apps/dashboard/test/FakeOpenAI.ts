/**
 * A fake OpenAI upstream on loopback speaking the real wire format (chat completions, JSON and
 * SSE with a final usage chunk), recording the credential each request carried.
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"

export interface FakeOpenAI {
  readonly url: string
  /** The `Authorization` header of every chat request, in order. */
  readonly authorizations: Array<string>
  readonly close: () => Promise<void>
}

const USAGE = { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 }

export const startFakeOpenAI = (): Promise<FakeOpenAI> => {
  const authorizations: Array<string> = []
  const server = http.createServer((request, response) => {
    let body = ""
    request.on("data", (chunk) => {
      body += chunk
    })
    request.on("end", () => {
      if (request.method !== "POST" || !request.url?.endsWith("/chat/completions")) {
        response.writeHead(404, { "content-type": "application/json" })
        response.end(
          JSON.stringify({ error: { message: "not found", type: "invalid_request_error", code: null } })
        )
        return
      }
      authorizations.push(request.headers.authorization ?? "")
      const parsed = JSON.parse(body) as { model: string; stream?: boolean }
      const base = { id: "chatcmpl-fake", created: Math.floor(Date.now() / 1000), model: parsed.model }
      if (parsed.stream) {
        response.writeHead(200, { "content-type": "text/event-stream" })
        const chunks = ["Hello", " from the", " fake upstream."].map((content, index) => ({
          ...base,
          object: "chat.completion.chunk",
          choices: [
            {
              index: 0,
              delta: index === 0 ? { role: "assistant", content } : { content },
              finish_reason: null
            }
          ]
        }))
        for (const chunk of chunks) response.write(`data: ${JSON.stringify(chunk)}\n\n`)
        response.write(
          `data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\n`
        )
        response.write(
          `data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [], usage: USAGE })}\n\n`
        )
        response.end("data: [DONE]\n\n")
        return
      }
      response.writeHead(200, { "content-type": "application/json" })
      response.end(
        JSON.stringify({
          ...base,
          object: "chat.completion",
          choices: [
            {
              index: 0,
              message: { role: "assistant", content: "Hello from the fake upstream.", refusal: null },
              finish_reason: "stop",
              logprobs: null
            }
          ],
          usage: USAGE
        })
      )
    })
  })
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        authorizations,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections()
            server.close(() => done())
          })
      })
    })
  })
}
