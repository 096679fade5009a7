/**
 * Shutdown (what main.ts does on SIGTERM, at the server level): `Server.drain` stops accepting
 * connections while a stream already in flight runs to its end, with its one usage event.
 */
import * as net from "node:net"
import { afterAll, beforeAll, expect, it } from "@effect/vitest"
import * as AppServer from "../src/Server.ts"
import { type FakeUpstream, sse, sseText, startFake } from "./FakeUpstream.ts"
import { chat, type Running, start } from "./ReliabilityHarness.ts"

let fake: FakeUpstream
let router: Running

const chunk = (content: string) => ({
  id: "c",
  object: "chat.completion.chunk",
  created: 1,
  model: "gpt-4o-mini",
  choices: [{ index: 0, delta: { content }, finish_reason: null }]
})

beforeAll(async () => {
  const words = Array.from({ length: 12 }, (_, i) => chunk(`w${i} `))
  // A slow stream: 12 words, a few bytes every 10 ms (about a second in all).
  fake = await startFake(sse(sseText(words.map((data) => ({ data }))), { splitEvery: 40, pauseMs: 10 }))
  router = await start({ env: { OPENAI_BASE_URL: `${fake.url}/v1`, OPENAI_API_KEY: "sk-platform" } })
})

afterAll(async () => {
  await router.close()
  await fake.close()
})

const refused = (url: string) =>
  new Promise<boolean>((resolve) => {
    const { hostname, port } = new URL(url)
    const socket = net.connect(Number(port), hostname)
    socket.once("connect", () => {
      socket.destroy()
      resolve(false)
    })
    socket.once("error", () => resolve(true))
  })

it("SIGTERM's drain lets a stream in flight finish and refuses new connections", async () => {
  const res = await chat(router.url, {
    model: "gpt-4o-mini",
    stream: true,
    messages: [{ role: "user", content: "hi" }]
  })
  expect(res.status).toBe(200)
  const reader = res.body!.getReader()
  const first = await reader.read()
  expect(first.done).toBe(false)

  const drained = AppServer.drain(router.server, 10_000)
  // Once draining, the port takes no new connections.
  await new Promise((resolve) => setTimeout(resolve, 20))
  expect(await refused(router.url)).toBe(true)

  let text = new TextDecoder().decode(first.value)
  for (;;) {
    const next = await reader.read()
    if (next.done) break
    text += new TextDecoder().decode(next.value)
  }
  for (let i = 0; i < 12; i++) expect(text).toContain(`w${i} `)
  expect(text).toContain("[DONE]")
  expect(await drained).toBe(true)
  const events = await router.waitForEvents(1)
  expect(events).toHaveLength(1)
  expect(events[0]).toMatchObject({ outcome: "success", stream: true })
})
