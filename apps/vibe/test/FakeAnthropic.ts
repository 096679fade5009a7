/**
 * A fake Anthropic upstream on loopback (plain node:http, Messages API wire format): the router
 * under test forwards to it. What it answers is set per test: a working app showing the request,
 * an upstream error, prose with no HTML, an oversized document, or an answer held until released.
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"

/** How the fake answers app generations (explanations always get one sentence). */
export type Mode = "app" | "error" | "prose" | "huge" | "hold"

/** A running fake. */
export interface FakeAnthropic {
  readonly url: string
  mode: Mode
  /** Bodies of the requests received, parsed. */
  readonly received: Array<{
    readonly model: string
    readonly messages: ReadonlyArray<{ role: string; content: unknown }>
  }>
  /** Lets every held answer go (mode `hold`). */
  readonly release: () => void
  /** Resolves once `n` answers are being held. */
  readonly holding: (n: number) => Promise<void>
  readonly close: () => Promise<void>
}

/** The explanation the fake gives for every app. */
export const EXPLANATION = "I made a small app for you!"

const textOf = (content: unknown): string =>
  typeof content === "string"
    ? content
    : Array.isArray(content)
      ? content.map((part: { text?: unknown }) => (typeof part.text === "string" ? part.text : "")).join("")
      : ""

/** A document that shows `request` (escaped) and proves its script ran. */
export const appFor = (request: string) => {
  const shown = request.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>App</title><style>body{background:#eef}</style></head>
<body><h1 id="prompt">${shown}</h1><p id="status">waiting</p>
<script>document.getElementById("status").textContent = "Script is running";</script>
</body></html>`
}

const message = (text: string, model: string) => ({
  id: "msg_fake",
  type: "message",
  role: "assistant",
  model,
  content: [{ type: "text", text }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 120, output_tokens: 80 }
})

/** Starts the fake on a free port. */
export const startFakeAnthropic = async (): Promise<FakeAnthropic> => {
  let releaseAll: () => void = () => undefined
  let released = new Promise<void>((resolve) => {
    releaseAll = resolve
  })
  let held = 0
  const waiters: Array<{ n: number; resolve: () => void }> = []
  const fake: FakeAnthropic = {
    url: "",
    mode: "app",
    received: [],
    release: () => {
      releaseAll()
      released = new Promise<void>((resolve) => {
        releaseAll = resolve
      })
    },
    holding: (n) =>
      held >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
  const answer = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" })
    res.end(JSON.stringify(body))
  }
  const server = http.createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", async () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"))
      fake.received.push(body)
      const last = [...body.messages].reverse().find((m: { role: string }) => m.role === "user")
      const request = textOf(last?.content)
      if (String(body.model).includes("haiku")) return answer(res, 200, message(EXPLANATION, body.model))
      switch (fake.mode) {
        case "app":
          return answer(
            res,
            200,
            message(`Here it is:\n\n\`\`\`html\n${appFor(request)}\n\`\`\`\n`, body.model)
          )
        case "error":
          return answer(res, 500, {
            type: "error",
            error: { type: "api_error", message: "Upstream exploded" }
          })
        case "prose":
          return answer(res, 200, message("Sorry, I would rather describe the app in words.", body.model))
        case "huge":
          return answer(
            res,
            200,
            message(appFor(request).replace("</body>", `<p>${"x".repeat(300_000)}</p></body>`), body.model)
          )
        case "hold": {
          const wait = released
          held++
          for (const waiter of waiters.filter((w) => held >= w.n)) waiter.resolve()
          await wait
          held--
          return answer(res, 200, message(appFor(request), body.model))
        }
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  ;(fake as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return fake
}
