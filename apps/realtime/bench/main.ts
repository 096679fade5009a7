/**
 * `bun run bench:realtime`: the realtime hub against a plain Socket.IO 4.8 server on Node (the
 * seed's stack: same events, no auth, Redis or limits), side by side in one run, on loopback.
 *
 * For each server: sockets held (RSS per 1 000), broadcast-to-delivery latency p50/p99 at a fixed
 * rate to single users and to one channel of many members, the most deliveries/s (to users) before
 * p99 passes 100 ms, and, for the hub, the same delivery latency across two instances sharing Redis
 * (posted to one, delivered by the other). This process is the only client: it opens the sockets,
 * posts the broadcasts and timestamps both ends with one clock.
 *
 * Sizes are settings (the machine is small and shared); every phase is bounded in count and time:
 *   BENCH_SOCKETS=10000  BENCH_USERS=1000  BENCH_RATE=1000  BENCH_CHANNEL=1000  BENCH_SECONDS=5
 *   BENCH_RAMP=1000,2000,4000,8000  BENCH_STEP_SECONDS=3
 *   BENCH_TARGETS=hub-bun,hub-node,reference,cluster   REDIS_URL (cluster; default 127.0.0.1:6379)
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { cpus, loadavg } from "node:os"
import { fileURLToPath } from "node:url"
import { SignJWT } from "jose"
import { io, type Socket } from "socket.io-client"

const env = (name: string, fallback: string) => process.env[name] ?? fallback
const SOCKETS = Number(env("BENCH_SOCKETS", "10000"))
const USERS = Number(env("BENCH_USERS", "1000"))
const RATE = Number(env("BENCH_RATE", "1000"))
const CHANNEL = Number(env("BENCH_CHANNEL", "1000"))
const SECONDS = Number(env("BENCH_SECONDS", "5"))
const RAMP = env("BENCH_RAMP", "1000,2000,4000,8000").split(",").map(Number)
const STEP_SECONDS = Number(env("BENCH_STEP_SECONDS", "3"))
const TARGETS = env("BENCH_TARGETS", "hub-bun,hub-node,reference,cluster").split(",")
const REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379")

const API_KEY = "bench-broadcast-key"
const JWT_SECRET = "bench-jwt-secret-0123456789abcdef0123456789"
const hubMain = fileURLToPath(new URL("../src/main.ts", import.meta.url))
const referenceMain = fileURLToPath(new URL("./reference.mjs", import.meta.url))

// ---- processes ------------------------------------------------------------------------------------

const children = new Set<ChildProcess>()
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL")
})
process.on("SIGINT", () => process.exit(130))

/** Starts a server and resolves with the URL it prints. */
const launch = (command: string, args: Array<string>, extra: Record<string, string>) =>
  new Promise<{ url: string; child: ChildProcess }>((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...extra }
    })
    children.add(child)
    let output = ""
    const timer = setTimeout(() => reject(new Error(`${command} did not start: ${output}`)), 60_000)
    child.stdout!.on("data", (data: Buffer) => {
      output += data.toString()
      const url = /listening on (\S+)/.exec(output)?.[1]
      if (url) {
        clearTimeout(timer)
        resolve({ url, child })
      }
    })
    child.stderr!.on("data", (data: Buffer) => {
      output += data.toString()
    })
    child.once("exit", (code) => {
      children.delete(child)
      clearTimeout(timer)
      reject(new Error(`${command} exited with ${code}: ${output}`))
    })
  })

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once("exit", () => resolve())
    child.kill("SIGTERM")
    setTimeout(() => child.kill("SIGKILL"), 10_000).unref()
  })

const hubEnv = (engine: "bun" | "node", redis?: string): Record<string, string> => ({
  PORT: "0",
  HOST: "127.0.0.1",
  REALTIME_EXIT_WITH_PARENT: "1",
  REALTIME_ENGINE: engine,
  LARAVEL_API_KEY: API_KEY,
  JWT_SECRET,
  REALTIME_MAX_CONNECTIONS_PER_IP: "1000000",
  REALTIME_CONNECTIONS_PER_MINUTE: "1000000",
  REALTIME_MAX_CONNECTIONS_PER_USER: "1000",
  REALTIME_MESSAGES_PER_MINUTE: "1000000",
  REALTIME_BROADCASTS_PER_MINUTE: "100000000",
  REALTIME_AUTH_GRACE_MS: "120000",
  ...(redis ? { REDIS_URL: redis, REALTIME_REDIS_PREFIX: `bench-${crypto.randomUUID().slice(0, 8)}` } : {})
})

// ---- sockets ----------------------------------------------------------------------------------------

const secret = new TextEncoder().encode(JWT_SECRET)
const tokens = new Map<number, string>()
const tokenFor = async (user: number, signed: boolean) => {
  if (!signed) return String(user)
  let token = tokens.get(user)
  if (token === undefined) {
    token = await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject(String(user)).sign(secret)
    tokens.set(user, token)
  }
  return token
}

/** Opens `count` sockets for users `first…`, `wave` at a time; resolves once every one is authenticated. */
const openSockets = async (url: string, count: number, signed: boolean, first = 0, wave = 250) => {
  const sockets: Array<Socket> = []
  for (let start = 0; start < count; start += wave) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(wave, count - start) }, async (_, i) => {
        const user = first + start + i
        const socket = io(url, {
          transports: ["websocket"],
          forceNew: true,
          reconnection: false,
          auth: { token: await tokenFor(user % USERS, signed) },
          timeout: 60_000
        })
        await new Promise<void>((resolve, reject) => {
          socket.once("authenticated", () => resolve())
          socket.once("connect_error", reject)
        })
        return socket
      })
    )
    sockets.push(...batch)
  }
  return sockets
}

const health = async (url: string) =>
  (await (await fetch(`${url}/health`)).json()) as {
    memory: { rss: number }
    connections: { active: number }
  }
const rssOf = async (url: string) => (await health(url)).memory.rss

/** Waits (up to a minute) until the server holds at most `count` sockets: closes take it a while. */
const settled = async (url: string, count: number) => {
  const deadline = performance.now() + 60_000
  while ((await health(url)).connections.active > count && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  await new Promise((resolve) => setTimeout(resolve, 1000))
}

// ---- latency ----------------------------------------------------------------------------------------

/** Records the latency of every `bench` event on the sockets. */
const listen = (sockets: ReadonlyArray<Socket>) => {
  const samples: Array<number> = []
  for (const socket of sockets) {
    socket.on("bench", (data: { t: number }) => samples.push(performance.now() - data.t))
  }
  return samples
}

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!

interface Run {
  readonly expected: number
  readonly delivered: number
  readonly p50: number
  readonly p99: number
  readonly max: number
  /** Broadcasts the driver could not start (too many in flight): the driver itself was saturated. */
  readonly skipped: number
  readonly failed: number
}

/**
 * Posts `perSecond` broadcasts a second for `seconds` to `postUrl` (bodies from `body`), each
 * expected to reach `fanout` sockets; waits (up to 3 s) for the deliveries still on their way.
 */
const drive = async (
  postUrl: string,
  perSecond: number,
  seconds: number,
  fanout: number,
  samples: Array<number>,
  body: (i: number) => Record<string, unknown>
): Promise<Run> => {
  samples.length = 0
  const total = Math.round(perSecond * seconds)
  let sent = 0
  let skipped = 0
  let failed = 0
  let inFlight = 0
  const started = performance.now()
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * perSecond))
      while (sent + skipped < due) {
        if (inFlight >= 512) {
          skipped += 1
          continue
        }
        const i = sent
        sent += 1
        inFlight += 1
        fetch(`${postUrl}/api/broadcast`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-websocket-api-key": API_KEY },
          body: JSON.stringify({ ...body(i), event: "bench", data: { t: performance.now(), i } })
        })
          .then((res) => {
            if (!res.ok) failed += 1
            return res.arrayBuffer()
          })
          .catch(() => {
            failed += 1
          })
          .finally(() => {
            inFlight -= 1
          })
      }
      if (sent + skipped >= total) {
        clearInterval(tick)
        resolve()
      }
    }, 5)
  })
  const expected = sent * fanout
  const deadline = performance.now() + 3000
  while ((samples.length < expected || inFlight > 0) && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const sorted = [...samples].sort((a, b) => a - b)
  return {
    expected,
    delivered: samples.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
    skipped,
    failed
  }
}

const ms = (n: number) => (Number.isNaN(n) ? "–" : n < 10 ? n.toFixed(2) : n.toFixed(1))
const lost = (run: Run) => run.expected - run.delivered + run.skipped * 1

// ---- one server ---------------------------------------------------------------------------------

interface ServerResult {
  readonly name: string
  readonly held?: { sockets: number; seconds: number; rssPer1000MiB: number; rssMiB: number }
  readonly users?: Run
  readonly channel?: Run
  readonly ramp?: Array<{ rate: number; run: Run }>
  readonly best?: number
}

const say = (line: string) => console.log(line)

const measureServer = async (name: string, url: string, signed: boolean): Promise<ServerResult> => {
  say(`\n== ${name} (${url})`)
  // Sockets held: every socket connected and authenticated, RSS before and after.
  const before = await rssOf(url)
  const t0 = performance.now()
  const all = await openSockets(url, SOCKETS, signed)
  const seconds = (performance.now() - t0) / 1000
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const after = await rssOf(url)
  const held = {
    sockets: all.length,
    seconds,
    rssMiB: after / 2 ** 20,
    rssPer1000MiB: ((after - before) / 2 ** 20 / all.length) * 1000
  }
  say(
    `held ${held.sockets} sockets in ${seconds.toFixed(1)} s; RSS ${held.rssMiB.toFixed(0)} MiB, ${held.rssPer1000MiB.toFixed(1)} MiB per 1 000`
  )
  // The latency phases use one socket per user; the rest are closed.
  for (const socket of all.slice(USERS)) socket.close()
  const sockets = all.slice(0, USERS)
  await settled(url, USERS)

  const samples = listen(sockets)
  // Warm-up, not counted: the client's connection pool and both sides' JIT.
  await drive(url, RATE, 2, 1, samples, (i) => ({ to: "user", user_id: i % USERS }))
  const users = await drive(url, RATE, SECONDS, 1, samples, (i) => ({ to: "user", user_id: i % USERS }))
  say(
    `users @ ${RATE}/s: p50 ${ms(users.p50)} ms, p99 ${ms(users.p99)} ms, delivered ${users.delivered}/${users.expected}`
  )

  const members = sockets.slice(0, CHANNEL)
  // A socket the server dropped (starved of CPU) is simply missing from the channel.
  const joined = await Promise.all(
    members.map((socket) =>
      socket.emitWithAck("subscribe", { channel: "bench-channel" }).then(
        () => true,
        () => false
      )
    )
  )
  say(`${joined.filter(Boolean).length} of ${members.length} sockets joined the channel`)
  const perSecond = RATE / members.length
  const channel = await drive(
    url,
    perSecond,
    Math.max(SECONDS, 1 / perSecond),
    members.length,
    samples,
    () => ({
      to: "channel",
      channel: "bench-channel"
    })
  )
  say(
    `channel of ${members.length} @ ${RATE} deliveries/s: p50 ${ms(channel.p50)} ms, p99 ${ms(channel.p99)} ms, delivered ${channel.delivered}/${channel.expected}`
  )

  const ramp: Array<{ rate: number; run: Run }> = []
  let best = 0
  for (const rate of RAMP) {
    const run = await drive(url, rate, STEP_SECONDS, 1, samples, (i) => ({ to: "user", user_id: i % USERS }))
    ramp.push({ rate, run })
    say(
      `ramp ${rate}/s: p50 ${ms(run.p50)} ms, p99 ${ms(run.p99)} ms, delivered ${run.delivered}/${run.expected}, skipped ${run.skipped}`
    )
    if (run.p99 > 100 || lost(run) > run.expected * 0.01) break
    best = rate
  }
  for (const socket of sockets) socket.close()
  return { name, held, users, channel, ramp, best }
}

/** Two hub instances on one Redis: sockets on B, broadcasts posted to A. */
const measureCluster = async (): Promise<ServerResult> => {
  const shared = hubEnv("bun", REDIS_URL)
  const prefix = `bench-${crypto.randomUUID().slice(0, 8)}`
  const a = await launch("bun", [hubMain], { ...shared, REALTIME_REDIS_PREFIX: prefix })
  const b = await launch("bun", [hubMain], { ...shared, REALTIME_REDIS_PREFIX: prefix })
  try {
    say(`\n== two hub instances over Redis (post to ${a.url}, sockets on ${b.url})`)
    const sockets = await openSockets(b.url, USERS, true)
    const samples = listen(sockets)
    await drive(a.url, RATE, 2, 1, samples, (i) => ({ to: "user", user_id: i % USERS }))
    const users = await drive(a.url, RATE, SECONDS, 1, samples, (i) => ({ to: "user", user_id: i % USERS }))
    say(
      `cross-instance users @ ${RATE}/s: p50 ${ms(users.p50)} ms, p99 ${ms(users.p99)} ms, delivered ${users.delivered}/${users.expected}`
    )
    for (const socket of sockets) socket.close()
    return { name: "hub ×2 over Redis (cross-instance)", users }
  } finally {
    await Promise.all([stop(a.child), stop(b.child)])
  }
}

// ---- run --------------------------------------------------------------------------------------------

const results: Array<ServerResult> = []
say(
  `bench:realtime — ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}; sockets ${SOCKETS}, users ${USERS}, rate ${RATE}/s, channel ${CHANNEL}, ${SECONDS} s per phase, ramp ${RAMP.join("/")} for ${STEP_SECONDS} s each`
)
for (const target of TARGETS) {
  if (target === "cluster") {
    results.push(await measureCluster())
    continue
  }
  const server =
    target === "reference"
      ? await launch("node", [referenceMain], { PORT: "0" })
      : await launch("bun", [hubMain], hubEnv(target === "hub-node" ? "node" : "bun"))
  try {
    const name =
      target === "reference"
        ? "reference: Socket.IO 4.8 on Node 20, no auth/Redis/limits"
        : target === "hub-node"
          ? "hub, Socket.IO's Node engine (under bun)"
          : "hub, @socket.io/bun-engine"
    results.push(await measureServer(name, server.url, target !== "reference"))
  } finally {
    await stop(server.child)
  }
}

const row = (cells: Array<string>) => `| ${cells.join(" | ")} |`
const lines = [
  `# bench:realtime, ${new Date().toISOString()}`,
  "",
  `${cpus().length} cores (shared; load average ${loadavg()[0]!.toFixed(1)} at the end), loopback. Sockets ${SOCKETS}, ${USERS} users, ${RATE} deliveries/s for ${SECONDS} s, channel of ${CHANNEL}, ramp ${RAMP.join("/")} deliveries/s × ${STEP_SECONDS} s.`,
  "",
  row([
    "server",
    "sockets held",
    "RSS per 1 000",
    "users p50 / p99 (ms)",
    "channel p50 / p99 (ms)",
    "max deliveries/s with p99 ≤ 100 ms"
  ]),
  row(["---", "---", "---", "---", "---", "---"]),
  ...results.map((r) =>
    row([
      r.name,
      r.held ? `${r.held.sockets} (${r.held.seconds.toFixed(1)} s)` : "–",
      r.held ? `${r.held.rssPer1000MiB.toFixed(1)} MiB` : "–",
      r.users ? `${ms(r.users.p50)} / ${ms(r.users.p99)} (${r.users.delivered}/${r.users.expected})` : "–",
      r.channel
        ? `${ms(r.channel.p50)} / ${ms(r.channel.p99)} (${r.channel.delivered}/${r.channel.expected})`
        : "–",
      r.best !== undefined ? `${r.best}${r.best === RAMP.at(-1) ? "+" : ""}` : "–"
    ])
  )
]
const report = lines.join("\n")
say(`\n${report}`)
const dir = fileURLToPath(new URL("../../../bench/results/", import.meta.url))
mkdirSync(dir, { recursive: true })
const file = `${dir}realtime-${new Date().toISOString().replace(/[:.]/g, "-")}.md`
writeFileSync(file, `${report}\n`)
say(`\nwritten to ${file}`)
process.exit(0)
