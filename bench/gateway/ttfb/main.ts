/**
 * Time-to-first-chunk sampler of the gateway benchmark, run under Node in a process of its own.
 *
 * wrk times a streamed request only to its last byte, so this client measures the first one:
 * sequential streaming requests (one at a time, no other load), round-robin over the targets so
 * each sees the same machine state, over a keep-alive connection per target. For each request
 * it records the time from sending it to the first body chunk (`ttfb`) and to the end (`total`),
 * and checks the answer (status 200, ends with `data: [DONE]`).
 *
 * Input: argv[2] is a JSON file `{ targets: [{ name, url, headers }], body, warmup, samples }`.
 * Output: one JSON line on stdout, per target `{ samples, errors, ttfbMs, totalMs }` with
 * p50/p90/p99/mean in milliseconds.
 */
import { readFileSync } from "node:fs"
import { Agent, request } from "node:http"

interface SamplerTarget {
  readonly name: string
  readonly url: string
  readonly headers: Record<string, string>
}

interface SamplerInput {
  readonly targets: ReadonlyArray<SamplerTarget>
  readonly body: string
  readonly warmup: number
  readonly samples: number
}

interface Sample {
  readonly ttfbMs: number
  readonly totalMs: number
}

const input = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as SamplerInput
const bodyBytes = Buffer.byteLength(input.body)

const once = (target: SamplerTarget, agent: Agent): Promise<Sample> =>
  new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    let first: bigint | undefined
    let text = ""
    const req = request(
      target.url,
      {
        method: "POST",
        agent,
        headers: { ...target.headers, "content-type": "application/json", "content-length": bodyBytes }
      },
      (res) => {
        res.setEncoding("utf8")
        res.on("data", (chunk: string) => {
          first ??= process.hrtime.bigint()
          text += chunk
        })
        res.on("end", () => {
          const ended = process.hrtime.bigint()
          if (res.statusCode !== 200 || !text.trimEnd().endsWith("data: [DONE]") || first === undefined) {
            reject(new Error(`${target.name}: status ${res.statusCode}, body ${text.slice(0, 200)}`))
            return
          }
          resolve({ ttfbMs: Number(first - started) / 1e6, totalMs: Number(ended - started) / 1e6 })
        })
      }
    )
    req.on("error", reject)
    req.end(input.body)
  })

const percentile = (sorted: ReadonlyArray<number>, p: number): number =>
  sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!

const summarize = (values: Array<number>) => {
  const sorted = values.slice().sort((a, b) => a - b)
  const mean = sorted.reduce((sum, v) => sum + v, 0) / Math.max(1, sorted.length)
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    mean
  }
}

const main = async () => {
  const agents = input.targets.map(() => new Agent({ keepAlive: true, maxSockets: 1 }))
  const samples = input.targets.map(() => [] as Array<Sample>)
  const errors = input.targets.map(() => [] as Array<string>)
  const rounds = input.warmup + input.samples
  for (let round = 0; round < rounds; round++) {
    // Rotate the order each round so no target always runs right after another.
    for (let k = 0; k < input.targets.length; k++) {
      const i = (round + k) % input.targets.length
      try {
        const sample = await once(input.targets[i]!, agents[i]!)
        if (round >= input.warmup) samples[i]!.push(sample)
      } catch (error) {
        if (errors[i]!.length < 5) errors[i]!.push(String(error))
        else errors[i]!.push("")
      }
    }
  }
  for (const agent of agents) agent.destroy()
  const result = Object.fromEntries(
    input.targets.map((target, i) => [
      target.name,
      {
        samples: samples[i]!.length,
        errors: errors[i]!.length,
        firstErrors: errors[i]!.filter((e) => e !== ""),
        ttfbMs: summarize(samples[i]!.map((s) => s.ttfbMs)),
        totalMs: summarize(samples[i]!.map((s) => s.totalMs))
      }
    ])
  )
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

void main()
