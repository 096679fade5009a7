/**
 * The whole journey in a real browser against a started stack (control plane, router, dashboard,
 * realtime hub, real PostgreSQL, a fake OpenAI upstream): sign up → onboarding creates the key (the
 * copied value works against the router) → a provider credential → calls through the router → the
 * live table shows each → analytics →
 * an RPM limit refuses calls and the error rate shows it → a disabled key is refused. Every page
 * is photographed at 1280 and 390 px into `apps/dashboard/screenshots/`.
 */

import * as os from "node:os"
import * as path from "node:path"
import pg from "pg"
import type { Browser, BrowserContext, Page } from "playwright-core"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { accessibilityViolations } from "./Accessibility.ts"
import { hasChromium, launch, photograph } from "./Browser.ts"
import { type Stack, startStack } from "./Stack.ts"

if (!hasChromium) {
  console.warn(
    "dashboard browser tests: no Chromium at /usr/bin/chromium (apt-get install chromium), so they did not run."
  )
}

const PROVIDER_SECRET = "sk-user-journey-7f3c"
const PASSWORD = "correct-horse-battery-staple"
const email = `ada-${crypto.randomUUID().slice(0, 8)}@example.com`

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

  /**
   * Calls until the router answers `status`. The router hears of a change within a second; the
   * deadline is far longer because CI runs this beside every other suite on two cores.
   */
  const callUntil = async (status: number, model = "gpt-4o-mini", apiKey = key, withinMs = 30_000) => {
    const seen: Array<number> = []
    const deadline = Date.now() + withinMs
    while (Date.now() < deadline) {
      const response = await chat(model, apiKey)
      await response.body?.cancel()
      seen.push(response.status)
      if (response.status === status) return seen
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    throw new Error(`never answered ${status}; saw ${seen.join(", ")}`)
  }

  /** Photographs the page at both widths, after checking it with axe at 1280 px. */
  const checkAndPhotograph = async (name: string) => {
    expect(await accessibilityViolations(page), `${name}: accessibility`).toEqual([])
    await photograph(page, name)
  }

  /**
   * Where the page was and what it showed, beside what the ledger holds and what the stack
   * warned of: for a failure message, since CI prints only each failed test's first lines at the
   * end of a long log, and a timeout alone ("waiting for getByTestId('masked-key')") does not say
   * which page was on screen instead.
   */
  const evidence = async () => {
    const shown = await page
      .evaluate(() => {
        const texts = (selector: string) =>
          [...document.querySelectorAll(selector)].map((element) =>
            (element.getAttribute("aria-label") ?? element.textContent ?? "").trim().slice(0, 120)
          )
        return [
          `url=${window.location.href}`,
          `headings=${JSON.stringify(texts("h1, h2, h3"))}`,
          `alerts=${JSON.stringify(texts('[role="alert"]'))}`,
          `loading=${JSON.stringify(texts('[aria-label^="Loading"]'))}`,
          [...document.querySelectorAll('[data-testid^="overview-"][data-testid$="-value"]')]
            .map((element) => `${element.getAttribute("data-testid")}=${element.textContent}`)
            .join(", ")
        ].join("; ")
      })
      .catch(String)
    const client = new pg.Client({ connectionString: stack.databaseUrl })
    const ledger = await client
      .connect()
      .then(() =>
        client.query(
          "SELECT requested_model, status, api_key_id, created_at FROM usage_events ORDER BY created_at"
        )
      )
      .then(
        (result) =>
          result.rows
            .map(
              (row) =>
                `${row.created_at.toISOString()} ${row.requested_model} ${row.status} ${row.api_key_id}`
            )
            .join("; "),
        String
      )
      .finally(() => client.end())
    const warnings = stack
      .logs()
      .split("\n")
      .filter((line) => /level=(WARN|ERROR|FATAL)/.test(line))
      .slice(-8)
      .join(" | ")
    // CI logs are kept: no key in them, even a test stack's (a shown key, an echoed header).
    return `page: ${shown}\nledger: ${ledger}\nwarnings: ${warnings || "none"}`
      .replace(/ef_[\w-]+/g, (found) => `${found.slice(0, 6)}…`)
      .replaceAll(PROVIDER_SECRET, "sk-…")
  }

  /**
   * One step of the journey, as a test whose failure message starts with the evidence above
   * (the error's own first line, then the evidence, then the rest of it).
   */
  const step = (name: string, body: () => Promise<void>) =>
    it(name, async () => {
      try {
        await body()
      } catch (error) {
        if (!(error instanceof Error) || page === undefined) throw error
        const [first = "", ...rest] = error.message.split("\n")
        const message = [first, await evidence(), ...rest].join("\n")
        error.stack = (error.stack ?? "").replace(error.message, message)
        error.message = message
        throw error
      }
    })

  /**
   * Opens a route. Only the first visit loads the document; later ones change the hash inside it,
   * as a click on a link does. `page.goto` to a URL that differs only in its hash is a navigation
   * with no load event, and once in CI it waited its whole 30 s for one. Each step then waits for
   * what its page shows (a signed-out visit is redirected, so the URL is not awaited).
   */
  const go = async (hash: string) => {
    if (page.url().startsWith(`${stack.dashboardUrl}/`)) {
      await page.evaluate((route) => {
        window.location.hash = route
      }, hash)
    } else {
      await page.goto(`${stack.dashboardUrl}/#${hash}`)
    }
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

  step("signs up, and the sign-in and sign-up pages are labelled and usable by keyboard", async () => {
    await go("/")
    await page.getByRole("heading", { name: "Sign in" }).waitFor()
    await checkAndPhotograph("sign-in")
    // Keyboard only: tab from the email field reaches the password field.
    await page.getByLabel("Email").focus()
    await page.keyboard.press("Tab")
    expect(await page.evaluate(() => document.activeElement?.getAttribute("type"))).toBe("password")

    await page.getByRole("link", { name: "Create one" }).click()
    await page.getByRole("heading", { name: "Create your account" }).waitFor()
    await checkAndPhotograph("sign-up")
    await page.getByLabel("Name").fill("Ada")
    await page.getByLabel("Email").fill(email)
    await page.getByLabel(/^Password/).fill("short")
    await page.getByRole("button", { name: "Create account" }).click()
    // The browser's own check refuses a short password before anything is sent.
    expect(
      await page.getByLabel(/^Password/).evaluate((input: HTMLInputElement) => input.validity.tooShort)
    ).toBe(true)
    await page.getByLabel(/^Password/).fill(PASSWORD)
    await page.getByRole("button", { name: "Create account" }).click()
    await page.getByRole("heading", { name: "Welcome to Switchyard" }).waitFor()
  })

  step(
    "onboarding creates the key, whose copied value works against the router, and makes a first call",
    async () => {
      await checkAndPhotograph("onboarding")
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
    }
  )

  step(
    "API key page: masked after creation; regenerating asks first, and the old key stops working",
    async () => {
      await go("/key")
      const masked = await page.getByTestId("masked-key").textContent()
      expect(masked).toContain(key.slice(-4))
      expect(await page.content()).not.toContain(key)
      await checkAndPhotograph("api-key")

      await page.getByRole("button", { name: "Regenerate key" }).click()
      const dialog = page.getByRole("dialog", { name: "Regenerate your API key?" })
      expect(await dialog.textContent()).toContain("stops working at once")
      await dialog.getByRole("button", { name: "Regenerate" }).click()
      const fresh = (await page.getByTestId("full-key").textContent())!
      expect(fresh).toMatch(/^ef_/)
      expect(fresh).not.toBe(key)
      const old = key
      key = fresh
      await callUntil(401, "mock/echo", old)
      expect((await chat("mock/echo")).status).toBe(200)
    }
  )

  step("adds a provider credential, shows only its last four, and explains a bad one by field", async () => {
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
    await checkAndPhotograph("providers")
  })

  step(
    "calls through the router use the stored credential, and the live table shows each as it ends",
    async () => {
      await go("/live")
      await page.getByText("Connected", { exact: true }).waitFor()
      for (let i = 0; i < 3; i++) {
        const response = await chat("gpt-4o-mini")
        expect(response.status).toBe(200)
        await response.json()
        const requestId = response.headers.get("x-request-id")!
        const ended = Date.now()
        const row = page.locator(`tr[data-request-id="${requestId}"]`)
        await row.waitFor()
        // Measured, not asserted (no timed assertions): the goal is within a second.
        console.log(
          `dashboard journey: request ${i + 1} in the live table ${Date.now() - ended} ms after it ended`
        )
        expect(await row.textContent()).toContain("openai/gpt-4o-mini")
        expect(await row.textContent()).toContain("200")
        expect(await row.textContent()).toContain("12 / 5")
      }
      expect(stack.upstream.authorizations).toEqual(Array(3).fill(`Bearer ${PROVIDER_SECRET}`))
      await checkAndPhotograph("live")
    }
  )

  step("the analytics charts show those calls", async () => {
    await go("/analytics")
    // At least: the echo with the copied key, onboarding's first call, the echo with the
    // regenerated key, the 3 calls to the fake upstream (the old key's last moments may add some).
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid="overview-requests-value"]')?.textContent) >= 6,
      undefined,
      { timeout: 60_000 }
    )
    await page.getByTestId("chart-requests").locator(".recharts-bar-rectangle path").first().waitFor()
    await page.getByTestId("chart-latency").locator(".recharts-bar-rectangle path").first().waitFor()
    await page.getByTestId("chart-cost").locator(".recharts-bar-rectangle path").first().waitFor()
    expect(await page.getByTestId("chart-cost").textContent()).toContain("openai/gpt-4o-mini")
    expect(await page.getByTestId("overview-error-rate-value").textContent()).toBe("0%")
    await checkAndPhotograph("analytics")
  })

  step(
    "an RPM limit: the API's message for a bad value, then calls are refused and the error rate shows it",
    async () => {
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
      await checkAndPhotograph("analytics-errors")
    }
  )

  step("a disabled key is refused by the router", async () => {
    await go("/key")
    await page.getByLabel("Requests per minute").fill("")
    await page.getByRole("button", { name: "Save limits" }).click()
    await page.getByText("Limits saved.").waitFor()
    await page.getByLabel("Key enabled").click()
    await page.getByText("Disabled", { exact: true }).waitFor()
    await callUntil(401)
  })

  step("playground and the remaining pages render at both widths; signing out and in again", async () => {
    await page.getByLabel("Key enabled").click()
    await page.getByText("Enabled", { exact: true }).waitFor()
    await go("/playground")
    await page.getByRole("heading", { name: "Playground" }).waitFor()
    await page.getByLabel("Model").selectOption("mock/echo")
    await page.getByLabel("Message").fill("Stream this back to me")
    await page.getByRole("button", { name: "Send" }).click()
    await page.getByTestId("playground-answer").filter({ hasText: "Stream this back to me" }).waitFor()
    // The cost comes from the hub's usage event for this very request.
    await page
      .getByTestId("playground-usage")
      .filter({ hasText: /cost \$/ })
      .waitFor()
    expect(await page.getByTestId("playground-usage").textContent()).toMatch(
      /\d+ prompt \+ \d+ completion tokens/
    )
    await checkAndPhotograph("playground")

    await go("/vibe")
    await page.getByRole("heading", { name: "Vibe apps" }).waitFor()
    await page.getByRole("button", { name: "Create app" }).click()
    await page.getByText("prompt must not be empty").waitFor()
    await page.getByLabel("What should it be?").fill("A tiny counter with a big plus button")
    await page.getByRole("button", { name: "Create app" }).click()
    const card = page.locator('[data-testid^="vibe-app-sb-"]')
    await card.getByText("active", { exact: true }).waitFor({ timeout: 90_000 })
    const opened = await card.getByRole("link", { name: "Open the app" }).getAttribute("href")
    expect(opened).toMatch(/^http:\/\/sb-[a-z0-9]{20}\.apps\.localhost:\d+\/$/)
    await card.getByLabel("Change it").fill("Make the button green")
    await card.getByRole("button", { name: "Apply" }).click()
    await card
      .getByTestId("vibe-last-edit")
      .filter({ hasText: "Make the button green" })
      .waitFor({ timeout: 90_000 })
    await checkAndPhotograph("vibe")
    await card.getByRole("button", { name: "Delete app" }).click()
    await card.getByRole("button", { name: "Delete", exact: true }).click()
    await page.getByText("No apps yet.").waitFor()

    await page.getByRole("button", { name: "Sign out" }).click()
    await page.getByRole("heading", { name: "Sign in" }).waitFor()
    await go("/key")
    await page.getByRole("heading", { name: "Sign in" }).waitFor()
    await page.getByLabel("Email").fill(email)
    await page.getByLabel(/^Password/).fill("wrong-password-entirely")
    await page.getByRole("button", { name: "Sign in" }).click()
    await page
      .getByRole("alert")
      .filter({ hasText: /invalid/i })
      .waitFor()
    await page.getByLabel(/^Password/).fill(PASSWORD)
    await page.getByRole("button", { name: "Sign in" }).click()
    // Onboarding is done, so straight to the dashboard.
    await page.getByRole("heading", { name: "Analytics" }).waitFor()
    expect(pageErrors).toEqual([])
  })
})
