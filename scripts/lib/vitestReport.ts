/**
 * Reads one workspace's vitest JSON report (`--reporter=json`) into the counts of the summary line.
 */
import * as fs from "node:fs"

/** Counts summed over workspaces. */
export interface Totals {
  passed: number
  failed: number
  skipped: number
}

/** The parts of vitest's (Jest-compatible) JSON report the summary needs. */
interface JsonReport {
  readonly success: boolean
  readonly numPassedTests: number
  readonly numFailedTests: number
  readonly numPendingTests: number
  readonly numTodoTests: number
  readonly testResults: ReadonlyArray<{
    readonly name: string
    readonly status: string
    readonly message: string
    readonly assertionResults: ReadonlyArray<{
      readonly status: string
      readonly fullName?: string
      readonly failureMessages?: ReadonlyArray<string>
    }>
  }>
}

/**
 * The counts in the report at `file`, or `undefined` when there is none. A test file that failed
 * without any failing test (it did not load, or a hook failed) counts as one failure, as does a
 * run that failed outside every file. `notes` names every failure with the first lines of its
 * message: CI shows only the tail of the output, so the summary must say what failed.
 */
export const readReport = (file: string): (Totals & { notes: ReadonlyArray<string> }) | undefined => {
  if (!fs.existsSync(file)) return undefined
  const report = JSON.parse(fs.readFileSync(file, "utf8")) as JsonReport
  const notes: Array<string> = []
  let failed = report.numFailedTests
  for (const result of report.testResults) {
    for (const test of result.assertionResults) {
      if (test.status !== "failed") continue
      const message = (test.failureMessages ?? []).join("\n").split("\n").slice(0, 6).join("\n    ")
      notes.push(`FAILED ${result.name} > ${test.fullName ?? "(unnamed)"}\n    ${message}`)
    }
    if (result.status === "failed" && !result.assertionResults.some((test) => test.status === "failed")) {
      failed += 1
      notes.push(`${result.name} failed outside its tests: ${result.message.split("\n")[0] ?? ""}`)
    }
  }
  if (!report.success && failed === 0) {
    failed += 1
    notes.push("the run failed outside any test file (an unhandled error?)")
  }
  return {
    passed: report.numPassedTests,
    failed,
    skipped: report.numPendingTests + report.numTodoTests,
    notes
  }
}
