/**
 * axe-core (Deque's accessibility engine) run inside the page: labels, names, roles, contrast and
 * the rest of WCAG 2 A and AA that a machine can check.
 */

import * as fs from "node:fs"
import { createRequire } from "node:module"
import type { Page } from "playwright-core"

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8")

interface Violation {
  readonly id: string
  readonly impact: string | null
  readonly help: string
  readonly nodes: ReadonlyArray<{ readonly target: ReadonlyArray<unknown> }>
}

/** The WCAG 2 A/AA violations on the page now, one line each (empty when none). */
export const accessibilityViolations = async (page: Page): Promise<Array<string>> => {
  // Through the DevTools protocol: the page's own Content-Security-Policy rightly refuses inline scripts.
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(axeSource)
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<unknown> } }
    ).axe
    const result = (await axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] }
    })) as { violations: Array<Violation> }
    return result.violations
  })
  return violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => JSON.stringify(n.target)).join(", ")}`
  )
}
