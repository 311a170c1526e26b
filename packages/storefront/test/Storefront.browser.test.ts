import { afterAll, afterEach, assert, beforeAll, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import type { Page } from "playwright-core"
import { build } from "vite"
import { eventually, type Platform, startPlatform } from "../../gateway/test/e2e/Platform.ts"
import { type Browser, launchBrowser } from "./Browser.ts"

// The platform as `npm start` runs it, on ports shifted by 1500 (beside a developer's platform and the gateway's
// end-to-end test at 1000; STOREFRONT_TEST_PORT_OFFSET moves it), serving a storefront built for this run.
// STOREFRONT_TEST_GATEWAY points the test at a platform that is already running instead (while developing the
// storefront); the operator's test, which drives the card processor's faults, then does not run.
const offset = Number(process.env.STOREFRONT_TEST_PORT_OFFSET ?? 1500)
const external = process.env.STOREFRONT_TEST_GATEWAY
const run = Date.now().toString(36).toUpperCase()

let platform: Platform | undefined
let gateway: string
let browser: Browser
let page: Page
let distDir: string | undefined
const lamp = { name: `Brass Desk Lamp ${run}`, sku: `LAMP-${run}`, inventory: 5, price: 39.5 }

const post = async (path: string, body: unknown, token?: string) => {
  const response = await fetch(`${gateway}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` })
    },
    body: JSON.stringify(body)
  })
  return { status: response.status, body: await response.json() as any }
}

describe("storefront in a real browser", () => {
  beforeAll(async () => {
    if (external === undefined) {
      distDir = mkdtempSync(join(tmpdir(), "storefront-dist-"))
      await build({
        root: resolve(import.meta.dirname, ".."),
        logLevel: "warn",
        build: { outDir: distDir, emptyOutDir: true }
      })
      platform = await startPlatform(offset, {
        STOREFRONT_DIR: distDir,
        // For the operator's test: a charge the processor answers after the stock's hold has run out is given back
        // (the order fails), and a refund the processor refuses once is parked for an operator.
        ORDER_RESERVATION_TTL: "6 seconds",
        ORDER_RESERVATION_MARGIN: "2 seconds",
        ORDER_CALL_TIMEOUT: "30 seconds",
        PROVIDER_ATTEMPT_TIMEOUT: "20 seconds",
        REFUND_MAX_ATTEMPTS: "1",
        // A saga that failed an attempt waits at least 30 s for its next one: the operator's retry, not its own
        // backoff, is what runs the saga waiting on the parked refund (no step of the other tests fails an attempt).
        SAGA_RETRY_BASE: "60 seconds",
        SAGA_RETRY_CAP: "120 seconds"
      })
      gateway = platform.gateway
    } else {
      gateway = external
    }
    const admin = await post("/dev/sign-in", { persona: "admin" })
    assert.strictEqual(admin.status, 200, JSON.stringify(admin.body))
    for (
      const product of [
        { ...lamp, category: "Lighting", description: "A warm brass lamp for the desk, with a linen shade." },
        { name: `Paper Floor Lamp ${run}`, sku: `FLOOR-${run}`, price: 89, inventory: 2, category: "Lighting" },
        { name: `Reading Light ${run}`, sku: `READ-${run}`, price: 15.25, inventory: 0, category: "Lighting" }
      ]
    ) {
      const created = await post("/api/v1/products", product, admin.body.token)
      assert.strictEqual(created.status, 201, JSON.stringify(created.body))
    }
    browser = await launchBrowser(gateway)
    page = await browser.newPage()
  }, 240_000)

  // A failed step leaves a picture of what the browser showed.
  afterEach(async (context) => {
    if (context.task.result?.state === "fail") {
      await browser?.screenshot(page, `failed-${context.task.name.slice(0, 40).replace(/\W+/g, "-")}`)
    }
  })

  afterAll(async () => {
    await browser?.close()
    await platform?.stop()
    if (distDir !== undefined) rmSync(distDir, { recursive: true, force: true })
  }, 60_000)

  it("finds a lamp with the search box and narrows it by category and price", async () => {
    await page.goto("/")
    await page.getByTestId("product-card").first().waitFor()
    await browser.screenshot(page, "01-home")

    await page.getByTestId("search-input").fill(`lamp ${run}`)
    await page.getByTestId("search-input").press("Enter")
    await page.waitForURL(/\/search\?q=lamp/)
    await page.getByTestId("product-card").filter({ hasText: lamp.name }).waitFor()
    const found = await page.getByTestId("product-card").locator("h3").allTextContents()
    assert.includeMembers(found, [lamp.name, `Paper Floor Lamp ${run}`])

    await page.getByLabel("Category").selectOption("Lighting")
    await page.getByLabel("To", { exact: true }).fill("50")
    await page.getByRole("button", { name: "Apply filters" }).click()
    await page.waitForURL(/max_price=50/)
    await page.locator("[aria-busy=false]").getByTestId("product-card").filter({ hasText: lamp.name }).waitFor()
    const filtered = await page.getByTestId("product-card").allTextContents()
    assert.isAbove(filtered.length, 0)
    for (const card of filtered) {
      assert.include(card, "Lighting")
      assert.notInclude(card, "Paper Floor Lamp", "$89 is above the price filter")
    }
    await browser.screenshot(page, "02-search")

    await page.getByLabel("From", { exact: true }).fill("abc")
    await page.getByRole("button", { name: "Apply filters" }).click()
    await page.getByRole("alert").filter({ hasText: "From price" }).waitFor()
  })

  it("shows the product's live availability and adds it to the cart with the keyboard", async () => {
    await page.getByRole("link", { name: lamp.name }).click()
    await page.getByRole("heading", { level: 1, name: lamp.name }).waitFor()
    await page.getByTestId("availability").getByText("5 available").waitFor()
    assert.strictEqual(await page.getByTestId("cart-count").textContent(), "0")

    await page.getByLabel("Quantity").fill("2")
    await page.getByTestId("add-to-cart").focus()
    await page.keyboard.press("Enter")
    await page.getByRole("status").getByText("added to the cart").waitFor()
    assert.strictEqual(await page.getByTestId("cart-count").textContent(), "2")
    await browser.screenshot(page, "03-product")
  })

  // the order the demo customer places, which the admin then finds in the console
  let customerOrderId = ""

  it("signs in as the demo customer at checkout, places the order and watches it become confirmed", async () => {
    await page.getByRole("link", { name: /^Cart/ }).click()
    await page.getByRole("heading", { name: "Your cart" }).waitFor()
    await browser.screenshot(page, "04-cart")
    await page.getByTestId("checkout").click()

    await page.getByTestId("sign-in").click()
    await page.getByLabel("Email").waitFor()
    await page.getByTestId("place-order").click()
    await page.getByText("an email address such as").waitFor()

    await page.getByLabel("Email").fill("ada@example.com")
    await page.getByLabel("Street").fill("123 Main St")
    await page.getByLabel("City").fill("San Francisco")
    await page.getByLabel("State").fill("CA")
    await page.getByLabel("ZIP code").fill("94102")
    await page.getByLabel("Payment method").selectOption("pm_card_visa")
    await browser.screenshot(page, "05-checkout", { fullPage: true })
    // A double click must still place one order: the button is disabled and the idempotency key is the same.
    await page.getByTestId("place-order").dblclick()

    await page.waitForURL(/\/orders\/ord_/)
    const orderId = page.url().split("/orders/")[1]!
    customerOrderId = orderId
    await page.getByTestId("order-status").filter({ hasText: "confirmed" }).waitFor({ timeout: 45_000 })
    assert.strictEqual(await page.getByTestId("cart-count").textContent(), "0")
    await page.getByText("Tracking number").waitFor()
    await browser.screenshot(page, "06-order-confirmed")

    await page.getByTestId("mail-link").click({ timeout: 30_000 })
    await page.getByRole("heading", { name: new RegExp(`Order ${orderId} confirmed`) }).waitFor()
    await browser.screenshot(page, "07-mail")

    await page.getByRole("link", { name: "My orders" }).click()
    await page.getByRole("link", { name: orderId }).waitFor()
    await browser.screenshot(page, "08-my-orders")
    const customer = await post("/dev/sign-in", { persona: "customer" })
    const mine = await (await fetch(`${gateway}/api/v1/orders?limit=100`, {
      headers: { authorization: `Bearer ${customer.body.token}` }
    })).json() as any
    const withLamp = mine.orders.filter((order: { items: Array<{ name: string }> }) =>
      order.items.some((item) => item.name === lamp.name)
    )
    assert.strictEqual(withLamp.length, 1, "the double click placed one order")

    // The stock the order took is gone from the product page.
    await page.goto(`/search?q=${encodeURIComponent(`lamp ${run}`)}&category=Lighting`)
    await page.getByRole("link", { name: lamp.name }).click()
    await page.getByTestId("availability").getByText("3 available").waitFor()
  })

  it("refuses bad input with the contract's words, and fails an order for more than is in stock with the reason", async () => {
    await page.getByTestId("add-to-cart").click()
    await page.getByRole("link", { name: /^Cart/ }).click()
    // The stock is 3: the cart lets the shopper ask for 4, the saga refuses it.
    await page.getByLabel(`Quantity of ${lamp.name}`).fill("4")
    await page.getByLabel(`Quantity of ${lamp.name}`).press("Tab")
    await page.getByTestId("checkout").click()
    await page.getByLabel("Email").fill("ada@example.com")
    await page.getByLabel("Street").fill("123 Main St")
    await page.getByLabel("City").fill("San Francisco")
    await page.getByLabel("State").fill("CA")
    await page.getByLabel("ZIP code").fill("9")
    await page.getByTestId("place-order").click()
    await page.getByText("a postal code such as 94102").waitFor()
    await page.getByLabel("ZIP code").fill("94102")
    await page.getByTestId("place-order").click()
    await page.getByTestId("order-status").filter({ hasText: "failed" }).waitFor({ timeout: 45_000 })
    await page.getByText("Not enough stock").waitFor()
  })

  it("lets an admin edit a product's price and stock, and refuses a duplicate SKU with the problem's text", async () => {
    await page.getByRole("button", { name: "Sign out" }).click()
    await page.goto("/admin")
    await page.getByTestId("sign-in-admin").click()
    await page.getByRole("heading", { name: "Overview" }).waitFor()
    // the public health answer: the platform's status; each backend's is on the gateway's admin port only
    await page.getByText(/health of each backend is on the gateway's admin port/).waitFor()
    await browser.screenshot(page, "09-admin-overview")

    // The customer's order, among every customer's orders of its status.
    await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Orders" }).click()
    await page.getByRole("navigation", { name: "Order status" }).getByRole("link", { name: "confirmed" }).click()
    await page.getByTestId("admin-order-id").filter({ hasText: customerOrderId }).waitFor()

    await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Products" }).click()
    await page.getByLabel("Find products by name or SKU").fill(lamp.sku)
    await page.getByRole("button", { name: "Find" }).click()
    await page.getByRole("button", { name: `Edit ${lamp.name}` }).click()
    const editor = page.getByRole("form", { name: `Edit ${lamp.name}` })
    await editor.getByLabel(/^Price/).fill("24.50")
    await editor.getByLabel("Stock on hand").fill("12")
    await editor.getByRole("button", { name: "Save" }).click()
    await page.getByText(`Saved ${lamp.name}: 12 on hand.`).waitFor()
    const row = page.getByTestId("admin-product-row").filter({ hasText: lamp.name })
    await row.getByText("$24.50").waitFor()
    await browser.screenshot(page, "10-admin-products")

    const details = await (await fetch(`${gateway}/api/v1/products/search?q=${lamp.sku}`)).json() as any
    const saved = details.products.find((p: { sku: string }) => p.sku === lamp.sku)
    assert.strictEqual(saved.price, 24.5)
    assert.strictEqual(saved.inventory, 12)

    const creator = page.getByRole("form", { name: "New product" })
    await creator.getByLabel("Name").fill("Another lamp")
    await creator.getByLabel("SKU").fill(lamp.sku)
    await creator.getByLabel("Category").fill("Lighting")
    await creator.getByLabel("Price").fill("10")
    await creator.getByRole("button", { name: "Create product" }).click()
    await creator.getByRole("alert").filter({ hasText: /sku/i }).waitFor()
  })

  it(
    "an operator retries a parked refund and the saga waiting on it, and the order ends failed and refunded",
    async (ctx) => {
      if (platform === undefined) return ctx.skip() // needs the card processor's fault API of its own platform
      const faults = (body: unknown) =>
        fetch(`${platform!.simulator}/admin/faults`, {
          method: "PUT",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body)
        }).then((r) => assert.strictEqual(r.status, 200))
      const admin = (await post("/dev/sign-in", { persona: "admin" })).body.token as string
      const adminGet = async (path: string) =>
        (await fetch(`${gateway}${path}`, { headers: { authorization: `Bearer ${admin}` } })).json() as Promise<any>
      const customer = (await post("/dev/sign-in", { persona: "customer" })).body.token as string
      const product = await post("/api/v1/products", {
        name: `Slow Lamp ${run}`,
        sku: `SLOW-${run}`,
        price: 42.5,
        inventory: 3,
        category: "Lighting"
      }, admin)
      assert.strictEqual(product.status, 201, JSON.stringify(product.body))

      // The processor answers charges after the stock's hold ran out (the order cannot be confirmed: its charge must be
      // given back) and refuses refunds: the refund is parked, the saga keeps waiting for it.
      await faults({ latency_ms: 7000, refund_refusal_rate: 1 })
      const order = await post("/api/v1/orders", {
        items: [{ product_id: product.body.id, quantity: 1 }],
        shipping_address: { street: "1 Main St", city: "Springfield", state: "IL", zip: "62701" },
        payment_method: "pm_card_visa",
        idempotency_key: `parked-${run}`,
        email: "ada@example.com"
      }, customer)
      assert.include([201, 202], order.status, JSON.stringify(order.body))
      const orderId = order.body.order_id as string
      const parked = await eventually(async () => {
        const { refunds } = await adminGet("/api/v1/admin/refunds")
        return refunds.find((refund: { order_id?: string }) => refund.order_id === orderId)
      }, 90_000)
      await faults({ refund_refusal_rate: 1 }) // the processor answers at once again, and still refuses refunds
      await eventually(async () => {
        const { sagas } = await adminGet("/api/v1/admin/sagas")
        return sagas.find((saga: { order_id: string; step: string }) =>
          saga.order_id === orderId && saga.step === "refund"
        )
      }, 60_000)

      // The operator sees the saga waiting on the refund, and the refund with the processor's answer.
      await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Sagas" }).click()
      const sagaRow = page.getByTestId("saga-row").filter({ hasText: orderId })
      await sagaRow.getByTestId("saga-last-error").filter({ hasText: "not settled yet" }).waitFor()
      await browser.screenshot(page, "11-admin-sagas")

      await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Parked refunds" }).click()
      const refundRow = page.getByTestId("refund-row").filter({ hasText: parked.refund_id })
      await refundRow.getByTestId("refund-last-error").filter({ hasText: "Injected refusal" }).waitFor()
      await refundRow.getByText("$42.50").waitFor()
      await browser.screenshot(page, "12-admin-refunds")

      // Retried while the processor still refuses: parked again, and the console says so.
      await refundRow.getByTestId("retry-refund").click()
      await page.getByTestId("action-outcome").filter({ hasText: "refused again and is parked" }).waitFor()

      // The cause settled with the processor, the operator retries: the processor confirms the refund.
      await faults({})
      const stale = await browser.newPage()
      await stale.goto("/admin/refunds")
      await stale.getByTestId("refund-row").filter({ hasText: parked.refund_id }).waitFor()
      await refundRow.getByTestId("retry-refund").click()
      await page.getByTestId("action-outcome").filter({ hasText: "the card processor confirmed it" }).waitFor()
      await page.getByTestId("refunds-empty").waitFor()
      // A second retry, from a page that still lists the refund: refused with the problem's own text.
      await stale.getByTestId("refund-row").filter({ hasText: parked.refund_id }).getByTestId("retry-refund").click()
      await stale.getByTestId("problem").filter({ hasText: `refund ${parked.refund_id} is succeeded, not parked` })
        .waitFor()
      await stale.close()

      // The saga would wait out its backoff; the operator runs it now, and the order ends failed, refunded.
      await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Sagas" }).click()
      await sagaRow.getByTestId("retry-saga").click()
      await page.getByTestId("action-outcome").filter({ hasText: `The saga of ${orderId} is due now` }).waitFor()
      const ended = await eventually(async () => {
        const found = await (await fetch(`${gateway}/api/v1/orders/${orderId}`, {
          headers: { authorization: `Bearer ${customer}` }
        })).json() as any
        return found.status === "failed" ? found : undefined
      }, 30_000)
      assert.strictEqual(ended.payment_status, "refunded")
      assert.strictEqual(ended.failure_reason, "reservation_expired")
      await sagaRow.waitFor({ state: "detached", timeout: 20_000 })

      // The other views show what the platform knows.
      const nav = page.getByRole("navigation", { name: "Console" })
      await nav.getByRole("link", { name: "Circuit breakers" }).click()
      for (const dependency of ["product", "payment", "payment-provider"]) {
        await page.locator(`[data-testid=breaker-row][data-dependency="${dependency}"]`).getByTestId("breaker-state")
          .filter({ hasText: "closed" }).waitFor()
      }
      await browser.screenshot(page, "13-admin-breakers")
      await nav.getByRole("link", { name: "Consumer lag" }).click()
      const lag = page.locator("[data-testid=consumer-row][data-group=notification]").getByTestId("consumer-lag")
      await lag.waitFor()
      assert.match((await lag.textContent()) ?? "", /^\d+$/)
      await browser.screenshot(page, "14-admin-consumers")
      await nav.getByRole("link", { name: "Outbox backlog" }).click()
      await page.getByTestId("outbox-pending").waitFor()
      await browser.screenshot(page, "15-admin-outbox")
      await nav.getByRole("link", { name: "Dead letters" }).click()
      await page.getByTestId("dead-letters-empty").waitFor()
    },
    240_000
  )

  it("is readable at phone width: one column, nothing wider than the screen", async () => {
    const phone = await browser.newPage({ width: 390, height: 844 })
    await phone.goto(`/search?q=${encodeURIComponent(`lamp ${run}`)}`)
    await phone.getByTestId("product-card").first().waitFor()
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    assert.isAtMost(overflow, 0)
    await browser.screenshot(phone, "16-phone-search")
    await phone.close()
  })
})
