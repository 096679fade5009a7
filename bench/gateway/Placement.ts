/**
 * Where the bench's processes run (`--proxy-cpus`). By default every process may run on every
 * CPU, so wrk, the fake upstream and PostgreSQL take their share of the proxy's CPUs: on two
 * vCPUs that sets issue 22's absolute latency figures (bench/README.md, eighteenth pass). On a
 * machine with cores to spare, `--proxy-cpus` gives the proxy under test CPUs of its own (each
 * target in turn: the router, the bare relay, Portkey) and puts the bench itself, wrk, the fake
 * upstream and the samplers on the others (`--load-cpus`, by default every other CPU the bench may use).
 *
 * PostgreSQL is a server the bench does not start, so it is not placed; the report says which
 * CPUs its backend may use and whether they overlap the proxy's (`taskset -a -p -c LIST <pid>` for
 * each PostgreSQL process places it, or a server on another host).
 */
import { readFileSync } from "node:fs"
import { SQL } from "bun"

/** The CPUs of each side, in ascending order. */
export interface Placement {
  readonly proxy: ReadonlyArray<number>
  readonly load: ReadonlyArray<number>
}

/** Reads a CPU list such as `0-1,3` (the kernel's and taskset's format); throws naming `what`. */
export const parseCpuList = (what: string, text: string): Array<number> => {
  const cpus = new Set<number>()
  for (const part of text.split(",").map((s) => s.trim())) {
    const range = part.match(/^(\d+)(?:-(\d+))?$/)
    const from = Number(range?.[1])
    const to = range?.[2] === undefined ? from : Number(range[2])
    if (range === null || to < from || to > 4095)
      throw new Error(`${what}: expected CPU numbers and ranges such as 2-3 or 1,3, got "${text}"`)
    for (let cpu = from; cpu <= to; cpu++) cpus.add(cpu)
  }
  return [...cpus].sort((a, b) => a - b)
}

/** Writes a CPU list the short way: `[0, 1, 2, 5]` → `0-2,5`. */
export const formatCpuList = (cpus: ReadonlyArray<number>): string => {
  const parts: Array<string> = []
  for (let i = 0; i < cpus.length; i++) {
    const start = cpus[i]!
    while (i + 1 < cpus.length && cpus[i + 1] === cpus[i]! + 1) i++
    parts.push(start === cpus[i] ? String(start) : `${start}-${cpus[i]}`)
  }
  return parts.join(",")
}

/**
 * The CPUs the bench may use: its own affinity (a container's cpuset may allow fewer than are
 * online), else those the kernel has online.
 */
export const availableCpus = (): Array<number> => {
  const own = cpusOf(process.pid)
  if (own !== undefined) return own
  try {
    return parseCpuList("online CPUs", readFileSync("/sys/devices/system/cpu/online", "utf8").trim())
  } catch {
    return Array.from({ length: navigator.hardwareConcurrency }, (_, i) => i)
  }
}

/**
 * The placement `--proxy-cpus` and `--load-cpus` ask for, checked against the CPUs the bench may
 * use; `undefined` when neither is given. Throws, naming the option, when a CPU is not available,
 * when the two sides overlap, or when either is empty.
 */
export const resolvePlacement = (
  proxyText: string | undefined,
  loadText: string | undefined,
  available: ReadonlyArray<number> = availableCpus()
): Placement | undefined => {
  if (proxyText === undefined) {
    if (loadText !== undefined) throw new Error("--load-cpus needs --proxy-cpus")
    return undefined
  }
  const proxy = parseCpuList("--proxy-cpus", proxyText)
  const load =
    loadText === undefined
      ? available.filter((cpu) => !proxy.includes(cpu))
      : parseCpuList("--load-cpus", loadText)
  for (const [name, cpus] of [
    ["--proxy-cpus", proxy],
    ["--load-cpus", load]
  ] as const) {
    const outside = cpus.find((cpu) => !available.includes(cpu))
    if (outside !== undefined)
      throw new Error(
        `${name}: CPU ${outside} is not available to the bench here (available: ${formatCpuList(available)})`
      )
  }
  if (load.length === 0)
    throw new Error(
      `--proxy-cpus ${formatCpuList(proxy)} leaves no CPU for wrk and the upstream (available: ${formatCpuList(available)})`
    )
  const shared = proxy.filter((cpu) => load.includes(cpu))
  if (shared.length > 0)
    throw new Error(`--proxy-cpus and --load-cpus share CPU ${formatCpuList(shared)}: give each side its own`)
  return { proxy, load }
}

/** A command that runs `cmd` on `cpus` only (taskset execs it: the pid stays the command's). */
export const onCpus = (cpus: ReadonlyArray<number>, cmd: ReadonlyArray<string>): Array<string> => [
  "taskset",
  "--cpu-list",
  formatCpuList(cpus),
  ...cmd
]

/**
 * Moves every thread of this process to the load CPUs, so that what it starts from now on (the
 * upstream, wrk, the samplers) runs there too.
 */
export const placeSelf = (placement: Placement): void => {
  const result = Bun.spawnSync(
    ["taskset", "--all-tasks", "--cpu-list", "--pid", formatCpuList(placement.load), String(process.pid)],
    { stdout: "ignore", stderr: "pipe" }
  )
  if (!result.success)
    throw new Error(
      `taskset could not place the bench on CPUs ${formatCpuList(placement.load)}: ${result.stderr.toString().trim()}`
    )
}

/** The CPUs a process of this machine may run on (`Cpus_allowed_list`), or undefined. */
export const cpusOf = (pid: number): Array<number> | undefined => {
  try {
    const line = readFileSync(`/proc/${pid}/status`, "utf8").match(/^Cpus_allowed_list:\s*(.+)$/m)?.[1]
    return line === undefined ? undefined : parseCpuList("Cpus_allowed_list", line.trim())
  } catch {
    return undefined
  }
}

/** Whether `pid` here is a PostgreSQL process (a server in a container or elsewhere has pids of its own). */
const isPostgres = (pid: number): boolean => {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").startsWith("postgres")
  } catch {
    return false
  }
}

/**
 * The CPUs the PostgreSQL backend serving `databaseUrl` may use, when that server runs on this
 * machine (its backend's pid is a PostgreSQL process in `/proc`); undefined for a server elsewhere
 * or one that does not answer within 3 s.
 */
export const postgresCpus = async (databaseUrl: string): Promise<Array<number> | undefined> => {
  const sql = new SQL(databaseUrl, { connectionTimeout: 3, max: 1 })
  try {
    const [row] = (await sql`SELECT pg_backend_pid() AS pid`) as Array<{ pid: number }>
    return row === undefined || !isPostgres(row.pid) ? undefined : cpusOf(row.pid)
  } catch {
    return undefined
  } finally {
    await sql.close()
  }
}

/** The placement as the report's header says it. */
export const describePlacement = (
  placement: Placement | undefined,
  postgres: ReadonlyArray<number> | undefined
): string => {
  if (placement === undefined) return "CPU placement: none (every process on every CPU)"
  const where =
    postgres === undefined
      ? "PostgreSQL not found on this machine"
      : `PostgreSQL on ${formatCpuList(postgres)}`
  const overlap = postgres?.filter((cpu) => placement.proxy.includes(cpu)) ?? []
  return `CPU placement: each proxy on ${formatCpuList(placement.proxy)}; the bench, wrk, the upstream and the samplers on ${formatCpuList(
    placement.load
  )}; ${where}${overlap.length > 0 ? ` (it shares the proxy's CPU ${formatCpuList(overlap)})` : ""}`
}
