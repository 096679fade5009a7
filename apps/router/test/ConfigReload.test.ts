/**
 * The routing file is reloaded while the router runs: a valid change is picked up, an invalid one
 * leaves the previous config serving. Over real HTTP, with the production `Routing.layer`.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, expect, it } from "@effect/vitest"
import { Routing } from "@switchyard/router-core"
import { chat, type Running, start } from "./ReliabilityHarness.ts"

const file = join(mkdtempSync(join(tmpdir(), "switchyard-reload-")), "routing.yaml")
let router: Running

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The status of a request for `model` (mock models: no upstream needed). */
const statusOf = async (model: string) => {
  const res = await chat(router.url, { model, messages: [{ role: "user", content: "hi" }] })
  await res.arrayBuffer()
  return res.status
}

/** Waits until `model` answers `status` (the file is polled every 20 ms). */
const until = async (model: string, status: number) => {
  for (let i = 0; i < 200 && (await statusOf(model)) !== status; i++) await sleep(10)
  expect(await statusOf(model)).toBe(status)
}

beforeAll(async () => {
  writeFileSync(file, "aliases:\n  fast: mock/echo\n")
  router = await start({
    // Refused unknown names (404) show which aliases the table in force has.
    env: {
      SWITCHYARD_CONFIG: file,
      MOCK_PROVIDER: "true",
      SWITCHYARD_CONFIG_POLL_MS: "20",
      UNKNOWN_MODELS: "refuse"
    },
    routingLayer: Routing.layer
  })
})

afterAll(() => router.close())

it("an invalid file keeps the old config serving; a valid change is picked up", async () => {
  expect(await statusOf("fast")).toBe(200)
  expect(await statusOf("quick")).toBe(404)

  // Broken YAML, then a schema error: several polls pass, the old table still serves.
  writeFileSync(file, "aliases:\n  fast: [mock/echo\n  quick: mock/echo\n")
  await sleep(120)
  expect(await statusOf("fast")).toBe(200)
  writeFileSync(file, "aliases:\n  fast: { provider: nowhere, model: x }\n  quick: mock/echo\n")
  await sleep(120)
  expect(await statusOf("fast")).toBe(200)
  expect(await statusOf("quick")).toBe(404)

  // A valid change: the new alias answers, the removed one is gone.
  writeFileSync(file, "aliases:\n  quick: mock/echo\n")
  await until("quick", 200)
  expect(await statusOf("fast")).toBe(404)
})
