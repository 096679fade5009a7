/**
 * The key is checked before the body is read: a bogus key with a large body gets its 401 while the
 * body is still being sent, so unauthenticated clients cannot make the router buffer megabytes.
 * The request below declares 9 MB and sends only 1 MB: a router that read the body first would
 * wait for the rest for ever and never answer.
 */
import * as net from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { startRouter, type TestRouter } from "./Harness.ts"

let router: TestRouter
beforeAll(async () => {
  router = await startRouter()
})
afterAll(() => router.close())

/** Sends headers and part of a body; resolves with the first bytes the server answers. */
const partialPost = (path: string, headers: Record<string, string>) =>
  new Promise<string>((resolve, reject) => {
    const { hostname, port } = new URL(router.url)
    const socket = net.connect(Number(port), hostname, () => {
      const head = [
        `POST ${path} HTTP/1.1`,
        `host: ${hostname}:${port}`,
        "content-type: application/json",
        "content-length: 9000000",
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
        "",
        ""
      ].join("\r\n")
      socket.write(head)
      socket.write(Buffer.alloc(1024 * 1024, 0x20))
    })
    let answer = ""
    socket.on("data", (chunk) => {
      answer += chunk.toString("utf8")
      if (answer.includes("\r\n\r\n")) {
        socket.destroy()
        resolve(answer)
      }
    })
    socket.on("error", reject)
  })

describe("unauthenticated bodies", () => {
  it.each(["/v1/chat/completions", "/v1/messages", "/v1/embeddings", "/api/chat"])(
    "%s: a bogus key is answered 401 before the body has arrived",
    async (path) => {
      const answer = await partialPost(path, { authorization: "Bearer ef_bogus" })
      expect(answer.startsWith("HTTP/1.1 401")).toBe(true)
    }
  )
})
