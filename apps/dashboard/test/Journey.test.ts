/**
 * The whole journey in a real browser against a started stack (control plane, router, dashboard,
 * real PostgreSQL, a fake OpenAI upstream): sign up → onboarding creates the key (the copied value
 * works against the router) → a provider credential → calls through the router → analytics →
 * an RPM limit refuses calls and the error rate shows it → a disabled key is refused. Every page
 * is photographed at 1280 and 390 px into `apps/dashboard/screenshots/`.
 */

import * as os from "node:os"
import * as path from "node:path"
import type { Browser, BrowserContext, Page } from "playwright-core"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { hasChromium, launch, photograph } from "./Browser.ts"
import { type Stack, startStack } from "./Stack.ts"

if (!hasChromium) {
  console.warn(
    "dashboard browser tests: no Chromium at /usr/bin/chromium (apt-get install chromium), so they did not run."
  )
}

const PROVIDER_SECRET = "sk-user-journey-7f3c"

describe.skipIf(!hasChromium)("dashboard journey in Chromium", () => {
  let stack: Stack
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let key = ""
  const pageErrors: Array<string> = []

  const chat = (model: string, apiKey = key) =>
    fetch(`${stack.routerUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model, messages: [{ role: "user", content: "Hi" }] })
    })

  /** Calls until the router answers `status` (the router drops cached keys within a second). */
  const callUntil = async (status: number, attempts = 60) => {
    const seen: Array<number> = []
    for (let i = 0; i < attempts; i++) {
      const response = await chat("gpt-4o-mini")
      await response.body?.cancel()
      seen.push(response.status)
      if (response.status === status) return seen
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    throw new Error(`never answered ${status}; saw ${seen.join(", ")}`)
  }

  const go = async (hash: string) => {
    await page.goto(`${stack.dashboardUrl}/#${hash}`)
  }

  beforeAll(async () => {
    stack = await startStack()
    browser = await launch()
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: "reduce" })
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.dashboardUrl })
    page = await context.newPage()
    page.on("pageerror", (error) => pageErrors.push(error.message))
    if (process.env.DEBUG_DASHBOARD)
      page.on("console", (message) => console.log(`[browser] ${message.text()}`))
  })

  // What the page looked like when a step failed, for whoever reads the failure.
  afterEach(async (test) => {
    if (test.task.result?.state !== "fail" || page === undefined) return
    const file = path.join(
      os.tmpdir(),
      `dashboard-failure-${test.task.name.slice(0, 40).replace(/\W+/g, "-")}.png`
    )
    await page.screenshot({ path: file, fullPage: true }).catch(() => undefined)
    console.error(
      `dashboard journey: failed at ${page.url()}; screenshot ${file}\n${stack.logs().slice(-4000)}`
    )
  })

  afterAll(async () => {
    await browser?.close()
    await stack?.stop()
  })

  it("signs up, and the sign-in and sign-up pages are labelled and usable by keyboard", async () => {
    await go("/")
    await page.getByRole("heading", { name: "Sign in" }).waitFor()
    await photograph(page, "sign-in")
    // Keyboard only: tab from the email field reaches the password field.
    await page.getByLabel("Email").focus()
    await page.keyboard.press("Tab")
    expect(await page.evaluate(() => document.activeElement?.getAttribute("type"))).toBe("password")

    await page.getByRole("link", { name: "Create one" }).click()
    await page.getByRole("heading", { name: "Create your account" }).waitFor()
    await photograph(page, "sign-up")
    await page.getByLabel("Name").fill("Ada")
    await page.getByLabel("Email").fill(`ada-${crypto.randomUUID().slice(0, 8)}@example.com`)
    await page.getByLabel(/^Password/).fill("short")
    await page.getByRole("button", { name: "Create account" }).click()
    // The browser's own check refuses a short password before anything is sent.
    expect(
      await page.getByLabel(/^Password/).evaluate((input: HTMLInputElement) => input.validity.tooShort)
    ).toBe(true)
    await page.getByLabel(/^Password/).fill("correct-horse-battery-staple")
    await page.getByRole("button", { name: "Create account" }).click()
    await page.getByRole("heading", { name: "Welcome to Switchyard" }).waitFor()
  })

  it("onboarding creates the key, whose copied value works against the router, and makes a first call", async () => {
    await photograph(page, "onboarding")
    await page.getByRole("button", { name: "Create my API key" }).click()
    const shown = await page.getByTestId("full-key").textContent()
    await page.getByRole("button", { name: "Copy API key" }).click()
    key = await page.evaluate(() => navigator.clipboard.readText())
    expect(key).toMatch(/^ef_/)
    expect(key).toBe(shown)
    const direct = await chat("mock/echo")
    expect(direct.status).toBe(200)
    expect((await direct.json()).choices[0].message.content).toBe("Hi")

    await page.getByRole("button", { name: "Next: first call" }).click()
    await page.getByRole("button", { name: "Make my first call" }).click()
    await page.getByTestId("first-call-answer").filter({ hasText: "Hello from Switchyard" }).waitFor()
    await page.getByRole("button", { name: "Next", exact: true }).click()
    await page.getByRole("button", { name: "Go to the dashboard" }).click()
    await page.getByRole("heading", { name: "Analytics" }).waitFor()
  })

  it("API key page: masked after creation, never the full key", async () => {
    await go("/key")
    const masked = await page.getByTestId("masked-key").textContent()
    expect(masked).toContain(key.slice(-4))
    expect(await page.content()).not.toContain(key)
    await photograph(page, "api-key")
  })

  it("adds a provider credential, shows only its last four, and explains a bad one by field", async () => {
    await go("/providers")
    await page.getByLabel("Provider", { exact: true }).selectOption("openai-compatible")
    await page.getByLabel("API key").fill("local-token")
    await page.getByRole("button", { name: "Save credential" }).click()
    await page.getByText("baseUrl is required for provider openai-compatible").waitFor()

    await page.getByLabel("Provider", { exact: true }).selectOption("openai")
    await page.getByLabel("API key").fill(PROVIDER_SECRET)
    await page.getByRole("button", { name: "Save credential" }).click()
    await page.getByTestId("credential-openai").waitFor()
    expect(await page.getByTestId("credential-openai").textContent()).toContain(
      `…${PROVIDER_SECRET.slice(-4)}`
    )
    expect(await page.content()).not.toContain(PROVIDER_SECRET)
    await photograph(page, "providers")
  })

  it("calls through the router use the stored credential, and the analytics charts show them", async () => {
    for (let i = 0; i < 3; i++) {
      const response = await chat("gpt-4o-mini")
      expect(response.status).toBe(200)
      await response.json()
    }
    expect(stack.upstream.authorizations).toEqual(Array(3).fill(`Bearer ${PROVIDER_SECRET}`))

    await go("/analytics")
    // 1 echo from the test, 1 first call from onboarding, 3 to the fake upstream.
    await page.getByTestId("overview-requests-value").filter({ hasText: /^5$/ }).waitFor()
    await page.getByTestId("chart-requests").locator(".recharts-bar-rectangle path").first().waitFor()
    await page.getByTestId("chart-latency").locator(".recharts-bar-rectangle path").first().waitFor()
    await page.getByTestId("chart-cost").locator(".recharts-bar-rectangle path").first().waitFor()
    expect(await page.getByTestId("chart-cost").textContent()).toContain("openai/gpt-4o-mini")
    expect(await page.getByTestId("overview-error-rate-value").textContent()).toBe("0%")
    await photograph(page, "analytics")
  })

  it("an RPM limit: the API's message for a bad value, then calls are refused and the error rate shows it", async () => {
    await go("/key")
    await page.getByLabel("Requests per minute").fill("0")
    await page.getByRole("button", { name: "Save limits" }).click()
    const message = page.getByText(/Expected a positive number/)
    await message.waitFor()
    // The message belongs to the field (aria-describedby), so a screen reader reads it there.
    const described = await page.getByLabel("Requests per minute").getAttribute("aria-describedby")
    expect(described).toBeTruthy()

    await page.getByLabel("Requests per minute").fill("1")
    await page.getByRole("button", { name: "Save limits" }).click()
    await page.getByText("Limits saved.").waitFor()
    await callUntil(429)

    await go("/analytics")
    await page.getByTestId("chart-errors-status").getByText("429").first().waitFor()
    expect(await page.getByTestId("overview-error-rate-value").textContent()).not.toBe("0%")
    await photograph(page, "analytics-errors")
  })

  it("a disabled key is refused by the router", async () => {
    await go("/key")
    await page.getByLabel("Requests per minute").fill("")
    await page.getByRole("button", { name: "Save limits" }).click()
    await page.getByText("Limits saved.").waitFor()
    await page.getByLabel("Key enabled").click()
    await page.getByText("Disabled", { exact: true }).waitFor()
    await callUntil(401)
  })

  it("playground and the remaining pages render at both widths; signing out and in again", async () => {
    await page.getByLabel("Key enabled").click()
    await page.getByText("Enabled", { exact: true }).waitFor()
    await go("/playground")
    await page.getByRole("heading", { name: "Playground" }).waitFor()
    await page.getByLabel("Model").selectOption("mock/echo")
    await page.getByLabel("Message").fill("Stream this back to me")
    await page.getByRole("button", { name: "Send" }).click()
    await page.getByTestId("playground-answer").filter({ hasText: "Stream this back to me" }).waitFor()
    await page.getByTestId("playground-usage").waitFor()
    await photograph(page, "playground")

    await go("/live")
    await page.getByRole("heading", { name: "Live requests" }).waitFor()
    await photograph(page, "live")
    await go("/vibe")
    await page.getByRole("heading", { name: "Vibe apps" }).waitFor()
    await photograph(page, "vibe")

    await page.getByRole("button", { name: "Sign out" }).click()
    await page.getByRole("heading", { name: "Sign in" }).waitFor()
    await go("/key")
    await page.getByRole("heading", { name: "Sign in" }).waitFor()
    expect(pageErrors).toEqual([])
  })
})
