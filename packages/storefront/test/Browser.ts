import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { type BrowserContext, chromium, type Page } from "playwright-core"

/** Debian's chromium; playwright-core downloads no browser of its own. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"

// Headless, and nothing that reaches out to the network: no QUIC, sync, component updates or first-run pages.
const flags = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync"
]

/** Where screenshots go: git-ignored, kept by CI as artifacts. */
export const screenshotDir = resolve(import.meta.dirname, "../../../test-results/storefront")

/** A chromium with a fresh profile (its own --user-data-dir, deleted on close). */
export interface Browser {
  readonly context: BrowserContext
  readonly newPage: (viewport?: { readonly width: number; readonly height: number }) => Promise<Page>
  readonly screenshot: (page: Page, name: string, options?: { readonly fullPage?: boolean }) => Promise<void>
  readonly close: () => Promise<void>
}

export const launchBrowser = async (baseURL: string): Promise<Browser> => {
  const profile = mkdtempSync(join(tmpdir(), "shop-mesh-chromium-"))
  mkdirSync(screenshotDir, { recursive: true })
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: flags,
    baseURL,
    viewport: { width: 1280, height: 800 },
    timeout: 30_000
  })
  context.setDefaultTimeout(15_000)
  return {
    context,
    newPage: async (viewport) => {
      const page = await context.newPage()
      if (viewport !== undefined) await page.setViewportSize(viewport)
      return page
    },
    screenshot: async (page, name, options) => {
      // from the top, so that the sticky header sits where a visitor sees it
      if (options?.fullPage === true) await page.evaluate(() => window.scrollTo(0, 0))
      await page.screenshot({
        path: join(screenshotDir, `${name}.png`),
        animations: "disabled",
        fullPage: options?.fullPage === true
      })
    },
    close: async () => {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    }
  }
}
