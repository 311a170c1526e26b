import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { isLoopback, listenersOf, processTree } from "./Listeners.ts"
import { eventually, type Platform, startPlatform } from "./Platform.ts"

// The platform exactly as a new user starts it (`npm start`, embedded mode), on ports shifted by 1000 so that it can
// run beside a platform already started on this machine.
const offset = 1000
let platform: Platform

const json = async (response: Response) => ({ status: response.status, body: await response.json() as any })

describe("npm start (embedded)", () => {
  beforeAll(async () => {
    // Stock is read back right after orders change it: without the gateway's read cache, whose staleness bound has
    // its own tests, an unchanged "available" proves the release instead of an entry that had not expired yet.
    platform = await startPlatform(offset, { CATALOG_CACHE_TTL: "0 millis" })
  }, 180_000)
  afterAll(async () => {
    await platform?.stop()
  }, 60_000)

  it("brings all six health endpoints to green, and the gateway sees every backend serving", async () => {
    for (const port of [9091, 9101, 9102, 9103, 9104]) {
      const response = await fetch(`${platform.admin(port)}/healthz`)
      assert.strictEqual(response.status, 200, `admin :${port + offset}`)
    }
    const health = await json(await fetch(`${platform.gateway}/healthz`))
    assert.strictEqual(health.status, 200, JSON.stringify(health.body))
    assert.notProperty(health.body, "services") // backend details are on the admin port only
    const backends = await json(await fetch(`${platform.admin(9091)}/backends`))
    assert.strictEqual(backends.status, 200, JSON.stringify(backends.body))
    for (const name of ["product", "order", "notification"]) {
      assert.strictEqual(backends.body.services[name].status, "up")
    }
    for (const port of [9101, 9102, 9103, 9104]) {
      const ready = await fetch(`${platform.admin(port)}/readyz`)
      assert.strictEqual(ready.status, 200, `readyz :${port + offset}`)
    }
  })

  it("listens on loopback only: no port of npm start is reachable from another machine", (ctx) => {
    if (process.platform !== "linux") return ctx.skip() // sockets are read from /proc
    const listeners = listenersOf(processTree(platform.pid))
    // gateway HTTP + admin, 4 gRPC servers, 4 more admin ports, 5 databases, 2 simulators, notification API, SMTP
    assert.isAtLeast(listeners.length, 19, JSON.stringify(listeners))
    const open = listeners.filter((listener) => !isLoopback(listener.address))
    assert.deepStrictEqual(open, [], "listeners beyond loopback")
  })

  it("serves the spec's catalog examples: an admin creates a product, a search finds it, a repeat is a cache hit", async () => {
    const admin = await platform.token("admin_1", ["admin"])
    const sku = `MOUSE-E2E-${Date.now()}`
    const created = await json(
      await fetch(`${platform.gateway}/api/v1/products`, {
        method: "POST",
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        body: JSON.stringify({
          name: "Wireless Mouse",
          description: "Ergonomic wireless mouse with 3200 DPI",
          price: 29.99,
          sku,
          inventory: 100,
          category: "Electronics"
        })
      })
    )
    assert.strictEqual(created.status, 201, JSON.stringify(created.body))
    assert.match(created.body.id, /^prod_/)
    assert.strictEqual(created.body.price, 29.99)

    const url =
      `${platform.gateway}/api/v1/products/search?q=mouse&category=Electronics&min_price=20&max_price=50&limit=10`
    const first = await json(await fetch(url))
    assert.strictEqual(first.status, 200)
    assert.isTrue(first.body.products.some((p: { id: string }) => p.id === created.body.id))
    const second = await json(await fetch(url))
    assert.isTrue(second.body.cache_hit)

    const typo = await json(await fetch(`${platform.gateway}/api/v1/products/search?q=mose`))
    assert.isTrue(typo.body.products.some((p: { id: string }) => p.id === created.body.id))
  })

  it("refuses bad input with problem+json and loses nothing", async () => {
    const admin = await platform.token("admin_1", ["admin"])
    const response = await fetch(`${platform.gateway}/api/v1/products`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "X", price: 29.999, sku: "BAD-1", inventory: 1, category: "Electronics", id: "x" })
    })
    assert.strictEqual(response.status, 400)
    assert.match(response.headers.get("content-type") ?? "", /application\/problem\+json/)
    const anonymous = await fetch(`${platform.gateway}/api/v1/orders`)
    assert.strictEqual(anonymous.status, 401)
  })

  it(
    "runs the spec's order example to confirmed and mails one confirmation; a declined card fails the order and gives the stock back",
    async () => {
      const admin = await platform.token("admin_1", ["admin"])
      const customer = await platform.token("user_123")
      const createProduct = async (sku: string, price: number) =>
        (await json(
          await fetch(`${platform.gateway}/api/v1/products`, {
            method: "POST",
            headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
            body: JSON.stringify({ name: `Item ${sku}`, price, sku, inventory: 10, category: "Electronics" })
          })
        )).body.id as string
      const stamp = Date.now()
      const mouse = await createProduct(`E2E-MOUSE-${stamp}`, 29.99)
      const cable = await createProduct(`E2E-CABLE-${stamp}`, 29.99)
      const placeOrder = (paymentMethod: string, key: string, items: ReadonlyArray<[string, number]>) =>
        fetch(`${platform.gateway}/api/v1/orders`, {
          method: "POST",
          headers: { authorization: `Bearer ${customer}`, "content-type": "application/json" },
          body: JSON.stringify({
            user_id: "user_123",
            items: items.map(([product_id, quantity]) => ({ product_id, quantity })),
            shipping_address: { street: "123 Main St", city: "San Francisco", state: "CA", zip: "94102" },
            payment_method: paymentMethod,
            idempotency_key: key
          })
        }).then(json)
      const orderOf = (id: string) =>
        fetch(`${platform.gateway}/api/v1/orders/${id}`, { headers: { authorization: `Bearer ${customer}` } }).then(
          json
        )
      const settled = (id: string) =>
        eventually(async () => {
          const order = await orderOf(id)
          return order.body.status === "pending" ? undefined : order.body
        })

      const placed = await placeOrder("credit_card", `e2e-${stamp}`, [[mouse, 2], [cable, 1]])
      assert.include([201, 202], placed.status, JSON.stringify(placed.body))
      assert.strictEqual(placed.body.total_amount, 89.97)
      assert.match(placed.body.saga_id, /^saga_/)
      const confirmed = await settled(placed.body.order_id)
      assert.strictEqual(confirmed.status, "confirmed")
      assert.strictEqual(confirmed.payment_status, "completed")
      assert.match(confirmed.tracking_number, /^TRK/)
      const again = await placeOrder("credit_card", `e2e-${stamp}`, [[mouse, 2], [cable, 1]])
      assert.strictEqual(again.body.order_id, placed.body.order_id)

      const mails = await eventually(async () => {
        const mailbox = await json(await fetch(`http://127.0.0.1:${8083 + offset}/mail`))
        const forOrder = mailbox.body.data.filter((mail: { subject: string }) =>
          mail.subject.includes(placed.body.order_id)
        )
        return forOrder.length > 0 ? forOrder : undefined
      })
      assert.strictEqual(mails.length, 1)

      const before = (await json(await fetch(`${platform.gateway}/api/v1/products/${mouse}`))).body.available
      const declined = await placeOrder("pm_card_chargeDeclined", `e2e-declined-${stamp}`, [[mouse, 3]])
      const failed = await settled(declined.body.order_id)
      assert.strictEqual(failed.status, "failed")
      assert.match(failed.failure_reason, /payment_declined/)
      const after = (await json(await fetch(`${platform.gateway}/api/v1/products/${mouse}`))).body.available
      assert.strictEqual(after, before)
    },
    90_000
  )

  it("stops every process on Ctrl-C", async () => {
    const code = await platform.stop()
    assert.strictEqual(code, 0)
    const leftovers = execFileSync("ps", ["-eo", "args"]).toString().split("\n")
      // this platform's processes only: another run of this test may hold a data folder of its own meanwhile
      .filter((line) => line.includes(platform.dataDir) || line.includes(`${9101 + offset}`))
    assert.deepStrictEqual(leftovers, [])
  }, 60_000)
})
