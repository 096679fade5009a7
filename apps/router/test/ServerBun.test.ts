/**
 * `Server.start` under bun, where it serves with `Bun.serve` directly (the other tests run under
 * Node, through srvx): answers, the last-resort error answer in OpenAI's format, the server's own
 * body cap, the drain on SIGTERM that lets a request in flight finish, and request ids as bun makes
 * them.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { afterEach, describe, expect, it } from "@effect/vitest"

const fixture = fileURLToPath(new URL("./fixtures/serveUnderBun.ts", import.meta.url))

let child: ChildProcess | undefined
let output = ""

const startUnderBun = () =>
  new Promise<string>((resolve, reject) => {
    output = ""
    child = spawn("bun", [fixture], { stdio: ["ignore", "pipe", "pipe"] })
    child.stdout!.on("data", (data: Buffer) => {
      output += data.toString()
      const url = /listening (\S+)/.exec(output)?.[1]
      if (url !== undefined) resolve(url.replace(/\/$/, ""))
    })
    child.stderr!.on("data", (data: Buffer) => {
      output += data.toString()
    })
    child.once("error", reject)
    child.once("exit", (code) => reject(new Error(`bun exited with ${code}: ${output}`)))
  })

const exited = () =>
  new Promise<number | null>((resolve) => {
    if (child === undefined || child.exitCode !== null) return resolve(child?.exitCode ?? null)
    child.once("exit", (code) => resolve(code))
  })

afterEach(() => {
  child?.kill("SIGKILL")
  child = undefined
})

describe("Server under bun (Bun.serve)", () => {
  it("answers, and answers an uncaught throw with OpenAI's error JSON", async () => {
    const url = await startUnderBun()
    const ok = await fetch(`${url}/hello`)
    expect(ok.status).toBe(200)
    expect(await ok.text()).toBe("answered /hello")

    const thrown = await fetch(`${url}/throw`)
    expect(thrown.status).toBe(500)
    expect(thrown.headers.get("content-type")).toContain("application/json")
    const body = (await thrown.json()) as { error: { type: string; message: string } }
    expect(body.error.type).toBe("server_error")
    // The internal message stays in the logs, not in the answer.
    expect(body.error.message).not.toContain("thrown by the handler")
  })

  it("passes bodies up to twice the limit to the handler and refuses larger ones itself", async () => {
    const url = await startUnderBun()
    const within = await fetch(`${url}/body`, { method: "POST", body: "x".repeat(2048) })
    expect(await within.text()).toBe("read 2048 bytes")
    const over = await fetch(`${url}/body`, { method: "POST", body: "x".repeat(4096) })
    expect(over.status).toBe(413)
  })

  it("makes request ids with bun's own generator: version-7 UUIDs, distinct and in order", async () => {
    const url = await startUnderBun()
    const ids = (await (await fetch(`${url}/ids`)).json()) as Array<string>
    expect(ids).toHaveLength(1000)
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(new Set(ids).size).toBe(ids.length)
    expect([...ids].sort()).toEqual(ids)
  })

  it("keeps a stream open through a pause longer than Bun's 10 s idle timeout", async () => {
    const url = await startUnderBun()
    const res = await fetch(`${url}/pause`)
    expect(await res.text()).toBe("data: first\n\ndata: after the pause\n\n")
  }, 30_000)

  it("on SIGTERM lets the request in flight finish, then stops", async () => {
    const url = await startUnderBun()
    const slow = fetch(`${url}/slow`)
    // SIGTERM once the request is in flight (a fixed wait lost the race on a loaded machine).
    while (!output.includes("handling /slow")) await new Promise((resolve) => setTimeout(resolve, 10))
    child!.kill("SIGTERM")
    const res = await slow
    expect(res.status).toBe(200)
    expect(await res.text()).toBe("answered /slow")
    expect(await exited()).toBe(0)
    expect(output).toContain("drained true")
  })
})
