/**
 * Order benchmark through the gateway: creates orders (POST /api/v1/orders) and polls each one
 * (GET /api/v1/orders/{id}) until its saga ends, so it measures both the create call and time-to-confirmed.
 *
 *   RATE_LIMIT_ORDER_WRITE=100000/1m RATE_LIMIT_ORDER_READ=1000000/1m npm start   # in another terminal
 *   npm run bench:orders [-- --count 300 --concurrency 16 --max-seconds 90]
 *
 * Bounded by --count orders and --max-seconds. Prints orders/s, p50/p95/p99 of the create call and of
 * time-to-confirmed, and compares them with the targets (create p95 < 100 ms, confirmed p95 < 500 ms).
 * Traffic goes to loopback only. The token comes from BENCH_TOKEN or `scripts/token.ts` (admin + customer).
 */
import { execFileSync } from "node:child_process"
import { parseArgs } from "node:util"
import { percentile } from "./load.ts"

const { values } = parseArgs({
  options: {
    url: { type: "string", default: process.env.GATEWAY_URL ?? "http://127.0.0.1:8080" },
    count: { type: "string", default: "300" },
    concurrency: { type: "string", default: "16" },
    "max-seconds": { type: "string", default: "90" }
  }
})
const base = values.url
if (!["127.0.0.1", "localhost", "[::1]"].includes(new URL(base).hostname)) throw new Error("loopback only")
const count = Math.min(Number(values.count), 10_000)
const concurrency = Math.min(Number(values.concurrency), 128)
const deadline = performance.now() + Math.min(Number(values["max-seconds"]), 600) * 1000

const userId = `bench_${Date.now().toString(36)}`
const token = process.env.BENCH_TOKEN ??
  execFileSync(process.execPath, [
    "scripts/token.ts",
    "--sub",
    userId,
    "--role",
    "admin",
    "--role",
    "customer"
  ], { encoding: "utf8" }).trim()
const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" }

const call = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const json = (await response.json().catch(() => ({}))) as Record<string, unknown>
  return { status: response.status, json }
}

const product = await call("POST", "/api/v1/products", {
  name: "Bench Widget",
  price: 9.99,
  sku: `BENCH-${Date.now().toString(36)}`.toUpperCase(),
  inventory: count * 2,
  category: "Bench"
})
if (product.status >= 300) throw new Error(`creating the bench product failed: ${JSON.stringify(product)}`)
const productId = product.json.id as string

const createLatencies: Array<number> = []
const confirmLatencies: Array<number> = []
const outcomes: Record<string, number> = {}
let next = 0

const placeOne = async (i: number) => {
  const t0 = performance.now()
  const created = await call("POST", "/api/v1/orders", {
    items: [{ product_id: productId, quantity: 1 }],
    shipping_address: { street: "1 Bench St", city: "San Francisco", state: "CA", zip: "94102" },
    payment_method: "credit_card",
    idempotency_key: `${userId}-${i}`
  })
  createLatencies.push(performance.now() - t0)
  if (created.status >= 300) {
    outcomes[`http_${created.status}`] = (outcomes[`http_${created.status}`] ?? 0) + 1
    return
  }
  let status = created.json.status as string
  const id = created.json.order_id as string
  while (status === "pending" && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10))
    const polled = await call("GET", `/api/v1/orders/${id}`)
    if (polled.status === 200) status = polled.json.status as string
  }
  if (status === "confirmed") confirmLatencies.push(performance.now() - t0)
  outcomes[status] = (outcomes[status] ?? 0) + 1
}

const started = performance.now()
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < count && performance.now() < deadline) await placeOne(next++)
}))
const elapsed = (performance.now() - started) / 1000

const summary = (name: string, latencies: Array<number>) => {
  const sorted = latencies.toSorted((a, b) => a - b)
  const cells = [50, 95, 99].map((p) => percentile(sorted, p).toFixed(1).padStart(8))
  return `${name.padEnd(20)} ${String(sorted.length).padStart(6)} ${cells.join(" ")}`
}
console.log(`gateway ${base}, ${next} orders, ${concurrency} in flight, ${elapsed.toFixed(1)} s`)
console.log(`orders/s (created): ${(next / elapsed).toFixed(1)}; outcomes: ${JSON.stringify(outcomes)}`)
console.log(`${"".padEnd(20)}      n   p50 ms   p95 ms   p99 ms`)
console.log(summary("create call", createLatencies))
console.log(summary("time-to-confirmed", confirmLatencies))
const createP95 = percentile(createLatencies.toSorted((a, b) => a - b), 95)
const confirmP95 = percentile(confirmLatencies.toSorted((a, b) => a - b), 95)
console.log(`target create p95 < 100 ms: ${createP95 < 100 ? "met" : "NOT met"} (${createP95.toFixed(1)} ms)`)
console.log(`target confirmed p95 < 500 ms: ${confirmP95 < 500 ? "met" : "NOT met"} (${confirmP95.toFixed(1)} ms)`)
