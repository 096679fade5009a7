import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, ConfigProvider, Context, Effect, Either, Layer, Redacted, TestClock } from "effect"
import * as Routing from "../src/Routing.ts"
import * as RoutingConfig from "../src/RoutingConfig.ts"

const table = (file: RoutingConfig.RoutingConfigFile, mockEnabled = false, defaultModel?: string) =>
  Effect.runSync(Routing.makeTable({ file, mockEnabled, defaultModel, unknownModels: Routing.refuseUnknown }))

describe("Routing", () => {
  it("routes bare names by prefix", () => {
    const t = table({})
    expect(t.resolve("gpt-4o")).toEqual({ provider: "openai", upstreamModel: "gpt-4o" })
    for (const m of ["o1-mini", "o3-mini", "o4-mini", "chatgpt-4o-latest"])
      expect(t.resolve(m)?.provider).toBe("openai")
    expect(t.resolve("claude-sonnet-4-5")?.provider).toBe("anthropic")
    expect(t.resolve("gemini-2.5-flash")?.provider).toBe("google")
    expect(t.resolve("grok-4")?.provider).toBe("xai")
    expect(t.resolve("text-embedding-3-small")?.provider).toBe("openai")
    expect(t.resolve("llama-3")).toBeUndefined()
    expect(t.resolve("o1")).toBeUndefined()
  })

  it("routes provider/model explicitly, keeping the rest of the name", () => {
    const t = table({})
    expect(t.resolve("anthropic/gpt-like")).toEqual({ provider: "anthropic", upstreamModel: "gpt-like" })
    expect(t.resolve("openai-compatible/meta-llama/Llama-3-8B")).toEqual({
      provider: "openai-compatible",
      upstreamModel: "meta-llama/Llama-3-8B"
    })
    expect(t.resolve("nobody/gpt-4o")).toBeUndefined()
    expect(t.resolve("openai/")).toBeUndefined()
  })

  it("makes a name's route and deployments once, and still resolves every name past the memo's bound", () => {
    const t = table({})
    // The same objects each time: a request resolving a known name allocates nothing.
    expect(t.resolve("gpt-4o")).toBe(t.resolve("gpt-4o"))
    expect(t.deployments("gpt-4o")).toBe(t.deployments("gpt-4o"))
    expect(t.deployments("gpt-4o")?.[0]?.[0]).toMatchObject({ provider: "openai", id: "openai/gpt-4o" })
    // Client-chosen names cannot grow it without end, and it answers the same once emptied.
    for (let i = 0; i < 10_000; i++) {
      expect(t.resolve(`openai/model-${i}`)).toEqual({ provider: "openai", upstreamModel: `model-${i}` })
    }
    expect(t.resolve("openai/model-3")).toEqual({ provider: "openai", upstreamModel: "model-3" })
    expect(t.resolve("llama-3")).toBeUndefined()
    expect(t.resolve("gpt-4o")).toEqual({ provider: "openai", upstreamModel: "gpt-4o" })
  })

  it("answers mock models only when the mock is enabled", () => {
    expect(table({}).resolve("mock/echo")).toBeUndefined()
    expect(table({}, true).resolve("mock/echo")).toEqual({ provider: "mock", upstreamModel: "echo" })
  })

  it("resolves aliases first, in both forms", () => {
    const t = table({
      aliases: {
        fast: "openai/gpt-4o-mini",
        smart: { provider: "anthropic", model: "claude-sonnet-4-5" },
        "gpt-4o": "claude-3-5-haiku-latest"
      }
    })
    expect(t.resolve("fast")).toEqual({ provider: "openai", upstreamModel: "gpt-4o-mini" })
    expect(t.resolve("smart")).toEqual({ provider: "anthropic", upstreamModel: "claude-sonnet-4-5" })
    expect(t.resolve("gpt-4o")).toEqual({ provider: "anthropic", upstreamModel: "claude-3-5-haiku-latest" })
    expect(t.aliases.map(([name]) => name)).toEqual(["fast", "smart", "gpt-4o"])
  })

  it("refuses an alias that routes nowhere", () => {
    const result = Effect.runSync(
      Effect.either(
        Routing.makeTable({
          file: { aliases: { x: "mystery-model" } },
          mockEnabled: false,
          defaultModel: undefined,
          unknownModels: Routing.refuseUnknown
        })
      )
    )
    expect(Either.isLeft(result) && result.left.message).toContain('alias "x"')
  })

  it("picks the default model: DEFAULT_MODEL, then the file, then a built-in", () => {
    expect(table({ defaultModel: "fast" }, false, "gpt-4.1").defaultModel).toBe("gpt-4.1")
    expect(table({ defaultModel: "fast" }).defaultModel).toBe("fast")
    expect(table({}, true).defaultModel).toBe("mock/echo")
  })
})

/** `RoutingConfig.parse`'s outcome as an Either (it is an Effect: the YAML parser loads on demand). */
const parseRouting = (path: string, text: string) =>
  Effect.runPromise(Effect.either(RoutingConfig.parse(path, text)))

describe("RoutingConfig.parse", () => {
  it("reads YAML and JSON", async () => {
    const yaml = await parseRouting("r.yaml", "defaultModel: fast\naliases:\n  fast: openai/gpt-4o-mini\n")
    expect(yaml).toEqual(Either.right({ defaultModel: "fast", aliases: { fast: "openai/gpt-4o-mini" } }))
    const json = await parseRouting(
      "r.json",
      '{"aliases":{"s":{"provider":"google","model":"gemini-2.5-pro"}}}'
    )
    expect(json).toEqual(Either.right({ aliases: { s: { provider: "google", model: "gemini-2.5-pro" } } }))
    expect(await parseRouting("empty.yaml", "")).toEqual(Either.right({}))
  })

  it("names the bad entry", async () => {
    const bad = await parseRouting("r.yaml", "aliases:\n  s: { provider: nope, model: x }\n")
    expect(Either.isLeft(bad)).toBe(true)
    if (Either.isLeft(bad)) {
      expect(bad.left.message).toContain("r.yaml")
      expect(bad.left.message).toContain("r.yaml:2: aliases.s.provider")
    }
    const typo = await parseRouting("r.yaml", "alias:\n  s: gpt-4o\n")
    expect(Either.isLeft(typo) && typo.left.message).toContain("alias")
    const broken = await parseRouting("r.yaml", "aliases: [unclosed\n")
    expect(Either.isLeft(broken) && broken.left.message).toMatch(/^r\.yaml:\d+: .*line/is)
    const deep = await parseRouting(
      "r.yaml",
      "retry: { maxRetries: 1 }\naliases:\n  x:\n    deployments:\n      - { provider: nope, model: m }\n"
    )
    expect(Either.isLeft(deep) && deep.left.message).toContain("r.yaml:5: aliases.x.deployments.0.provider")
  })
})

const tableFrom = (env: Record<string, string>) =>
  Effect.runPromise(
    Effect.map(Routing.Routing, (routing) => routing.current()).pipe(
      Effect.provide(Routing.layer),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
    )
  )

describe("Routing.layer", () => {
  it("reads SWITCHYARD_CONFIG and DEFAULT_MODEL", async () => {
    const dir = mkdtempSync(join(tmpdir(), "routing-"))
    const path = join(dir, "routing.yaml")
    writeFileSync(path, "defaultModel: fast\naliases:\n  fast: gemini-2.5-flash\n")
    const table = await tableFrom({ SWITCHYARD_CONFIG: path })
    expect(table.resolve("fast")).toEqual({ provider: "google", upstreamModel: "gemini-2.5-flash" })
    expect(table.defaultModel).toBe("fast")
    expect((await tableFrom({ SWITCHYARD_CONFIG: path, DEFAULT_MODEL: "gpt-4.1" })).defaultModel).toBe(
      "gpt-4.1"
    )
  })

  it("fails start-up with a message naming a missing or invalid file", async () => {
    await expect(tableFrom({ SWITCHYARD_CONFIG: "/nonexistent/routing.yaml" })).rejects.toThrow(
      /cannot read \/nonexistent\/routing\.yaml/
    )
    const dir = mkdtempSync(join(tmpdir(), "routing-"))
    const path = join(dir, "bad.json")
    writeFileSync(path, '{"aliases":{"x":{"provider":"nobody","model":"m"}}}')
    await expect(tableFrom({ SWITCHYARD_CONFIG: path })).rejects.toThrow(
      /bad\.json is not a valid routing config/
    )
  })

  it("turns the mock on in local mode only, unless MOCK_PROVIDER says otherwise", async () => {
    expect((await tableFrom({})).mockEnabled).toBe(false)
    expect((await tableFrom({ SWITCHYARD_LOCAL: "true" })).mockEnabled).toBe(true)
    expect((await tableFrom({ SWITCHYARD_LOCAL: "true", MOCK_PROVIDER: "false" })).mockEnabled).toBe(false)
    expect((await tableFrom({ MOCK_PROVIDER: "true" })).resolve("mock/echo")?.provider).toBe("mock")
  })
})

describe("Routing.layer reloading its file", () => {
  const POLL_MS = 1_000
  /**
   * Waits until the poller has finished its check: its file read is real I/O, outside the test
   * clock, and once the check is done the poller sleeps until the next poll.
   */
  const readDone = Effect.gen(function* () {
    for (let i = 0; i < 1_000 && Chunk.isEmpty(yield* TestClock.sleeps()); i++)
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5)))
    expect(Chunk.isEmpty(yield* TestClock.sleeps())).toBe(false)
  })
  /** One poll interval on the test clock, and its check. */
  const poll = Effect.zipRight(TestClock.adjust(POLL_MS), readDone)

  it.scoped(
    "applies a change once two polls read the same text, so a half-written file is never served",
    () =>
      Effect.gen(function* () {
        const path = join(mkdtempSync(join(tmpdir(), "routing-")), "routing.yaml")
        writeFileSync(path, "aliases:\n  fast: gpt-4o-mini\n")
        const context = yield* Layer.build(Routing.layer).pipe(
          Effect.withConfigProvider(
            ConfigProvider.fromMap(
              new Map([
                ["SWITCHYARD_CONFIG", path],
                ["SWITCHYARD_CONFIG_POLL_MS", String(POLL_MS)]
              ])
            )
          )
        )
        const routing = Context.get(context, Routing.Routing)
        yield* readDone // the poller's first read, made as it starts
        const aliases = () => routing.current().aliases.map(([name]) => name)
        expect(aliases()).toEqual(["fast"])

        // Written in place: truncated first. An empty file is a valid config with no aliases.
        writeFileSync(path, "")
        yield* poll
        expect(aliases()).toEqual(["fast"])
        writeFileSync(path, "aliases:\n  fast: gpt-4o-mini\n  quick: gpt-4o\n")
        yield* poll
        expect(aliases()).toEqual(["fast"])
        yield* poll
        expect(aliases()).toEqual(["fast", "quick"])

        // A file that stays empty is what the operator meant: it applies on the second read.
        writeFileSync(path, "")
        yield* poll
        expect(aliases()).toEqual(["fast", "quick"])
        yield* poll
        expect(aliases()).toEqual([])
      })
  )
})

describe("deployments and fallbacks", async () => {
  const file = Either.getOrThrow(
    await parseRouting(
      "r.yaml",
      [
        "aliases:",
        "  smart:",
        "    deployments:",
        "      - { provider: openai, model: gpt-4o, weight: 3 }",
        "      - { provider: openai-compatible, model: gpt-4o }",
        "    fallbacks: [anthropic/claude-sonnet-4-5]",
        "fallbacks:",
        "  gpt-4o-mini: [smart]",
        "retry: { maxRetries: 1 }",
        "circuitBreaker: { cooldownMs: 5000 }"
      ].join("\n")
    )
  )

  it("groups an alias's deployments, then its fallbacks; a fallback brings its deployments, not its chain", () => {
    const t = table(file)
    expect(t.resolve("smart")).toEqual({ provider: "openai", upstreamModel: "gpt-4o" })
    expect(t.deployments("smart")).toEqual([
      [
        { provider: "openai", upstreamModel: "gpt-4o", id: "openai/gpt-4o", weight: 3 },
        { provider: "openai-compatible", upstreamModel: "gpt-4o", id: "openai-compatible/gpt-4o", weight: 1 }
      ],
      [
        {
          provider: "anthropic",
          upstreamModel: "claude-sonnet-4-5",
          id: "anthropic/claude-sonnet-4-5",
          weight: 1
        }
      ]
    ])
    expect(t.deployments("gpt-4o-mini")?.map((g) => g.map((d) => d.id))).toEqual([
      ["openai/gpt-4o-mini"],
      ["openai/gpt-4o", "openai-compatible/gpt-4o"]
    ])
    expect(t.deployments("claude-3-5-haiku")).toEqual([
      [
        {
          provider: "anthropic",
          upstreamModel: "claude-3-5-haiku",
          id: "anthropic/claude-3-5-haiku",
          weight: 1
        }
      ]
    ])
    expect(t.deployments("mystery")).toBeUndefined()
    expect(t.retry.maxRetries).toBe(1)
    expect(t.retry.retryOn).toEqual([429, 500, 502, 503, 504])
    expect(t.circuitBreaker).toEqual({ failureThreshold: 5, cooldownMs: 5000 })
  })

  it("refuses a fallback that names nothing routable", () => {
    const result = Effect.runSync(
      Effect.either(
        Routing.makeTable({
          file: { fallbacks: { "gpt-4o": ["nowhere"] } },
          mockEnabled: false,
          defaultModel: undefined,
          unknownModels: Routing.refuseUnknown
        })
      )
    )
    expect(Either.isLeft(result) && result.left.message).toContain('fallback "nowhere"')
  })

  it("names the bad field of a deployment", async () => {
    const bad = await parseRouting(
      "r.yaml",
      "aliases:\n  x:\n    deployments:\n      - { provider: openai, model: m, weight: -1 }\n"
    )
    expect(Either.isLeft(bad) && bad.left.message).toContain("weight")
  })
  it("reads a deployment's operator key from the named variable at load time", async () => {
    const dir = mkdtempSync(join(tmpdir(), "routing-"))
    const path = join(dir, "routing.yaml")
    writeFileSync(
      path,
      [
        "aliases:",
        "  team:",
        "    deployments:",
        "      - { provider: openai-compatible, model: m, credential: { env: TEAM_KEY, baseUrl: 'http://llm.test/v1/' } }",
        "      - { provider: openai, model: gpt-4o }",
        ""
      ].join("\n")
    )
    const loaded = await tableFrom({ SWITCHYARD_CONFIG: path, TEAM_KEY: "sk-team" })
    const [own, other] = loaded.deployments("team")![0]!
    expect(own!.id).toBe("openai-compatible/m@TEAM_KEY")
    expect(own!.credential?.env).toBe("TEAM_KEY")
    expect(own!.credential && Redacted.value(own!.credential.apiKey)).toBe("sk-team")
    expect(own!.credential?.baseUrl).toBe("http://llm.test/v1")
    expect(other!.credential).toBeUndefined()
    // A missing variable stops loading, naming it (so a reload keeps the previous table).
    await expect(tableFrom({ SWITCHYARD_CONFIG: path })).rejects.toThrow(/TEAM_KEY is not set/)
    await expect(tableFrom({ SWITCHYARD_CONFIG: path, TEAM_KEY: "" })).rejects.toThrow(/TEAM_KEY/)
  })

  it("refuses a deployment credential without an env name", async () => {
    const bad = await parseRouting(
      "r.yaml",
      "aliases:\n  x:\n    deployments:\n      - { provider: openai, model: m, credential: { baseUrl: u } }\n"
    )
    expect(Either.isLeft(bad) && bad.left.message).toContain("env")
  })

  describe("model names no rule matches", () => {
    const routed = (unknownModels: Routing.UnknownModels, defaultModel?: string, file = {}) =>
      Effect.runSync(Routing.makeTable({ file, mockEnabled: false, defaultModel, unknownModels }))

    it("go to OpenAI unchanged (seed 000's rule), deployments too", () => {
      const t = routed(Routing.routeUnknown)
      expect(t.resolve("llama-3")).toEqual({ provider: "openai", upstreamModel: "llama-3" })
      expect(t.resolve("meta-llama/Llama-3-8B")).toEqual({
        provider: "openai",
        upstreamModel: "meta-llama/Llama-3-8B"
      })
      expect(t.deployments("llama-3")?.[0]?.[0]).toMatchObject({
        provider: "openai",
        upstreamModel: "llama-3"
      })
      // Known names keep their rules; a disabled mock stays refused.
      expect(t.resolve("claude-sonnet-4-5")?.provider).toBe("anthropic")
      expect(t.resolve("mock/echo")).toBeUndefined()
    })

    it("go to AI_PROVIDER, else the configured default model's provider", () => {
      expect(routed({ _tag: "Route", provider: "openai-compatible" }).resolve("llama-3")).toEqual({
        provider: "openai-compatible",
        upstreamModel: "llama-3"
      })
      expect(routed(Routing.routeUnknown, "claude-sonnet-4-5").resolve("llama-3")?.provider).toBe("anthropic")
      expect(
        routed(Routing.routeUnknown, undefined, {
          defaultModel: "house",
          aliases: { house: "google/gemini-2.5-pro" }
        }).resolve("llama-3")?.provider
      ).toBe("google")
    })

    it("are refused with UNKNOWN_MODELS=refuse; the file's own names are never guessed", () => {
      expect(routed(Routing.refuseUnknown).resolve("llama-3")).toBeUndefined()
      expect(routed(Routing.refuseUnknown).deployments("llama-3")).toBeUndefined()
      const typo = Effect.runSync(
        Effect.either(
          Routing.makeTable({
            file: { fallbacks: { "gpt-4o": ["nowhere"] } },
            mockEnabled: false,
            defaultModel: undefined,
            unknownModels: Routing.routeUnknown
          })
        )
      )
      expect(Either.isLeft(typo)).toBe(true)
    })

    it("read from UNKNOWN_MODELS, AI_PROVIDER and AI_BASE_URL", () => {
      const read = (env: Record<string, string>) =>
        Effect.runSync(
          Effect.either(
            Effect.withConfigProvider(
              Routing.unknownModelsConfig,
              ConfigProvider.fromMap(new Map(Object.entries(env)))
            )
          )
        )
      expect(read({})).toEqual(Either.right(Routing.routeUnknown))
      expect(read({ UNKNOWN_MODELS: "refuse" })).toEqual(Either.right(Routing.refuseUnknown))
      expect(read({ AI_PROVIDER: "xai" })).toEqual(Either.right({ _tag: "Route", provider: "xai" }))
      expect(read({ AI_BASE_URL: "http://vllm:8000/v1" })).toEqual(
        Either.right({ _tag: "Route", provider: "openai-compatible" })
      )
      expect(Either.isLeft(read({ UNKNOWN_MODELS: "sometimes" }))).toBe(true)
      expect(Either.isLeft(read({ AI_PROVIDER: "nowhere" }))).toBe(true)
    })
  })

  it("seed 003's OPENAI_MODEL is the default model, on AI_PROVIDER", () => {
    const seedModel = (env: Record<string, string>, mock = false) =>
      Effect.runSync(
        Effect.withConfigProvider(
          Routing.seedModelConfig(mock),
          ConfigProvider.fromMap(new Map(Object.entries(env)))
        )
      )
    expect(seedModel({})).toBeUndefined()
    expect(seedModel({ OPENAI_MODEL: "gpt-4o" })).toBe("gpt-4o")
    expect(seedModel({ OPENAI_MODEL: "llama-3", AI_BASE_URL: "http://vllm/v1" })).toBe(
      "openai-compatible/llama-3"
    )
    expect(seedModel({ OPENAI_MODEL: "meta-llama/Llama-3", AI_PROVIDER: "openai-compatible" })).toBe(
      "openai-compatible/meta-llama/Llama-3"
    )
    expect(seedModel({ OPENAI_MODEL: "anthropic/claude-x", AI_PROVIDER: "openai-compatible" })).toBe(
      "anthropic/claude-x"
    )
    expect(seedModel({ AI_PROVIDER: "openai-compatible" })).toBe("openai-compatible/gpt-5-mini")
    expect(seedModel({ AI_PROVIDER: "openai-compatible" }, true)).toBeUndefined()
    const defaults = (seed: string | undefined, mockEnabled: boolean, file = {}) =>
      Effect.runSync(
        Routing.makeTable({
          file,
          mockEnabled,
          defaultModel: undefined,
          unknownModels: Routing.refuseUnknown,
          seedModel: seed
        })
      ).defaultModel
    expect(defaults(undefined, false)).toBe("gpt-5-mini")
    expect(defaults(undefined, true)).toBe("mock/echo")
    expect(defaults("openai-compatible/llama", true)).toBe("openai-compatible/llama")
    expect(
      defaults("openai-compatible/llama", false, { defaultModel: "fast", aliases: { fast: "gpt-4o" } })
    ).toBe("fast")
  })
})
