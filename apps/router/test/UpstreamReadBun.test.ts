/**
 * `readText` under bun, against raw HTTP answers: a body read whole because its length bounds it,
 * and the answers whose `Content-Length` does not bound what bun's client reads (a compressed body,
 * chunked framing sent beside a length), which must still be cut at the limit.
 */
import { execFile } from "node:child_process"
import * as net from "node:net"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"
import { afterEach, describe, expect, it } from "@effect/vitest"

const fixture = fileURLToPath(new URL("./fixtures/readTextUnderBun.ts", import.meta.url))
const LIMIT = 256 * 1024

let server: net.Server | undefined
afterEach(() => {
  server?.close()
  server = undefined
})

/** A server that answers every connection with `head` (the status line and headers), then `body`. */
const answering = (head: string, body: (socket: net.Socket) => void) =>
  new Promise<string>((resolve) => {
    server = net.createServer((socket) => {
      socket.on("error", () => undefined) // the reader may hang up mid-body
      socket.once("data", () => {
        socket.write(`${head}\r\n\r\n`)
        body(socket)
      })
    })
    server.listen(0, "127.0.0.1", () =>
      resolve(`http://127.0.0.1:${(server!.address() as net.AddressInfo).port}/`)
    )
  })

const readUnderBun = (url: string) =>
  new Promise<{ length?: number; tooLarge?: boolean }>((resolve, reject) =>
    execFile("bun", [fixture, url, String(LIMIT)], { timeout: 60_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout.trim()))
    )
  )

describe("readText under bun", () => {
  it("reads a body bounded by its length whole", async () => {
    const body = "y".repeat(100_000)
    const url = await answering(
      `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}`,
      (s) => s.end(body)
    )
    expect(await readUnderBun(url)).toEqual({ length: body.length })
  })

  it("cuts a compressed body at the limit, whatever its declared length", async () => {
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024, "x"))
    const url = await answering(
      `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\ncontent-length: ${bomb.length}`,
      (s) => s.end(bomb)
    )
    expect(await readUnderBun(url)).toEqual({ tooLarge: true })
  })

  it("cuts chunks sent beside a small Content-Length at the limit (chunked framing wins)", async () => {
    const piece = Buffer.alloc(64 * 1024, "x")
    const url = await answering(
      "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 10\r\ntransfer-encoding: chunked",
      (socket) => {
        let sent = 0
        const more = (): void => {
          while (sent < 8 * 1024 * 1024 && !socket.destroyed) {
            sent += piece.length
            if (!socket.write(`${piece.length.toString(16)}\r\n${piece}\r\n`)) {
              socket.once("drain", more)
              return
            }
          }
          if (!socket.destroyed) socket.end("0\r\n\r\n")
        }
        more()
      }
    )
    expect(await readUnderBun(url)).toEqual({ tooLarge: true })
  })
})
