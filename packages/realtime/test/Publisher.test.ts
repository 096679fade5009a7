/**
 * The publisher's promises: `publish` returns at once and never throws, whatever happens to the
 * hub; batches reach the hub's batch route (HTTP, a real server on loopback) or Redis (the
 * Socket.IO emitter's channel for the user's room, on a real Redis); a full queue and failed
 * batches are counted as dropped.
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Layer, Redacted, Scope } from "effect"
import { Redis } from "ioredis"
import { Publisher } from "../src/index.ts"

const usage = (requestId: string) => ({
  requestId,
  model: "m",
  provider: null,
  upstreamModel: null,
  apiKeyId: null,
  status: 200,
  outcome: "success",
  inputTokens: 1,
  outputTokens: 1,
  cachedInputTokens: 0,
  costMicros: 0,
  latencyMs: 1,
  ttftMs: null,
  stream: false,
  createdAt: new Date(0).toISOString()
})

/** Builds a publisher layer in a scope of its own; closing the scope drains it. */
const open = async (layer: Layer.Layer<Publisher>) => {
  const scope = Effect.runSync(Scope.make())
  const context = await Effect.runPromise(Layer.buildWithScope(layer, scope))
  const publisher = Effect.runSync(Effect.provide(Publisher, context))
  return { publisher, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

const options = {
  capacity: 5,
  batchSize: 3,
  interval: Duration.millis(10),
  // Bounds each send and the drain at close: generous, so a loaded machine does not look like loss.
  timeout: Duration.seconds(30)
}

describe("over HTTP", () => {
  const bodies: Array<{
    key: string | undefined
    body: { broadcasts: Array<{ user_id: string; event: string }> }
  }> = []
  let hub: http.Server
  let url: string
  beforeAll(async () => {
    hub = http.createServer((req, res) => {
      let text = ""
      req.on("data", (chunk: Buffer) => {
        text += chunk.toString()
      })
      req.on("end", () => {
        if (req.url === "/api/broadcast/batch") {
          bodies.push({
            key: req.headers["x-websocket-api-key"] as string | undefined,
            body: JSON.parse(text)
          })
        }
        res.writeHead(200, { "content-type": "application/json" })
        res.end("{}")
      })
    })
    await new Promise<void>((resolve) => hub.listen(0, "127.0.0.1", resolve))
    url = `http://127.0.0.1:${(hub.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise((resolve) => hub.close(resolve)))

  it("sends batches to the batch route with the key, and drops what does not fit the queue", async () => {
    const { publisher, close } = await open(Publisher.layerHttp(url, Redacted.make("the-key"), options))
    for (let i = 0; i < 7; i++) publisher.publish(`u${i}`, "usage", usage(`r${i}`))
    expect(publisher.stats()).toMatchObject({ transport: "http", queued: 5, dropped: 2 })
    await close()
    const sent = bodies.flatMap((b) => b.body.broadcasts)
    expect(sent.map((b) => b.user_id)).toEqual(["u0", "u1", "u2", "u3", "u4"])
    expect(sent.every((b) => b.event === "usage")).toBe(true)
    expect(bodies.every((b) => b.key === "the-key")).toBe(true)
    expect(Math.max(...bodies.map((b) => b.body.broadcasts.length))).toBeLessThanOrEqual(3)
    expect(publisher.stats()).toMatchObject({ sent: 5, queued: 0 })
  })

  it("returns at once and counts the loss when the hub cannot be reached", async () => {
    // A port nothing listens on (the fake's, after closing a throwaway server there).
    const gone = http.createServer()
    await new Promise<void>((resolve) => gone.listen(0, "127.0.0.1", resolve))
    const deadUrl = `http://127.0.0.1:${(gone.address() as AddressInfo).port}`
    await new Promise((resolve) => gone.close(resolve))
    const { publisher, close } = await open(Publisher.layerHttp(deadUrl, Redacted.make("k"), options))
    expect(() => publisher.publish("u1", "usage", usage("r1"))).not.toThrow()
    await close()
    expect(publisher.stats()).toMatchObject({ sent: 0, dropped: 1, failedBatches: 1 })
  })
})

describe("over Redis", () => {
  it("publishes on the emitter's channel for the user's room under the deployment's prefix", async () => {
    const redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379"
    const prefix = `sy-pub-${crypto.randomUUID().slice(0, 8)}`
    const listener = new Redis(redisUrl)
    const channels: Array<string> = []
    await listener.psubscribe(`${prefix}#*`)
    const heard = new Promise<void>((resolve) =>
      listener.on("pmessageBuffer", (_pattern: Buffer, channel: Buffer) => {
        channels.push(channel.toString())
        resolve()
      })
    )
    const { publisher, close } = await open(Publisher.layerRedis(Redacted.make(redisUrl), prefix, options))
    // The connection may still be opening: publish until one batch has gone out.
    while (publisher.stats().sent === 0) {
      publisher.publish("u9", "usage", usage("r9"))
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    await heard
    await close()
    listener.disconnect()
    expect(channels[0]).toBe(`${prefix}#/#user.u9#`)
  })
})
