/**
 * The specification's usage examples 2 to 5 through a client generated from docs/openapi.json by openapi-typescript
 * (types) and openapi-fetch (calls): nothing of this repository's own code. Type-checked by TypeScript 5 against the
 * generated types, then run against a gateway:
 *
 *   BASE_URL=http://127.0.0.1:8080 ADMIN_TOKEN=... CUSTOMER_TOKEN=... node examples.ts
 *
 * Prints one JSON line with what each example answered.
 */
import createClient from "openapi-fetch"
import type { paths } from "./schema.d.ts"

// Node's `process`, declared rather than typed by @types/node: this check needs nothing beyond the generators.
declare const process: { readonly env: Record<string, string | undefined> }

const env = (name: string) => {
  const value = process.env[name]
  if (value === undefined) throw new Error(`${name} is not set`)
  return value
}
const client = createClient<paths>({ baseUrl: env("BASE_URL") })
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` })
const run = Date.now().toString(36)

// 2. Create a product (admin)
const created = await client.POST("/api/v1/products", {
  headers: bearer(env("ADMIN_TOKEN")),
  body: {
    name: "Wireless Mouse",
    description: "Ergonomic wireless mouse with 3200 DPI",
    price: 29.99,
    sku: `MOUSE-${run}`,
    inventory: 100,
    category: "Electronics"
  }
})
if (created.data === undefined) throw new Error(`create product: ${JSON.stringify(created.error)}`)
const pad = await client.POST("/api/v1/products", {
  headers: bearer(env("ADMIN_TOKEN")),
  body: { name: "Mouse Pad", price: 29.99, sku: `PAD-${run}`, inventory: 50, category: "Electronics" }
})
if (pad.data === undefined) throw new Error(`create product: ${JSON.stringify(pad.error)}`)

// 3. Search products with filters
const found = await client.GET("/api/v1/products/search", {
  params: { query: { q: "mouse", category: "Electronics", min_price: "20", max_price: "50", limit: "10" } }
})
if (found.data === undefined) throw new Error(`search: ${JSON.stringify(found.error)}`)

// 4. Create an order with multiple items (customer)
const customer = bearer(env("CUSTOMER_TOKEN"))
const order = await client.POST("/api/v1/orders", {
  headers: customer,
  body: {
    items: [{ product_id: created.data.id, quantity: 2 }, { product_id: pad.data.id, quantity: 1 }],
    shipping_address: { street: "123 Main St", city: "San Francisco", state: "CA", zip: "94102" },
    payment_method: "credit_card",
    idempotency_key: `order_${run}`
  }
})
if (order.data === undefined) throw new Error(`create order: ${JSON.stringify(order.error)}`)

// 5. Check order status, until the saga has ended
let status = await client.GET("/api/v1/orders/{id}", {
  headers: customer,
  params: { path: { id: order.data.order_id } }
})
for (let i = 0; i < 100 && status.data?.status === "pending"; i++) {
  await new Promise((resolve) => setTimeout(resolve, 200))
  status = await client.GET("/api/v1/orders/{id}", { headers: customer, params: { path: { id: order.data.order_id } } })
}
if (status.data === undefined) throw new Error(`order status: ${JSON.stringify(status.error)}`)

// A problem, typed by the document: an order that does not exist
const missing = await client.GET("/api/v1/orders/{id}", { headers: customer, params: { path: { id: "ord_missing" } } })

console.log(JSON.stringify({
  created: { status: created.response.status, body: created.data },
  search: { status: found.response.status, ids: found.data.products.map((product) => product.id) },
  order: { status: order.response.status, body: order.data },
  final: { status: status.response.status, body: status.data },
  missing: { status: missing.response.status, type: missing.error?.type }
}))
