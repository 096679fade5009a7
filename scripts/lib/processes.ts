/**
 * Child processes for the launcher: each app runs in its own process group (so a Ctrl-C in the
 * terminal reaches only the launcher, which then stops things in order), its output prefixed with
 * its name.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as readline from "node:readline"

/** A running app. */
export interface App {
  readonly name: string
  readonly process: ChildProcess
  /** Resolves with a description when the process ends. */
  readonly exited: Promise<string>
  /** Whether it has ended. */
  readonly hasExited: () => boolean
}

/** Starts `bun <entry>` in `cwd` with `env`, its output lines prefixed `[name]`. */
export const startApp = (
  name: string,
  entry: string,
  options: { readonly cwd: string; readonly env: NodeJS.ProcessEnv }
): App => {
  const child = spawn(process.execPath, [entry], {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"]
  })
  const prefix = `[${name}]`
  readline.createInterface({ input: child.stdout! }).on("line", (line) => console.log(`${prefix} ${line}`))
  readline.createInterface({ input: child.stderr! }).on("line", (line) => console.error(`${prefix} ${line}`))
  let ended = false
  const exited = new Promise<string>((resolve) => {
    child.once("error", (error) => {
      ended = true
      resolve(`could not be started (${error.message})`)
    })
    // "close", not "exit": the last lines of its output have been read by then.
    child.once("close", (code, signal) => {
      ended = true
      resolve(signal ? `was killed by ${signal}` : `exited with code ${code}`)
    })
  })
  return { name, process: child, exited, hasExited: () => ended }
}

/** Asks an app to stop; kills its whole process group if it has not stopped after `graceMs`. */
export const stopApp = async (app: App, graceMs: number): Promise<void> => {
  if (app.hasExited()) return
  app.process.kill("SIGTERM")
  let timer: ReturnType<typeof setTimeout> | undefined
  const stopped = await Promise.race([
    app.exited.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs)
    })
  ])
  clearTimeout(timer)
  if (!stopped) {
    console.error(`${app.name} did not stop within ${graceMs / 1000} s; killing it.`)
    killGroup(app, "SIGKILL")
    await app.exited
  }
}

/** Signals the app's process group (the app and anything it started). */
export const killGroup = (app: App, signal: NodeJS.Signals) => {
  if (app.process.pid === undefined || app.hasExited()) return
  try {
    process.kill(-app.process.pid, signal)
  } catch {
    // Already gone.
  }
}

/**
 * Polls `url` until it answers 2xx. Resolves `undefined` when healthy, or a description of the last
 * answer when `deadline` passes or `gaveUp()` turns true.
 */
export const waitHealthy = async (
  url: string,
  deadline: number,
  gaveUp: () => boolean
): Promise<string | undefined> => {
  let last = "no answer"
  while (!gaveUp()) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) })
      if (response.ok) return undefined
      last = `${response.status} ${(await response.text()).slice(0, 300)}`
    } catch (error) {
      last = error instanceof Error ? error.message : String(error)
    }
    if (Date.now() > deadline) return last
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  return last
}
