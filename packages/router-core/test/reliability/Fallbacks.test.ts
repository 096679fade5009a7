/**
 * The retry / fallback / breaker engine, driven by attempts whose answers the test scripts. Time
 * is manual: backoff, `Retry-After`, cooldowns and timeouts move only when the test advances the
 * clock. `FallbacksHttp.test.ts` runs the same engine against real HTTP servers.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Schema } from "effect"
import { PCGRandom } from "effect/Utils"
import * as CircuitBreaker from "../../src/reliability/CircuitBreaker.ts"
import * as Fallbacks from "../../src/reliability/Fallbacks.ts"
import * as RetryPolicy from "../../src/reliability/RetryPolicy.ts"
import * as Timers from "../../src/reliability/Timers.ts"

interface Deployment {
  readonly id: string
  readonly weight?: number
}

const A: Deployment = { id: "a" }
const B: Deployment = { id: "b" }

const policy = (fields: Partial<typeof RetryPolicy.RetryPolicy.Encoded> = {}) =>
  Schema.decodeSync(RetryPolicy.RetryPolicy)(fields)

const breakerConfig = (fields: Partial<typeof CircuitBreaker.CircuitBreakerConfig.Encoded>) =>
  Schema.decodeSync(CircuitBreaker.CircuitBreakerConfig)(fields)

type Script = (deployment: Deployment, call: number, signal: AbortSignal) => Response | Promise<Response>

const status = (code: number, headers: Record<string, string> = {}) =>
  new Response(`status ${code}`, { status: code, headers })

/**
 * A test bench: manual timers, a breaker on the same clock, a seeded random, and scripted
 * upstreams whose n-th call (per deployment) answers `script(deployment, n, signal)`.
 */
const bench = (
  script: Script,
  options: { breaker?: Partial<typeof CircuitBreaker.CircuitBreakerConfig.Encoded>; start?: number } = {}
) => {
  const timers = Timers.manual(options.start ?? 0)
  const breaker = CircuitBreaker.make(
    breakerConfig(options.breaker ?? { failureThreshold: 1000 }),
    timers.now
  )
  const random = new PCGRandom(42)
  const counts = new Map<string, number>()
  const log: Array<string> = []
  const attempt: Fallbacks.Attempt<Deployment> = async (deployment, { signal }) => {
    const n = (counts.get(deployment.id) ?? 0) + 1
    counts.set(deployment.id, n)
    log.push(deployment.id)
    return script(deployment, n, signal)
  }
  const send = (
    groups: ReadonlyArray<ReadonlyArray<Deployment>>,
    extra: Partial<Fallbacks.FallbackOptions<Deployment>> = {}
  ) =>
    Fallbacks.runWithFallbacks({ groups, attempt, breaker, timers, random: () => random.number(), ...extra })
  return { timers, breaker, send, log, count: (id: string) => counts.get(id) ?? 0 }
}

/** Lets pending promise callbacks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

describe("runWithFallbacks: retries", () => {
  it("a 429 with Retry-After is retried after exactly that delay, on the same deployment", async () => {
    const t = bench((_, n) => (n === 1 ? status(429, { "retry-after": "7" }) : status(200)))
    const pending = t.send([[A], [B]], { policy: policy() })
    await t.timers.advance(6999)
    expect(t.log).toEqual(["a"])
    await t.timers.advance(1)
    const answer = await pending
    expect(t.log).toEqual(["a", "a"])
    expect(answer.deployment).toBe(A)
    expect(answer.response.status).toBe(200)
    expect(answer.exhausted).toBe(false)
    expect(answer.attempts).toEqual([
      { deploymentId: "a", outcome: "retryable_status", status: 429 },
      { deploymentId: "a", outcome: "answered", status: 200 }
    ])
    answer.done()
    expect(t.timers.pending()).toBe(0)
  })

  it("Retry-After as an HTTP date, and OpenAI's retry-after-ms, are honoured too", async () => {
    const start = Date.UTC(2025, 5, 1, 12, 0, 0)
    const date = new Date(start + 20_000).toUTCString()
    const t = bench(
      (_, n) =>
        n === 1
          ? status(503, { "retry-after": date })
          : n === 2
            ? status(429, { "retry-after-ms": "1500" })
            : status(200),
      { start }
    )
    const pending = t.send([[A]], { policy: policy() })
    await t.timers.advance(19_999)
    expect(t.count("a")).toBe(1)
    await t.timers.advance(1)
    expect(t.count("a")).toBe(2)
    await t.timers.advance(1499)
    expect(t.count("a")).toBe(2)
    await t.timers.advance(1)
    expect((await pending).response.status).toBe(200)
  })

  it("without Retry-After the backoff is jittered exponential, capped", async () => {
    const t = bench(() => status(500))
    const pending = t.send([[A]], { policy: policy({ maxRetries: 4, baseDelayMs: 1000, maxDelayMs: 3000 }) })
    // Waits lie in [0.5, 1] × 1000, 2000, 3000 (4000 capped), 3000.
    const bounds: ReadonlyArray<readonly [number, number]> = [
      [500, 1000],
      [1000, 2000],
      [1500, 3000],
      [1500, 3000]
    ]
    const waits: Array<number> = []
    for (const [low, high] of bounds) {
      const before = t.count("a")
      await t.timers.advance(low - 1)
      expect(t.count("a")).toBe(before)
      let waited = low - 1
      while (t.count("a") === before && waited < high) {
        await t.timers.advance(1)
        waited++
      }
      expect(t.count("a")).toBe(before + 1)
      waits.push(waited)
    }
    // Jittered: not all the same multiple of the base.
    expect(new Set(waits.map((w, i) => w / [1000, 2000, 3000, 3000][i]!)).size).toBeGreaterThan(1)
    const answer = await pending
    // Nothing left to fall back to: the last upstream answer is passed on as is.
    expect(answer.exhausted).toBe(true)
    expect(answer.response.status).toBe(500)
    expect(t.count("a")).toBe(5)
  })

  it("only retryable statuses are retried: any other status is the answer", async () => {
    for (const code of [200, 201, 400, 401, 403, 404, 409, 422]) {
      const t = bench(() => status(code))
      const answer = await t.send([[A], [B]], { policy: policy() })
      expect(answer.response.status).toBe(code)
      expect(answer.deployment).toBe(A)
      expect(t.log).toEqual(["a"])
    }
  })

  it("429, 500, 502, 503, 504 and connection errors are retried, then fall back to the next group", async () => {
    const failures: ReadonlyArray<() => Response> = [
      () => status(429),
      () => status(500),
      () => status(502),
      () => status(503),
      () => status(504),
      () => {
        throw new TypeError("fetch failed")
      }
    ]
    for (const failure of failures) {
      const t = bench((deployment) => (deployment.id === "a" ? failure() : status(200)))
      const answer = await t.send([[A], [B]], { policy: policy({ maxRetries: 2, baseDelayMs: 0 }) })
      expect(answer.deployment).toBe(B)
      expect(answer.response.status).toBe(200)
      expect(t.log).toEqual(["a", "a", "a", "b"])
      expect(answer.attempts.at(-1)).toEqual({ deploymentId: "b", outcome: "answered", status: 200 })
    }
  })

  it("the retried statuses are configurable", async () => {
    const t = bench((deployment) => (deployment.id === "a" ? status(529) : status(200)))
    const answer = await t.send([[A], [B]], { policy: policy({ maxRetries: 0, retryOn: [529] }) })
    expect(answer.deployment).toBe(B)
    const plain = bench(() => status(500))
    expect((await plain.send([[A], [B]], { policy: policy({ retryOn: [529] }) })).response.status).toBe(500)
    expect(plain.log).toEqual(["a"])
  })

  it("a Retry-After longer than the cap falls back at once; with no fallback the 429 goes to the client", async () => {
    const t = bench((deployment) =>
      deployment.id === "a" ? status(429, { "retry-after": "3600" }) : status(200)
    )
    const answer = await t.send([[A], [B]], { policy: policy() })
    expect(answer.deployment).toBe(B)
    expect(t.log).toEqual(["a", "b"])

    const alone = await t.send([[A]], { policy: policy() })
    expect(alone.exhausted).toBe(true)
    expect(alone.response.status).toBe(429)
    expect(alone.response.headers.get("retry-after")).toBe("3600")
    expect(await alone.response.text()).toBe("status 429")
  })

  it("a failure the attempt marks non-retryable stops at once", async () => {
    const t = bench(() => {
      throw new Fallbacks.AttemptFailure({
        retryable: false,
        message: "cannot translate tools for this provider"
      })
    })
    const error = await t.send([[A], [B]], { policy: policy() }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Fallbacks.UpstreamUnavailable)
    expect(error).toMatchObject({ reason: "failed", message: "cannot translate tools for this provider" })
    expect(t.log).toEqual(["a"])
    expect(Fallbacks.toGatewayError(error as Fallbacks.UpstreamUnavailable).status).toBe(502)
  })
})

describe("runWithFallbacks: timeouts and cancellation", () => {
  const timeouts = { connectMs: 1000, firstByteMs: 5000, totalMs: 60_000 }

  it("a stalled first byte times out, aborts the attempt, and is retried", async () => {
    const aborted: Array<unknown> = []
    const t = bench((_, n, signal) =>
      n === 1
        ? new Promise<Response>((_, reject) =>
            signal.addEventListener("abort", () => {
              aborted.push(signal.reason)
              reject(signal.reason)
            })
          )
        : status(200)
    )
    const pending = t.send([[A]], { policy: policy({ baseDelayMs: 0 }), timeouts })
    await t.timers.advance(4999)
    expect(aborted).toHaveLength(0)
    await t.timers.advance(1)
    const answer = await pending
    expect(aborted).toHaveLength(1)
    expect(answer.attempts.map((a) => a.outcome)).toEqual(["timeout", "answered"])
  })

  it("an attempt that ignores its signal is still cut at the timeout; its late answer is discarded", async () => {
    let late: (response: Response) => void = () => {}
    const t = bench((deployment, n) =>
      deployment.id === "a" && n === 1
        ? new Promise<Response>((resolve) => {
            late = resolve
          })
        : status(200)
    )
    const pending = t.send([[A], [B]], { policy: policy({ maxRetries: 0 }), timeouts })
    await t.timers.advance(5000)
    const answer = await pending
    expect(answer.deployment).toBe(B)
    const stale = status(200)
    late(stale)
    await settle()
    expect(stale.bodyUsed || stale.body?.locked).toBeTruthy()
  })

  it("nothing within the total timeout: UpstreamUnavailable (504)", async () => {
    const t = bench(() => new Promise<Response>(() => {}))
    const pending = t.send([[A], [B]], {
      policy: policy({ baseDelayMs: 0 }),
      timeouts: { connectMs: 1000, firstByteMs: 4000, totalMs: 10_000 }
    })
    const outcome = pending.catch((e: unknown) => e)
    await t.timers.advance(10_000)
    const error = (await outcome) as Fallbacks.UpstreamUnavailable
    expect(error.reason).toBe("timeout")
    expect(Fallbacks.toGatewayError(error)).toMatchObject({ status: 504, type: "timeout_error" })
    // 4 s + 4 s on a, then the third attempt only had the 2 s left of the total.
    expect(error.attempts.map((a) => `${a.deploymentId}:${a.outcome}`)).toEqual([
      "a:timeout",
      "a:timeout",
      "a:timeout"
    ])
    expect(t.timers.pending()).toBe(0)
  })

  it("the total timeout also ends a body still streaming, unless done() was called", async () => {
    let signals: Array<AbortSignal> = []
    const t = bench((_, __, signal) => {
      signals.push(signal)
      return status(200)
    })
    const answer = await t.send([[A]], { timeouts })
    await t.timers.advance(59_999)
    expect(signals[0]!.aborted).toBe(false)
    await t.timers.advance(1)
    expect(signals[0]!.aborted).toBe(true)
    answer.done()

    signals = []
    const finished = await t.send([[A]], { timeouts })
    finished.done()
    await t.timers.advance(120_000)
    expect(signals[0]!.aborted).toBe(false)
  })

  it("the client going away stops retries and aborts the attempt in flight", async () => {
    const client = new AbortController()
    const seen: Array<AbortSignal> = []
    const t = bench((_, n, signal) => {
      seen.push(signal)
      return n === 1 ? status(503, { "retry-after": "5" }) : new Promise<Response>(() => {})
    })
    const outcome = t
      .send([[A], [B]], { policy: policy(), timeouts, signal: client.signal })
      .catch((e: unknown) => e)
    await t.timers.advance(5000)
    expect(seen).toHaveLength(2)
    client.abort()
    expect(await outcome).toMatchObject({ reason: "cancelled" })
    expect(seen[1]!.aborted).toBe(true)
    expect(t.log).toEqual(["a", "a"])

    // During a backoff wait too.
    const second = new AbortController()
    const retrying = bench(() => status(503, { "retry-after": "5" }))
    const waiting = retrying.send([[A]], { policy: policy(), signal: second.signal }).catch((e: unknown) => e)
    await retrying.timers.advance(1000)
    second.abort()
    expect(await waiting).toMatchObject({ reason: "cancelled" })
    await retrying.timers.advance(10_000)
    expect(retrying.log).toEqual(["a"])
  })
})

describe("runWithFallbacks: circuit breaker", () => {
  it("a deployment that keeps failing is cooled down, gets no traffic, then one probe decides", async () => {
    let aHealthy = false
    const t = bench((deployment) => (deployment.id === "a" && !aHealthy ? status(503) : status(200)), {
      breaker: { failureThreshold: 3, cooldownMs: 10_000 }
    })
    const send = () => t.send([[A], [B]], { policy: policy({ maxRetries: 3, baseDelayMs: 0 }) })

    // Three consecutive failures open the breaker during the first request's retries.
    expect((await send()).deployment).toBe(B)
    expect(t.count("a")).toBe(3)
    expect(t.breaker.state("a")).toMatchObject({ status: "open", consecutiveFailures: 3, openUntil: 10_000 })

    // Cooling down: no traffic at all.
    const skipped = await send()
    expect(skipped.deployment).toBe(B)
    expect(skipped.attempts[0]).toEqual({ deploymentId: "a", outcome: "cooling_down" })
    await t.timers.advance(9999)
    await send()
    expect(t.count("a")).toBe(3)

    // Cooldown over: exactly one probe, no retries on it; it fails, so a cools down again.
    await t.timers.advance(1)
    expect((await send()).deployment).toBe(B)
    expect(t.count("a")).toBe(4)
    await send()
    expect(t.count("a")).toBe(4)

    // The next probe succeeds: a answers and is back in rotation.
    aHealthy = true
    await t.timers.advance(10_000)
    expect((await send()).deployment).toBe(A)
    expect(t.breaker.state("a")).toEqual({ status: "closed", consecutiveFailures: 0 })
    expect((await send()).deployment).toBe(A)
    expect(t.count("a")).toBe(6)
  })

  it("while the probe is in flight, other requests skip the deployment", async () => {
    let phase: "failing" | "probing" | "healthy" = "failing"
    let releaseProbe: (response: Response) => void = () => {}
    const t = bench(
      (deployment) => {
        if (deployment.id === "b" || phase === "healthy") return status(200)
        if (phase === "failing") return status(500)
        return new Promise<Response>((resolve) => {
          releaseProbe = resolve
        })
      },
      { breaker: { failureThreshold: 1, cooldownMs: 30_000 } }
    )
    const send = () => t.send([[A], [B]], { policy: policy({ maxRetries: 0 }) })
    await send()
    await t.timers.advance(30_000)
    phase = "probing"
    const probe = send()
    await settle()
    expect(t.breaker.state("a").status).toBe("probing")
    const others = await Promise.all([send(), send(), send()])
    expect(others.map((answer) => answer.deployment.id)).toEqual(["b", "b", "b"])
    expect(t.count("a")).toBe(2)
    phase = "healthy"
    releaseProbe(status(200))
    expect((await probe).deployment).toBe(A)
    expect((await send()).deployment).toBe(A)
  })

  it("a probe whose client went away lets the next request probe", async () => {
    let fail = true
    const t = bench(
      (deployment) =>
        deployment.id === "b" ? status(200) : fail ? status(500) : new Promise<Response>(() => {}),
      { breaker: { failureThreshold: 1, cooldownMs: 30_000 } }
    )
    await t.send([[A], [B]], { policy: policy({ maxRetries: 0 }) })
    await t.timers.advance(30_000)
    fail = false
    const client = new AbortController()
    const probe = t
      .send([[A], [B]], { policy: policy({ maxRetries: 0 }), signal: client.signal })
      .catch((e) => e)
    await settle()
    expect(t.breaker.acquire("a")).toBe("blocked")
    client.abort()
    expect(await probe).toMatchObject({ reason: "cancelled" })
    expect(t.breaker.acquire("a")).toBe("probe")
  })

  it("every deployment cooling down: UpstreamUnavailable (503) without any traffic", async () => {
    const t = bench(
      () => {
        throw new TypeError("connect ECONNREFUSED")
      },
      { breaker: { failureThreshold: 1, cooldownMs: 30_000 } }
    )
    const send = () => t.send([[A, B]], { policy: policy({ maxRetries: 0 }) }).catch((e: unknown) => e)
    expect(await send()).toMatchObject({ reason: "connection_error" })
    const second = (await send()) as Fallbacks.UpstreamUnavailable
    expect(second.reason).toBe("cooling_down")
    expect(Fallbacks.toGatewayError(second).status).toBe(503)
    expect(t.log).toHaveLength(2)
  })
})

describe("runWithFallbacks: weights", () => {
  it("3:1 weights answer about 3:1 (seeded, so exactly reproducible)", async () => {
    const t = bench(() => status(200))
    const heavy = { id: "heavy", weight: 3 }
    const light = { id: "light", weight: 1 }
    for (let i = 0; i < 4000; i++) (await t.send([[heavy, light]])).done()
    expect(t.count("heavy") + t.count("light")).toBe(4000)
    expect(t.count("heavy")).toBeGreaterThan(2900)
    expect(t.count("heavy")).toBeLessThan(3100)
  })

  it("a failing deployment's share goes to the others of its group", async () => {
    const t = bench((deployment) => (deployment.id === "x" ? status(502) : status(200)))
    const group = [
      { id: "x", weight: 1 },
      { id: "y", weight: 1 }
    ]
    for (let i = 0; i < 200; i++) {
      const answer = await t.send([group], { policy: policy({ maxRetries: 0 }) })
      expect(answer.deployment.id).toBe("y")
    }
    expect(t.count("x")).toBeGreaterThan(70)
    expect(t.count("x")).toBeLessThan(130)
  })
})

describe("Fallbacks.run (Effect)", () => {
  it.effect("takes the breaker from the context and aborts the attempt on interruption", () =>
    Effect.gen(function* () {
      const signals: Array<AbortSignal> = []
      const fiber = yield* Effect.fork(
        Fallbacks.run({
          groups: [[A]],
          attempt: (_, { signal }) => {
            signals.push(signal)
            return new Promise<Response>(() => {})
          }
        })
      )
      while (signals.length === 0) yield* Effect.promise(settle)
      yield* Fiber.interrupt(fiber)
      expect(signals[0]!.aborted).toBe(true)
      const answer = yield* Fallbacks.run({ groups: [[B]], attempt: async () => status(202) })
      expect(answer.response.status).toBe(202)
      answer.done()
      const failed = yield* Effect.exit(
        Fallbacks.run({
          groups: [[A]],
          attempt: async () => {
            throw new Fallbacks.AttemptFailure({ retryable: false, message: "no" })
          }
        })
      )
      expect(Exit.isFailure(failed)).toBe(true)
    }).pipe(Effect.provide(CircuitBreaker.layer()))
  )
})
