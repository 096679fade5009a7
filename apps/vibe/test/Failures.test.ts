/**
 * What goes wrong, and how it is said: generation failures (upstream error, an answer with no
 * HTML, an oversized document) leave a `failed` app with the reason in its history and answer 502;
 * bad credentials 401; bad input 400/413 naming the field; never a stack trace, never a secret.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { appFor } from "./FakeAnthropic.ts"
import { JWT_SECRET, SERVICE_KEY, type Stack, startStack, type TestUser } from "./Harness.ts"

let stack: Stack
let user: TestUser
let headers: Record<string, string>

beforeAll(async () => {
  stack = await startStack("vibe_failures")
  user = await stack.newUser("failing")
  headers = { "x-api-key": user.key }
})

afterAll(async () => {
  await stack?.close()
})

const seen: Array<string> = []
const call = async (...args: Parameters<Stack["call"]>) => {
  const reply = await stack.call(...args)
  seen.push(reply.text)
  return reply
}

/** Creates an app while the fake answers in `mode`; returns the reply. */
const createWhile = async (mode: typeof stack.fake.mode, prompt: string) => {
  stack.fake.mode = mode
  try {
    return await call("POST", "/api/create", { headers, json: { prompt } })
  } finally {
    stack.fake.mode = "app"
  }
}

describe("generation failures", () => {
  it.each([
    ["error", /^Generation failed: the router answered 5\d\d/],
    ["prose", /^Generation failed: the model's answer held no HTML document$/],
    ["huge", /^Generation failed: the generated app is \d+ bytes, over the 262144-byte limit$/]
  ] as const)("%s: 502, the app is failed with the reason in its history", async (mode, reason) => {
    const reply = await createWhile(mode, `An app that meets ${mode}`)
    expect(reply.status).toBe(502)
    expect(Object.keys(reply.body).sort()).toEqual(["_tag", "app_id", "message"])
    expect(reply.body._tag).toBe("VibeGenerationFailed")
    const appId = reply.body.app_id
    expect((await call("GET", `/api/app/${appId}/status`, { headers })).body).toEqual({ status: "failed" })
    const history = (await call("GET", `/api/app/${appId}/history`, { headers })).body.message_history
    expect(history).toHaveLength(2)
    expect(history[0]).toEqual({ content: `An app that meets ${mode}`, type: "user" })
    expect(history[1].type).toBe("assistant")
    expect(history[1].content).toMatch(reason)
    expect((await call("GET", `/api/app/${appId}/versions`, { headers })).body.versions).toEqual([])
    const page = await stack.viewApp(appId)
    expect(page.status).toBe(502)
    expect(page.text).toContain("could not be generated")
    expect(stack.events.filter((e) => e.app_id === appId).map((e) => e.status)).toEqual([
      "creating",
      "failed"
    ])
  })

  it("an edit of a failed app starts it over, and it becomes active", async () => {
    const appId = (await createWhile("error", "A clock")).body.app_id
    const written = await call("POST", `/api/app/${appId}/write`, {
      headers,
      json: { text: "with big digits" }
    })
    expect(written.status).toBe(200)
    expect((await call("GET", `/api/app/${appId}/status`, { headers })).body).toEqual({ status: "active" })
    expect((await stack.viewApp(appId)).status).toBe(200)
  })

  it("a failed edit leaves a working app as it was", async () => {
    const created = await call("POST", "/api/create", { headers, json: { prompt: "A calculator" } })
    const appId = created.body.app_id
    stack.fake.mode = "prose"
    const written = await call("POST", `/api/app/${appId}/write`, {
      headers,
      json: { text: "add a square root" }
    })
    stack.fake.mode = "app"
    expect(written.status).toBe(502)
    expect((await call("GET", `/api/app/${appId}/status`, { headers })).body).toEqual({ status: "active" })
    expect((await stack.viewApp(appId)).text).toBe(appFor("A calculator"))
    const history = (await call("GET", `/api/app/${appId}/history`, { headers })).body.message_history
    expect(history.at(-1).content).toMatch(/^Generation failed: /)
  })

  it("the router unreachable is a 502 too; with no VIBE_ROUTER_KEY, service callers get a 503 naming it", async () => {
    const broken = await startStack("vibe_failures_unreachable", {
      VIBE_ROUTER_URL: "http://127.0.0.1:9",
      VIBE_ROUTER_KEY: ""
    })
    try {
      const other = await broken.newUser("lost")
      const reply = await broken.call("POST", "/api/create", {
        headers: { "x-api-key": other.key },
        json: { prompt: "x" }
      })
      expect(reply.status).toBe(502)
      expect(reply.body.message).toBe("Generating the app failed: the router could not be reached")
      const service = await broken.call("POST", "/api/create", {
        headers: { "x-api-key": SERVICE_KEY },
        json: { prompt: "x" }
      })
      expect(service.status).toBe(503)
      expect(service.body._tag).toBe("VibeUnavailable")
      expect(service.body.message).toContain("VIBE_ROUTER_KEY")
      // Nothing was created for it.
      const rows = await broken.query<{ count: number }>(
        "SELECT count(*)::int AS count FROM vibe_apps WHERE owner_id LIKE 'service:%'"
      )
      expect(rows[0]?.count).toBe(0)
    } finally {
      await broken.close()
    }
  })
})

describe("credentials", () => {
  it.each([
    ["none", {}],
    ["an unknown service key", { "x-api-key": "not-a-valid-key" }],
    ["an unknown ef_ key", { "x-api-key": `ef_${"A".repeat(43)}` }],
    ["a revoked-looking bearer", { authorization: "Bearer unknown-session-token" }],
    ["an empty bearer", { authorization: "Bearer " }],
    ["a basic header", { authorization: `Basic ${Buffer.from("a:b").toString("base64")}` }]
  ])("%s: 401", async (_name, credential) => {
    const reply = await call("POST", "/api/create", { headers: credential, json: { prompt: "x" } })
    expect(reply.status).toBe(401)
    expect(reply.body._tag).toBe("VibeUnauthorized")
    expect((await call("GET", "/api/app/sb-00000000000000000000", { headers: credential })).status).toBe(401)
  })

  it("JWTs: a wrong secret, an expired token, alg none and a missing sub are all 401", async () => {
    const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from('{"sub":"x"}').toString("base64url")}.`
    const tokens = [
      await stack.jwtFor("someone", { secret: `${JWT_SECRET}-wrong` }),
      await stack.jwtFor("someone", { expiresIn: "-1m" }),
      none
    ]
    for (const token of tokens) {
      const reply = await call("GET", "/api/app/sb-00000000000000000000", {
        headers: { authorization: `Bearer ${token}` }
      })
      expect(reply.status).toBe(401)
    }
  })

  it("the header name is case-insensitive, and a valid credential on an unknown app is 404", async () => {
    for (const name of ["X-API-KEY", "x-api-key", "X-Api-Key"]) {
      const reply = await call("GET", "/api/app/sb-00000000000000000000", {
        headers: { [name]: SERVICE_KEY }
      })
      expect(reply.status).toBe(404)
    }
  })
})

describe("bad input", () => {
  it.each([
    ["no prompt", {}, "prompt"],
    ["an empty prompt", { prompt: "   " }, "prompt"],
    ["a prompt too long", { prompt: "x".repeat(8001) }, "prompt"],
    ["a prompt not a string", { prompt: 42 }, "prompt"],
    ["a malformed user_id", { prompt: "ok", user_id: "no spaces allowed" }, "user_id"]
  ])("%s: 400 naming the field, nothing stored", async (_name, json, field) => {
    const before = await stack.query<{ count: number }>("SELECT count(*)::int AS count FROM vibe_apps")
    const reply = await call("POST", "/api/create", { headers, json })
    expect(reply.status).toBe(400)
    expect(reply.body._tag).toBe("HttpApiDecodeError")
    expect(reply.body.issues.map((issue: { path: Array<string> }) => issue.path[0])).toContain(field)
    const after = await stack.query<{ count: number }>("SELECT count(*)::int AS count FROM vibe_apps")
    expect(after[0]?.count).toBe(before[0]?.count)
  })

  it("a malformed app id names app_id; an empty edit names text", async () => {
    const badId = await call("GET", "/api/app/not-an-id/status", { headers })
    expect(badId.status).toBe(400)
    expect(badId.body.issues[0].path).toEqual(["app_id"])
    const created = await call("POST", "/api/create", { headers, json: { prompt: "A note pad" } })
    const empty = await call("POST", `/api/app/${created.body.app_id}/write`, { headers, json: { text: "" } })
    expect(empty.status).toBe(400)
    expect(empty.body.issues[0].path).toEqual(["text"])
    const badVersion = await call("POST", `/api/app/${created.body.app_id}/revert`, {
      headers,
      json: { version: 0 }
    })
    expect(badVersion.status).toBe(400)
    expect(badVersion.body.issues[0].path).toEqual(["version"])
  })

  it("malformed JSON is 400 and an oversized body 413, in the API's format", async () => {
    const malformed = await call("POST", "/api/create", { headers, raw: '{"prompt": ' })
    expect(malformed.status).toBe(400)
    expect(malformed.body._tag).toBe("MalformedBody")
    const large = await call("POST", "/api/create", {
      headers,
      raw: JSON.stringify({ prompt: "x".repeat(70_000) })
    })
    expect(large.status).toBe(413)
    expect(large.body._tag).toBe("PayloadTooLarge")
  })
})

describe("what is never said", () => {
  it("no answer carried a stack trace, and neither answers nor logs carry a credential", () => {
    const everything = seen.join("\n")
    expect(everything).not.toMatch(/\n\s+at .+:\d+:\d+/)
    expect(everything).not.toContain("node_modules")
    const logs = stack.logs.join("\n")
    for (const secret of [user.key, user.session, SERVICE_KEY, JWT_SECRET, stack.operator.key]) {
      expect(everything).not.toContain(secret)
      expect(logs).not.toContain(secret)
    }
    // The failures above were logged, so the log check looked at something.
    expect(logs).toContain("generation failed")
  })
})
