/**
 * `bun run bench:gateway`: what the gateway costs in latency and throughput, measured in one run
 * against the fake upstream directly and against Portkey's gateway. `--soak` runs the router for
 * a minute under load and reports its memory and errors; `--profile` records a CPU profile of the
 * router's hot path. See bench/README.md for the method.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { PURGE_DELAY_VARIABLE, purgeDelayFor } from "../../apps/router/src/Allocator.ts"
import { checkTarget } from "./Check.ts"
import { quantile, readGcLog } from "./GcLog.ts"
import {
  accountCpu,
  type CpuUse,
  describeIdleStates,
  describePreemption,
  idleStates,
  preemption,
  type Quiet,
  waitForQuiet
} from "./Machine.ts"
import {
  buildNodeScripts,
  type NodeScripts,
  setChunkDelay,
  startUpstream,
  type Upstream,
  type UpstreamStats,
  upstreamStats
} from "./NodeScripts.ts"
import { type Options, parseOptions, usage } from "./Options.ts"
import { describePlacement, type Placement, placeSelf, postgresCpus, resolvePlacement } from "./Placement.ts"
import { freePort, Processes, rssKiB } from "./Processes.ts"
import { profileTables, summarizeProfile } from "./Profile.ts"
import {
  type Cell,
  goals,
  goalsTable,
  loadTable,
  type Mode,
  modeNames,
  modeTitle,
  noiseNote,
  type PacedCell,
  pacedTable,
  type SoakResult,
  soakTable,
  summarize,
  type TtfbResult,
  ttfbTable,
  windowedGrowth
} from "./Report.ts"
import * as Switchyard from "./Switchyard.ts"
import { bare, direct, portkey, type Target, type TargetName, upstreamKeys } from "./Target.ts"
import { errorCount, requireWrk, runWrk, type WrkResult } from "./Wrk.ts"

/** The allocator setting the bare relay and Portkey run with: the bench's own (null: bun's default). */
const othersPurgeDelay = (): string | null => process.env[PURGE_DELAY_VARIABLE] || null

/** Which allocator setting each bun target ran with (the router's is `purgeDelayFor`'s). */
const allocatorLine = (): string => {
  const others = othersPurgeDelay()
  return `The router ran with ${PURGE_DELAY_VARIABLE}=${purgeDelayFor(process.env)}; the bare relay and Portkey with ${others ? `${PURGE_DELAY_VARIABLE}=${others}` : "bun's default"}.`
}

const repoRoot = fileURLToPath(new URL("../..", import.meta.url))
const resultsDir = join(repoRoot, "bench", "results")

/** Everything a task needs: the run's directories, processes, upstream and request bodies. */
interface Run {
  readonly options: Options
  readonly workDir: string
  readonly stamp: string
  readonly processes: Processes
  readonly scripts: NodeScripts
  readonly upstream: Upstream
  readonly bodyFiles: Record<Mode, string>
  readonly bodies: Record<Mode, string>
}

const log = (line: string) => process.stdout.write(`${line}\n`)

const requestBodies = (): Record<Mode, string> => {
  const messages = [
    { role: "system", content: "You are a helpful assistant." },
    { role: "user", content: "Say hello to the benchmark in a few words." }
  ]
  return {
    json: JSON.stringify({ model: "gpt-4o-mini", messages }),
    stream: JSON.stringify({
      model: "gpt-4o-mini",
      messages,
      stream: true,
      stream_options: { include_usage: true }
    }),
    // The fake upstream cuts each event of this one in two (see upstream/main.ts).
    "stream-split": JSON.stringify({
      model: "gpt-4o-mini",
      messages,
      stream: true,
      stream_options: { include_usage: true },
      user: "bench-split"
    })
  }
}

/** Where the processes run (`--proxy-cpus`); undefined: everywhere. Set once, before any starts. */
let placement: Placement | undefined

/** The CPUs PostgreSQL's backend may use, asked only when `--proxy-cpus` placed the rest. */
const postgresPlacement = async (): Promise<Array<number> | undefined> => {
  if (placement === undefined) return undefined
  try {
    return await postgresCpus(Switchyard.databaseFromEnv().url)
  } catch {
    return undefined
  }
}

/** The placement line of the soak's and `--gc`'s reports: only when `--proxy-cpus` was given. */
const placementNote = async (): Promise<string> =>
  placement === undefined ? "" : `\n${describePlacement(placement, await postgresPlacement())}`

const environment = async () => {
  const text = async (cmd: Array<string>) => {
    try {
      const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe", cwd: repoRoot })
      const [out, err] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text()
      ])
      await proc.exited
      return (out || err).trim().split("\n")[0] ?? ""
    } catch {
      return ""
    }
  }
  const cpu = (await Bun.file("/proc/cpuinfo").text()).match(/^model name\s*:\s*(.*)$/m)?.[1] ?? ""
  return {
    cpu,
    cores: navigator.hardwareConcurrency,
    /** 1, 5 and 15 minute load averages when the report was written: above ~0.5 means other work shared the CPU. */
    loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
    /** How idle CPUs wait: in a VM it sets how fast a sleeping thread wakes (Machine.ts). */
    idle: idleStates(),
    /** The kernel's preemption model: with `none`, a thread in the kernel is not preempted, whatever the priorities (Machine.ts). */
    preemption: preemption() ?? null,
    /** `MIMALLOC_PURGE_DELAY` of the router, and of the bare relay and Portkey (null: bun's default). */
    allocator: {
      router: purgeDelayFor(process.env),
      others: othersPurgeDelay()
    },
    bun: Bun.version,
    node: await text(["node", "--version"]),
    wrk: await text(["wrk", "--version"]),
    commit: await text(["git", "describe", "--always", "--dirty"]),
    /** `--proxy-cpus` (Placement.ts), and the CPUs PostgreSQL's backend may use when it runs here. */
    placement: {
      proxy: placement?.proxy ?? null,
      load: placement?.load ?? null,
      postgres: (await postgresPlacement()) ?? null
    }
  }
}

const describe = (r: WrkResult) =>
  `${Math.round(r.requestsPerSecond).toLocaleString("en-US")} req/s, p50 ${(r.latencyUs.p50 / 1000).toFixed(3)} ms, p99 ${(
    r.latencyUs.p99 / 1000
  ).toFixed(3)} ms, errors ${errorCount(r.errors)}`

const load = (
  run: Run,
  target: Target,
  mode: Mode,
  connections: number,
  durationSeconds: number,
  delayMs?: number
) =>
  runWrk(run.processes, {
    url: target.url,
    headers: target.headers,
    bodyFile: run.bodyFiles[mode],
    connections,
    durationSeconds,
    ...(delayMs === undefined ? {} : { delayMs })
  })

/**
 * Paced runs: every connection waits between an answer and its next request so that the offered
 * load is a fixed rate, well under what every target can serve: the latency then shows what a
 * proxy adds at that rate, not how it queues at saturation. Targets alternate at each rate.
 */
const paced = async (run: Run, targets: ReadonlyArray<Target>): Promise<Array<PacedCell>> => {
  const { options } = run
  const connections = options.pacedConnections
  const out: Array<PacedCell> = []
  let turn = 0
  for (const mode of options.pacedModes) {
    for (const rate of options.rates) {
      const delayMs = Math.max(1, Math.round((connections * 1000) / rate))
      const order = targets.map((_, i) => targets[(i + turn) % targets.length]!)
      turn++
      for (const target of order) {
        await quietMachine(run)
        const r = await load(run, target, mode, connections, options.durationSeconds, delayMs)
        out.push({ mode, rate, connections, target: target.name, run: r })
        log(
          `paced ${mode} ${rate} req/s (c${connections}, ${delayMs} ms apart) ${target.name}: ${describe(r)}`
        )
      }
    }
  }
  return out
}

/** Waits (within the options' limits) for other work to leave the CPU before a measurement. */
const quietMachine = (run: Run): Promise<Quiet> => {
  const { quietThreshold, quietWaitSeconds } = run.options
  if (quietWaitSeconds === 0) return Promise.resolve({ busy: Number.NaN, waitedMs: 0, quiet: true })
  return waitForQuiet(quietThreshold, quietWaitSeconds * 1000, (busy) =>
    log(
      `  waiting for the machine: other work uses ${Math.round(busy * 100)} % of the CPU (up to ${quietWaitSeconds} s)…`
    )
  )
}

/**
 * Measures one cell on a quiet machine: waits for other work to leave, runs wrk while accounting
 * CPU, and when other work came in during the run, measures again (up to `--retries` times),
 * keeping the least disturbed attempt.
 */
const measureCell = async (run: Run, target: Target, mode: Mode, connections: number) => {
  const { options } = run
  let best: { r: WrkResult; machine: Quiet; cpu: CpuUse } | undefined
  for (let attempt = 0; attempt <= options.retries; attempt++) {
    const machine = await quietMachine(run)
    const cpuDone = accountCpu(target.child?.pid ?? run.upstream.child.pid, [run.upstream.child.pid])
    const r = await load(run, target, mode, connections, options.durationSeconds)
    const cpu = cpuDone()
    if (best === undefined || cpu.others < best.cpu.others) best = { r, machine, cpu }
    if (machine.quiet && cpu.others < options.quietThreshold) break
    if (attempt < options.retries) {
      log(
        `  ${mode} c${connections} ${target.name}: other work took ${Math.round(cpu.others * 100)} % of the CPU during the run; measuring again`
      )
    }
  }
  return best!
}

/** Prepares the Switchyard deployment (database, key) and starts the router. */
const startSwitchyard = async (
  run: Run,
  bunFlags: ReadonlyArray<string> = [],
  routerEnv: Record<string, string> = {},
  prepared?: Switchyard.Deployment
) => {
  const database = Switchyard.databaseFromEnv()
  const options: Switchyard.SwitchyardOptions = {
    routerEntry: join(repoRoot, run.options.routerEntry),
    controlPlaneEntry: join(repoRoot, run.options.controlPlaneEntry),
    databaseUrl: database.url,
    recreateDatabase: database.recreate,
    upstreamUrl: run.upstream.url,
    workDir: run.workDir,
    bunFlags,
    routerEnv
  }
  if (prepared === undefined)
    log(
      `switchyard: database ${database.url}${database.recreate ? " (created fresh)" : ""}; creating a user and key`
    )
  const deployment = prepared ?? (await Switchyard.prepare(run.processes, options, await freePort()))
  const target = await Switchyard.startRouter(run.processes, options, deployment, await freePort())
  log(`switchyard: router pid ${target.child?.pid} on ${target.url}, key ${deployment.key.slice(0, 7)}…`)
  return { target, deployment }
}

const startTarget = async (run: Run, name: TargetName, deployment?: Switchyard.Deployment) => {
  switch (name) {
    case "direct":
      return { target: direct(run.upstream.url), deployment: undefined }
    case "bare":
      return { target: await bare(run.processes, await freePort(), run.upstream.url), deployment: undefined }
    case "portkey":
      return {
        target: await portkey(run.processes, await freePort(), run.upstream.url),
        deployment: undefined
      }
    case "switchyard":
      return startSwitchyard(run, [], {}, deployment)
    case "switchyard-main": {
      const started = await startSwitchyard(
        run,
        [],
        { SERVING_THREAD: "main", OPENAI_API_KEY: upstreamKeys["switchyard-main"] },
        deployment
      )
      return { ...started, target: { ...started.target, name: "switchyard-main" as const } }
    }
  }
}

const runTtfb = async (run: Run, targets: ReadonlyArray<Target>): Promise<Record<string, TtfbResult>> => {
  const inputPath = join(run.workDir, "ttfb-input.json")
  writeFileSync(
    inputPath,
    JSON.stringify({
      targets: targets.map((t) => ({ name: t.name, url: t.url, headers: t.headers })),
      body: run.bodies.stream,
      warmup: 20,
      samples: run.options.ttfbSamples
    })
  )
  await setChunkDelay(run.upstream, run.options.ttfbChunkDelayMs)
  try {
    const { stdout: out, stderr: err, code } = await run.processes.run(["node", run.scripts.ttfb, inputPath])
    if (code !== 0) throw new Error(`the time-to-first-chunk sampler failed (${code}):\n${err}`)
    return JSON.parse(out.trim().split("\n").at(-1)!) as Record<string, TtfbResult>
  } finally {
    await setChunkDelay(run.upstream, 0)
  }
}

const writeResults = (name: string, data: unknown): string => {
  mkdirSync(resultsDir, { recursive: true })
  const path = join(resultsDir, `${name}.json`)
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`)
  return path
}

/** Requests the upstream answered for one target's credential. */
const forwarded = (stats: UpstreamStats, name: TargetName) =>
  stats.credentials[`Bearer ${upstreamKeys[name]}`] ?? 0

const compare = async (run: Run): Promise<boolean> => {
  const { options } = run
  const started = new Map<TargetName, Awaited<ReturnType<typeof startTarget>>>()
  for (const name of options.targets) {
    // Both routers serve the same deployment (database, key): prepared once.
    const deployment = started.get("switchyard")?.deployment ?? started.get("switchyard-main")?.deployment
    started.set(name, await startTarget(run, name, deployment))
  }
  const targets = [...started.values()].map((s) => s.target)
  for (const target of targets) {
    await checkTarget(target, run.bodies, options.chunks)
    log(
      `${target.name}: answers correctly (JSON, both stream shapes${target.name === "switchyard" ? ", wrong key refused" : ""})`
    )
  }

  const cells: Array<Cell> = []
  let turn = 0
  for (const mode of options.modes) {
    if (options.warmupSeconds > 0) {
      for (const target of targets) {
        const r = await load(run, target, mode, 16, options.warmupSeconds)
        log(`warm-up ${mode} ${target.name}: ${describe(r)}`)
      }
    }
    for (let round = 0; round < options.rounds; round++) {
      for (const connections of options.connections) {
        // Alternate: every cell starts with a different target, so drift over the run is shared.
        const order = targets.map((_, i) => targets[(i + turn) % targets.length]!)
        turn++
        for (const target of order) {
          const { r, machine, cpu } = await measureCell(run, target, mode, connections)
          let cell = cells.find(
            (c) => c.mode === mode && c.connections === connections && c.target === target.name
          )
          if (cell === undefined) {
            cell = { mode, connections, target: target.name, runs: [], machine: [], cpu: [] }
            cells.push(cell)
          }
          cell.runs.push(r)
          cell.machine.push(machine)
          cell.cpu.push(cpu)
          const busy = !machine.quiet || cpu.others >= options.quietThreshold
          const cpuPerRequest = Math.round((cpu.measuredMs * 1000) / Math.max(1, r.requests))
          const postgresPerRequest = Math.round((cpu.postgresMs * 1000) / Math.max(1, r.requests))
          log(
            `${mode} c${connections} ${target.name}: ${describe(r)}, CPU ${cpuPerRequest} µs/req, PostgreSQL ${postgresPerRequest} µs/req${
              busy ? ` (other work: ${Math.round(cpu.others * 100)} % during)` : ""
            }`
          )
        }
      }
    }
  }

  const pacedCells = options.rates.length > 0 ? await paced(run, targets) : []

  let ttfb: Record<string, TtfbResult> | undefined
  if (options.modes.includes("stream") && options.ttfbSamples > 0) {
    log(`time to first chunk: ${options.ttfbSamples} sequential streamed requests per target…`)
    await quietMachine(run)
    ttfb = await runTtfb(run, targets)
  }

  // Stop the router so its ledger flushes, then count what it recorded.
  const stats = await upstreamStats(run.upstream)
  let accounting: { usageRows: number | undefined; outcomes: string; forwarded: number } | undefined
  const routers = (["switchyard", "switchyard-main"] as const).flatMap((name) => {
    const found = started.get(name)
    return found?.target.child !== undefined && found.deployment !== undefined
      ? [{ name, child: found.target.child, deployment: found.deployment }]
      : []
  })
  if (routers.length > 0) {
    for (const router of routers) await run.processes.stop(router.child, 15_000)
    accounting = {
      usageRows: await Switchyard.usageRows(routers[0]!.deployment.databaseUrl),
      outcomes: await Switchyard.usageOutcomes(routers[0]!.deployment.databaseUrl),
      forwarded: routers.reduce((sum, router) => sum + forwarded(stats, router.name), 0)
    }
  }

  const env = await environment()
  const header = `Gateway benchmark ${run.stamp} — ${env.cpu}, ${env.cores} cores, bun ${env.bun}, node ${env.node}, ${env.wrk.split(" [")[0]}, commit ${env.commit}, load average ${env.loadAverage.join(" / ")}, ${describeIdleStates(env.idle)}, ${describePreemption(env.preemption ?? undefined)}
${describePlacement(placement, env.placement.postgres ?? undefined)}
wrk -t1, ${options.durationSeconds} s per cell, ${options.warmupSeconds} s warm-up per target and mode, ${options.rounds} round(s) (medians), targets alternating; ${options.chunks} content chunks per stream; latencies in ms; "added" = minus direct at the same concurrency.
${allocatorLine()}`
  const sections = [header]
  for (const mode of options.modes) {
    sections.push(`### ${modeTitle(mode)}\n\n${loadTable(cells, mode, options.connections, options.targets)}`)
  }
  for (const mode of options.pacedModes) {
    if (!pacedCells.some((c) => c.mode === mode)) continue
    sections.push(
      `### Paced load, ${modeTitle(mode)}: ${options.pacedConnections} connections each pausing between requests to offer a fixed rate\n\n${pacedTable(pacedCells, mode)}`
    )
  }
  if (ttfb !== undefined) {
    sections.push(
      `### Streaming: time to first chunk (Node client, one request at a time, upstream pausing ${options.ttfbChunkDelayMs} ms between chunks)\n\n${ttfbTable(
        ttfb,
        options.targets
      )}`
    )
  }
  sections.push(noiseNote(cells, options.quietThreshold))
  const goalList = goals(cells, options.modes, options.connections)
  if (goalList.length > 0) sections.push(`### Goals (issue 22)\n\n${goalsTable(goalList)}`)
  if (accounting !== undefined) {
    sections.push(
      `Accounting check: the upstream answered ${accounting.forwarded} requests forwarded by Switchyard; its ledger holds ${
        accounting.usageRows ?? "no usage_events table:"
      } usage rows (${accounting.outcomes}; a client_abort may have been cut before it was forwarded).`
    )
  }
  const report = sections.join("\n\n")
  log(`\n${report}\n`)
  const path = writeResults(`gateway-${run.stamp}`, {
    kind: "compare",
    stamp: run.stamp,
    environment: env,
    options,
    cells: cells.map((c) => ({ ...c, summary: summarize(c) })),
    paced: pacedCells,
    ttfb,
    goals: goalList,
    upstream: stats,
    accounting,
    report
  })
  log(`results: ${path}`)
  const errors =
    cells.reduce((sum, c) => sum + summarize(c).errors, 0) +
    pacedCells.reduce((sum, c) => sum + errorCount(c.run.errors), 0)
  return errors === 0
}

const soak = async (run: Run): Promise<boolean> => {
  const { options } = run
  const { target, deployment } = await startSwitchyard(run)
  await checkTarget(target, run.bodies, options.chunks)
  const pid = target.child!.pid
  const boot = rssKiB(pid)
  const mixed = (connections: number, durationSeconds: number) =>
    runWrk(run.processes, {
      url: target.url,
      headers: target.headers,
      bodyFile: run.bodyFiles.json,
      altBodyFile: run.bodyFiles.stream,
      connections,
      durationSeconds
    })
  // Warm up at the soak's own concurrency: the heap grows to fit the load, and that is not a leak.
  if (options.soakWarmupSeconds > 0) {
    log(`warm-up: ${describe(await mixed(options.soakConnections, options.soakWarmupSeconds))}`)
  }
  const machine = await quietMachine(run)
  const start = rssKiB(pid)
  const before = forwarded(await upstreamStats(run.upstream), "switchyard")
  log(
    `soak: ${options.soakSeconds} s at ${options.soakConnections} connections, JSON and streaming alternating…`
  )
  const samples: Array<{ atSeconds: number; kib: number }> = [{ atSeconds: 0, kib: start }]
  const t0 = Date.now()
  const timer = setInterval(
    () => samples.push({ atSeconds: (Date.now() - t0) / 1000, kib: rssKiB(pid) }),
    1_000
  )
  let wrk: WrkResult
  try {
    wrk = await mixed(options.soakConnections, options.soakSeconds)
  } finally {
    clearInterval(timer)
  }
  const end = rssKiB(pid)
  samples.push({ atSeconds: (Date.now() - t0) / 1000, kib: end })
  const completions = forwarded(await upstreamStats(run.upstream), "switchyard") - before
  await run.processes.stop(target.child!, 15_000)
  const usageRows = await Switchyard.usageRows(deployment.databaseUrl)
  const result: SoakResult = {
    seconds: options.soakSeconds,
    connections: options.soakConnections,
    rssKiB: { boot, start, peak: Math.max(...samples.map((s) => s.kib)), end },
    rssSamplesKiB: samples,
    wrk,
    upstreamCompletions: completions
  }
  const { growth } = windowedGrowth(samples)
  const report = `### Soak: Switchyard router, ${options.soakSeconds} s, ${options.soakConnections} connections, JSON and streaming alternating

${allocatorLine()}${await placementNote()}

${soakTable(result)}

RSS (VmRSS of pid ${pid}, sampled every second): boot = after start-up, start = after ${options.soakWarmupSeconds} s warm-up at the same load, end = when the load stops. RSS growth = median of the last quarter's samples against the first quarter's: single samples land anywhere on the garbage collector's sawtooth.
Upstream answered ${completions} requests for the router during the soak; the ledger holds ${usageRows ?? "no usage_events table:"} usage rows in all.
${machine.quiet ? "Started on a quiet machine." : `Started while other work used ${Math.round(machine.busy * 100)} % of the CPU.`}
Goals: zero errors ${errorCount(wrk.errors) === 0 ? "met" : "**not met**"}; RSS growth under 10 % ${growth < 0.1 ? "met" : "**not met**"} (${(growth * 100).toFixed(1)} %).`
  log(`\n${report}\n`)
  const path = writeResults(`gateway-soak-${run.stamp}`, {
    kind: "soak",
    stamp: run.stamp,
    environment: await environment(),
    options,
    soak: result,
    usageRows,
    report
  })
  log(`results: ${path}`)
  return errorCount(wrk.errors) === 0 && growth < 0.1
}

const profile = async (run: Run): Promise<boolean> => {
  const { options } = run
  const profileDir = join(resultsDir, `router-profile-${run.stamp}`)
  mkdirSync(profileDir, { recursive: true })
  const { target } = await startSwitchyard(run, [
    "--cpu-prof",
    `--cpu-prof-dir=${profileDir}`,
    "--cpu-prof-interval=250"
  ])
  await checkTarget(target, run.bodies, options.chunks)
  if (options.warmupSeconds > 0)
    log(`warm-up: ${describe(await load(run, target, "json", 16, options.warmupSeconds))}`)
  for (const mode of options.modes) {
    await quietMachine(run)
    log(`profile ${mode} c16: ${describe(await load(run, target, mode, 16, options.profileSeconds))}`)
  }
  const code = await run.processes.stop(target.child!, 30_000)
  const files = readdirSync(profileDir).filter((f) => f.endsWith(".cpuprofile"))
  if (files.length === 0) {
    throw new Error(
      `the router wrote no .cpuprofile (exit ${code}); bun writes it on a clean exit, so the router must exit on SIGTERM`
    )
  }
  const summary = summarizeProfile(join(profileDir, files[0]!))
  const report = `### CPU profile of the router (bun --cpu-prof, ${options.profileSeconds} s per mode at 16 connections: ${options.modes.join(
    ", "
  )})\n\n${profileTables(summary)}`
  log(`\n${report}\n`)
  writeFileSync(join(profileDir, "summary.md"), `${report}\n`)
  log(`profile: ${profileDir}`)
  return true
}

/**
 * Bytes allocated per request and collection pauses, per thread of the router (each has a heap of
 * its own), with the serving thread and without: JavaScriptCore's own log, so the figures do not
 * depend on how busy the machine is (the pauses do, somewhat).
 */
const gcTask = async (run: Run): Promise<boolean> => {
  const { options } = run
  const rows: Array<string> = []
  for (const servingThread of options.gcThreads) {
    const { target } = await startSwitchyard(run, [], {
      SERVING_THREAD: servingThread,
      BUN_JSC_logGC: "1",
      BUN_GC_TIMER_DISABLE: "1"
    })
    const child = target.child!
    await checkTarget(target, run.bodies, options.chunks)
    if (options.warmupSeconds > 0)
      log(
        `warm-up (${servingThread}): ${describe(await load(run, target, "json", 16, options.warmupSeconds))}`
      )
    for (const mode of options.modes) {
      await quietMachine(run)
      const offset = readFileSync(child.logPath, "utf8").length
      const r = await load(run, target, mode, 16, options.profileSeconds)
      const full = readFileSync(child.logPath, "utf8")
      const heaps = readGcLog(full, full.slice(offset))
      log(`gc ${servingThread} ${mode} c16: ${describe(r)}`)
      for (const heap of heaps) {
        const thread =
          servingThread === "main" ? "the only thread" : heap.order === 0 ? "owning thread" : "serving thread"
        rows.push(
          `| ${servingThread} | ${modeTitle(mode)} | ${thread} | ${Math.round(r.requestsPerSecond).toLocaleString("en-US")} | ${heap.collections} (${heap.edenCollections} eden) | ${(heap.allocatedKb / Math.max(1, r.requests)).toFixed(1)} | ${quantile(heap.pausesMs, 0.5).toFixed(2)} / ${quantile(heap.pausesMs, 0.99).toFixed(2)} / ${Math.max(0, ...heap.pausesMs).toFixed(2)} | ${(heap.lastAfterKb / 1024).toFixed(0)} |`
        )
      }
    }
    await run.processes.stop(child, 30_000)
  }
  const report = `### Collections per thread (BUN_JSC_logGC, BUN_GC_TIMER_DISABLE=1), ${options.profileSeconds} s per mode at 16 connections

${allocatorLine()}${await placementNote()}

| SERVING_THREAD | mode | heap | req/s | collections | KB allocated / request | pause p50 / p99 / max ms | live heap after last MB |
|---|---|---|---:|---:|---:|---:|---:|
${rows.join("\n")}`
  log(`\n${report}\n`)
  const path = writeResults(`gateway-gc-${run.stamp}`, { kind: "gc", stamp: run.stamp, options, report })
  log(`results: ${path}`)
  return true
}

const main = async (): Promise<number> => {
  let options: Options | undefined
  try {
    options = parseOptions(Bun.argv.slice(2))
  } catch (error) {
    log(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`)
    return 2
  }
  if (options === undefined) {
    log(usage)
    return 0
  }
  try {
    requireWrk()
  } catch (error) {
    log(String(error instanceof Error ? error.message : error))
    return 1
  }
  if (Bun.which("node") === null) {
    log("node is not installed: the fake upstream and the sampler run under Node (20 or newer).")
    return 1
  }
  try {
    placement = resolvePlacement(options.proxyCpus, options.loadCpus)
    if (placement !== undefined) {
      if (Bun.which("taskset") === null) throw new Error("--proxy-cpus needs taskset (util-linux)")
      placeSelf(placement)
    }
  } catch (error) {
    log(error instanceof Error ? error.message : String(error))
    return 2
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, "-").replace(/Z$/, "")
  const workDir = mkdtempSync(join(tmpdir(), "switchyard-bench-"))
  const processes = new Processes(workDir, placement)
  log(`logs and scratch files: ${workDir}`)
  const [load1] = loadavg()
  if (load1! > 0.5) {
    log(
      `warning: load average ${load1!.toFixed(2)} before starting: other processes are using the CPU, so the figures will be noisy`
    )
  }
  try {
    const scripts = await buildNodeScripts(workDir)
    const upstream = await startUpstream(processes, scripts, await freePort(), options.chunks)
    const bodies = requestBodies()
    const bodyFiles = Object.fromEntries(
      modeNames.map((mode) => [mode, join(workDir, `body-${mode}.json`)])
    ) as Record<Mode, string>
    for (const mode of modeNames) writeFileSync(bodyFiles[mode], bodies[mode])
    const run: Run = { options, workDir, stamp, processes, scripts, upstream, bodyFiles, bodies }
    const ok =
      options.task === "soak"
        ? await soak(run)
        : options.task === "profile"
          ? await profile(run)
          : options.task === "gc"
            ? await gcTask(run)
            : await compare(run)
    return ok ? 0 : 1
  } catch (error) {
    log(`\nbench:gateway failed: ${error instanceof Error ? error.message : String(error)}`)
    log(`logs: ${workDir}`)
    return 1
  } finally {
    await processes.stopAll()
  }
}

process.exit(await main())
