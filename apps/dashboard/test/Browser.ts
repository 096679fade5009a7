/**
 * Debian's Chromium driven by playwright-core (Playwright's own browser download cannot be
 * reached here), and the screenshots a reviewer opens in `apps/dashboard/screenshots/`.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { type Browser, chromium, type Page } from "playwright-core"

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"

/** Whether a Chromium is installed where the tests look. */
export const hasChromium = fs.existsSync(CHROMIUM)

export const launch = (): Promise<Browser> =>
  chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] })

export const SCREENSHOTS = path.resolve(import.meta.dirname, "../screenshots")

/** The two widths every page is checked and photographed at. */
export const WIDTHS = [
  { name: "1280", width: 1280, height: 800 },
  { name: "390", width: 390, height: 844 }
] as const

/**
 * Screenshots the current page at both widths (`<name>-1280.png`, `<name>-390.png`), checking
 * at each that nothing is wider than the window (no sideways scrolling on a phone).
 */
export const photograph = async (page: Page, name: string) => {
  fs.mkdirSync(SCREENSHOTS, { recursive: true })
  const original = page.viewportSize()
  // No chart tooltip or hover state from the last click in the picture.
  await page.mouse.move(0, 0)
  for (const size of WIDTHS) {
    await page.setViewportSize({ width: size.width, height: size.height })
    // Charts and media queries follow the new width a few frames later (ResizeObserver, effects).
    await page
      .waitForFunction(() => document.documentElement.scrollWidth - window.innerWidth <= 1, undefined, {
        timeout: 5_000
      })
      .catch(() => undefined)
    const overflow = await page.evaluate(() => {
      const excess = document.documentElement.scrollWidth - window.innerWidth
      if (excess <= 1) return undefined
      // Name the widest element past the right edge, so the failure says what to fix.
      const culprit = [...document.querySelectorAll("body *")]
        .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 1)
        .sort((a, b) => b.getBoundingClientRect().width - a.getBoundingClientRect().width)[0]
      return `${excess} px wider than the window (${culprit?.tagName.toLowerCase()}.${culprit?.className})`
    })
    if (overflow !== undefined) throw new Error(`${name} at ${size.width} px is ${overflow}`)
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${size.name}.png`), fullPage: true })
  }
  if (original) await page.setViewportSize(original)
}
