/**
 * How busy the machine is with work that is not the benchmark's. Before each measurement the
 * bench's own processes are idle, so the CPU time used in the next second is someone else's
 * (tests, builds): on a shared machine, waiting for it to pass keeps it out of the figures.
 */
import { readdirSync, readFileSync } from "node:fs"
import { release } from "node:os"
import { gunzipSync } from "node:zlib"

const cpuTimes = (): { readonly idle: number; readonly total: number } => {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!
  const fields = line.trim().split(/\s+/).slice(1).map(Number)
  // user nice system idle iowait irq softirq steal …: idle + iowait is time nobody ran.
  const idle = fields[3]! + (fields[4] ?? 0)
  return { idle, total: fields.reduce((sum, n) => sum + n, 0) }
}

/** The share of all cores busy over the next `windowMs` (0 to 1). */
export const busyShare = async (windowMs = 1_000): Promise<number> => {
  const before = cpuTimes()
  await Bun.sleep(windowMs)
  const after = cpuTimes()
  const total = after.total - before.total
  return total <= 0 ? 0 : 1 - (after.idle - before.idle) / total
}

/** What `waitForQuiet` saw. */
export interface Quiet {
  /** The busy share of the last check (0 to 1). */
  readonly busy: number
  readonly waitedMs: number
  /** False when the machine stayed busy until `maxWaitMs`. */
  readonly quiet: boolean
}

/**
 * Waits until other work uses less than `threshold` of the machine for a second, or until
 * `maxWaitMs` has passed (then measures anyway and says so).
 */
export const waitForQuiet = async (
  threshold: number,
  maxWaitMs: number,
  onWait: (busy: number) => void
): Promise<Quiet> => {
  const started = Date.now()
  let warned = false
  for (;;) {
    const busy = await busyShare()
    const waitedMs = Date.now() - started
    if (busy < threshold) return { busy, waitedMs, quiet: true }
    if (waitedMs >= maxWaitMs) return { busy, waitedMs, quiet: false }
    if (!warned) {
      onWait(busy)
      warned = true
    }
    await Bun.sleep(1_000)
  }
}

/**
 * User + system CPU ticks of a process (`/proc/<pid>/stat`; a tick is 10 ms, USER_HZ being 100 on
 * Linux), with its reaped children's when asked.
 */
const processTicks = (pid: number | "self", withChildren = false): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // Fields after the command name, which may itself contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    const own = Number(fields[11]) + Number(fields[12])
    return withChildren ? own + Number(fields[13]) + Number(fields[14]) : own
  } catch {
    return 0
  }
}

/** PostgreSQL's processes: the ledger's writes are the router's cost, not other work. */
const postgresPids = (): Array<number> =>
  readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "postgres"
      } catch {
        return false
      }
    })

interface Snapshot {
  readonly machine: { readonly idle: number; readonly total: number }
  readonly own: number
  readonly perPid: Map<number, number>
  readonly postgres: ReadonlyArray<number>
}

/** CPU use over one measurement, split between the bench and everything else. */
export interface CpuUse {
  /** Share of all cores busy (0 to 1). */
  readonly busy: number
  /** Share used by the bench: itself and wrk, the upstream, the target, PostgreSQL. */
  readonly bench: number
  /** Share used by other work. */
  readonly others: number
  /** CPU milliseconds used by the measured process (the proxy, or the upstream for `direct`). */
  readonly measuredMs: number
  /** CPU milliseconds used by PostgreSQL's processes (the router's ledger writes; none for others). */
  readonly postgresMs: number
}

/**
 * Starts accounting CPU time: call the result when the measurement ends. `pids` are the
 * long-running processes of the bench (the upstream, the proxy); the bench's own process counts
 * with its reaped children (wrk), and PostgreSQL's processes count as the bench's.
 */
export const accountCpu = (measured: number, pids: ReadonlyArray<number>): (() => CpuUse) => {
  const take = (): Snapshot => {
    const perPid = new Map<number, number>()
    const postgres = postgresPids()
    for (const pid of [measured, ...pids, ...postgres]) perPid.set(pid, processTicks(pid))
    return { machine: cpuTimes(), own: processTicks("self", true), perPid, postgres }
  }
  const before = take()
  return () => {
    const after = take()
    const total = after.machine.total - before.machine.total
    const measuredMs = ((after.perPid.get(measured) ?? 0) - (before.perPid.get(measured) ?? 0)) * 10
    // A backend that ended during the measurement is not counted: the router's pool keeps its own.
    let postgresTicks = 0
    for (const pid of after.postgres)
      postgresTicks += (after.perPid.get(pid) ?? 0) - (before.perPid.get(pid) ?? 0)
    const postgresMs = postgresTicks * 10
    if (total <= 0) return { busy: 0, bench: 0, others: 0, measuredMs, postgresMs }
    const busyTicks = total - (after.machine.idle - before.machine.idle)
    let benchTicks = after.own - before.own
    for (const [pid, ticks] of after.perPid) benchTicks += ticks - (before.perPid.get(pid) ?? 0)
    const busy = busyTicks / total
    const bench = Math.min(busy, benchTicks / total)
    return { busy, bench, others: Math.max(0, busy - bench), measuredMs, postgresMs }
  }
}

/** How the machine's idle CPUs wait for work (Linux `cpuidle`), where the kernel says. */
export interface IdleStates {
  /** The cpuidle driver: `haltpoll` in a KVM guest, `intel_idle`, `acpi_idle`… */
  readonly driver?: string
  /** With `haltpoll`: how long a vCPU polls before it halts, in ns (0: it halts at once). */
  readonly haltPollNs?: number
}

const firstLine = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8").trim() || undefined
  } catch {
    return undefined
  }
}

/**
 * Reads the idle states. In a VM, a vCPU that halts at once must be woken through the hypervisor,
 * which slows every hand-off between threads while the machine is not saturated: with polling
 * allowed (200 µs), each proxy here served 1.3–2.3 times as many requests a second at one
 * connection, while the router and Portkey at 16 connections did not change beyond the noise
 * (bench/README.md, sixteenth pass). One-connection figures only compare between machines that
 * wait the same way.
 */
export const idleStates = (): IdleStates => {
  const driver = firstLine("/sys/devices/system/cpu/cpuidle/current_driver")
  const poll =
    driver === "haltpoll" ? firstLine("/sys/module/haltpoll/parameters/guest_halt_poll_ns") : undefined
  return {
    ...(driver === undefined ? {} : { driver }),
    ...(poll === undefined || !Number.isFinite(Number(poll)) ? {} : { haltPollNs: Number(poll) })
  }
}

/** The idle states as the report's header says them. */
export const describeIdleStates = (idle: IdleStates): string =>
  idle.driver === undefined
    ? "cpuidle unknown"
    : idle.haltPollNs === undefined
      ? `cpuidle ${idle.driver}`
      : `cpuidle ${idle.driver}, guest_halt_poll_ns ${idle.haltPollNs}${idle.haltPollNs === 0 ? " (idle vCPUs halt at once: one-connection figures are wake-up bound)" : ""}`

/**
 * The kernel's preemption model (`none`, `voluntary`, `full`, `lazy`, `rt`) and where it was read:
 * the scheduler's debugfs file when it can be read, else `preempt=` on the boot command line, else
 * the kernel's build configuration (with dynamic preemption, its choice is the default). With
 * `none`, a thread inside the kernel (a PostgreSQL backend reading a batch from its socket,
 * writing WAL, faulting pages in) keeps its CPU until it leaves or yields, whatever the priorities:
 * this may be why the ledger's bursts reach the router's tail even with PostgreSQL at nice 19
 * (bench/README.md, seventeenth pass; the link is not measured).
 */
export const preemption = (): { readonly model: string; readonly source: string } | undefined => {
  const debugfs = firstLine("/sys/kernel/debug/sched/preempt")?.match(/\((\w+)\)/)?.[1]
  if (debugfs !== undefined) return { model: debugfs, source: "debugfs" }
  const cmdline = firstLine("/proc/cmdline")?.match(/(?:^|\s)preempt=(\w+)/)?.[1]
  if (cmdline !== undefined) return { model: cmdline, source: "boot command line" }
  const config = kernelConfig()
  if (config === undefined) return undefined
  const chosen = [
    ["CONFIG_PREEMPT_RT", "rt"],
    ["CONFIG_PREEMPT_NONE", "none"],
    ["CONFIG_PREEMPT_VOLUNTARY", "voluntary"],
    ["CONFIG_PREEMPT", "full"],
    ["CONFIG_PREEMPT_LAZY", "lazy"]
  ].find(([option]) => new RegExp(`^${option}=y$`, "m").test(config))
  return chosen === undefined ? undefined : { model: chosen[1]!, source: "kernel config" }
}

/** The running kernel's build configuration, from `/proc/config.gz` or `/boot`. */
const kernelConfig = (): string | undefined => {
  try {
    return gunzipSync(readFileSync("/proc/config.gz")).toString("utf8")
  } catch {
    try {
      return readFileSync(`/boot/config-${release()}`, "utf8")
    } catch {
      return undefined
    }
  }
}

/** The preemption model as the report's header says it. */
export const describePreemption = (found: ReturnType<typeof preemption>): string =>
  found === undefined
    ? "kernel preemption unknown"
    : `kernel preemption ${found.model} (${found.source})${found.model === "none" ? ": a thread in the kernel keeps its CPU until it yields" : ""}`
