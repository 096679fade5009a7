/**
 * A deployment's own operator key (`credential: { env }` in the routing file): the deployment
 * that names one is called with exactly that key, whoever the user is; the others keep the normal
 * resolution (the user's own key, else the platform's). Asserted on what the fake upstream receives.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { RoutingConfig } from "@switchyard/router-core"
import { Redacted, Schema } from "effect"
import { type FakeUpstream, json, type Received, startFake } from "./FakeUpstream.ts"
import { startRouter, TEST_KEY, type TestRouter } from "./Harness.ts"

const completion = (model: string) => ({
  id: "c1",
  object: "chat.completion",
  created: 1,
  model,
  choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 }
})

const modelOf = (req: Received) => (JSON.parse(req.body) as { model: string }).model

let openai: FakeUpstream
let compatible: FakeUpstream
let router: TestRouter

const routing = {
  retry: { maxRetries: 0 },
  aliases: {
    team: { deployments: [{ provider: "openai", model: "gpt-team", credential: { env: "TEAM_KEY" } }] },
    compat: {
      deployments: [
        { provider: "openai-compatible", model: "local-llm", credential: { env: "TEAM_KEY", baseUrl: "" } }
      ]
    },
    mixed: {
      deployments: [{ provider: "openai", model: "gpt-broken", credential: { env: "TEAM_KEY" } }],
      fallbacks: ["gpt-plain"]
    }
  }
}

beforeAll(async () => {
  openai = await startFake((req, res) =>
    modelOf(req) === "gpt-broken"
      ? json(500, { error: { message: "down" } })(req, res)
      : json(200, completion(modelOf(req)))(req, res)
  )
  compatible = await startFake((req, res) => json(200, completion(modelOf(req)))(req, res))
  routing.aliases.compat.deployments[0]!.credential.baseUrl = `${compatible.url}/v1`
  router = await startRouter({
    env: {
      OPENAI_BASE_URL: `${openai.url}/v1`,
      OPENAI_API_KEY: "sk-platform",
      TEAM_KEY: "sk-team"
    },
    secrets: new Map([
      ["u1/openai", { enabled: true, baseUrl: undefined, secret: Redacted.make("sk-user") }]
    ]),
    routing: Schema.decodeUnknownSync(RoutingConfig.RoutingConfigFile)(routing)
  })
})

afterAll(async () => {
  await router?.close()
  await openai?.close()
  await compatible?.close()
})

const ask = (model: string, key: string) =>
  fetch(`${router.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] })
  })

/** The Authorization header of the last request `fake` received for `model`. */
const authorizationFor = (fake: FakeUpstream, model: string) =>
  fake.received.filter((r) => modelOf(r) === model).at(-1)?.headers.authorization

describe("deployment credentials", () => {
  it("sends the configured key for the deployment that names one, even when the user has their own", async () => {
    const mine = await ask("team", TEST_KEY)
    expect(mine.status).toBe(200)
    expect(authorizationFor(openai, "gpt-team")).toBe("Bearer sk-team")
    const other = await ask("team", "ef_other_key")
    expect(other.status).toBe(200)
    expect(authorizationFor(openai, "gpt-team")).toBe("Bearer sk-team")
  })

  it("keeps the user's key, else the platform's, for a deployment without one", async () => {
    expect((await ask("gpt-plain", TEST_KEY)).status).toBe(200)
    expect(authorizationFor(openai, "gpt-plain")).toBe("Bearer sk-user")
    expect((await ask("gpt-plain", "ef_other_key")).status).toBe(200)
    expect(authorizationFor(openai, "gpt-plain")).toBe("Bearer sk-platform")
  })

  it("sends an openai-compatible deployment's key to its configured base URL (no user key needed)", async () => {
    const answered = await ask("compat", "ef_other_key")
    expect(answered.status).toBe(200)
    const received = compatible.received.at(-1)!
    expect(received.url).toBe("/v1/chat/completions")
    expect(received.headers.authorization).toBe("Bearer sk-team")
  })

  it("a fallback without a credential of its own uses the user's key, not the failed deployment's", async () => {
    const answered = await ask("mixed", TEST_KEY)
    expect(answered.status).toBe(200)
    expect(authorizationFor(openai, "gpt-broken")).toBe("Bearer sk-team")
    expect(authorizationFor(openai, "gpt-plain")).toBe("Bearer sk-user")
  })

  it("refuses to start when a named variable is missing, naming it", async () => {
    await expect(
      startRouter({
        env: { OPENAI_API_KEY: "sk-platform" },
        routing: Schema.decodeUnknownSync(RoutingConfig.RoutingConfigFile)({
          aliases: { team: routing.aliases.team }
        })
      })
    ).rejects.toThrow(/TEAM_KEY is not set/)
  })
})
