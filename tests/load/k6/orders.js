// Order load test for k6 (https://k6.io): customers placing orders through the gateway at a ramping arrival rate.
// The scenario (stages, rates, thresholds) lives in scenarios.json, which `npm run bench:orders -- --k6` runs too.
// See README.md next to this file.
//
//   k6 run -e BASE_URL=https://shop.example.com -e CUSTOMER_TOKEN=... -e ADMIN_TOKEN=... tests/load/k6/orders.js
import { check } from "k6"
import http from "k6/http"

const scenario = JSON.parse(open("./scenarios.json")).orders
const BASE_URL = (__ENV.BASE_URL || "http://127.0.0.1:8080").replace(/\/+$/, "")
// A customer's bearer token: every order is placed as this user.
const CUSTOMER_TOKEN = __ENV.CUSTOMER_TOKEN || ""
// An admin's bearer token, to create the product the orders buy; not needed with PRODUCT_ID.
const ADMIN_TOKEN = __ENV.ADMIN_TOKEN || ""
// An existing product with enough stock for the whole run.
const PRODUCT_ID = __ENV.PRODUCT_ID || ""

export const options = {
  scenarios: {
    orders: {
      executor: scenario.executor,
      startRate: scenario.startRate,
      timeUnit: scenario.timeUnit,
      stages: scenario.stages,
      preAllocatedVUs: scenario.preAllocatedVUs,
      maxVUs: scenario.maxVUs
    }
  },
  thresholds: scenario.thresholds
}

const json = (token) => ({ Authorization: `Bearer ${token}`, "Content-Type": "application/json" })

/** The product to buy: PRODUCT_ID, or one created with ADMIN_TOKEN with stock for every planned order. */
export function setup() {
  if (!CUSTOMER_TOKEN) throw new Error("set CUSTOMER_TOKEN to a customer's bearer token (npm run -s token -- --sub k6_user)")
  const run = Date.now().toString(36)
  if (PRODUCT_ID) return { productId: PRODUCT_ID, run }
  if (!ADMIN_TOKEN) throw new Error("set ADMIN_TOKEN (npm run -s token -- --sub k6_admin --role admin) or PRODUCT_ID")
  const response = http.post(
    `${BASE_URL}/api/v1/products`,
    JSON.stringify({
      name: "Load Test Widget",
      description: "Bought by the k6 order scenario",
      price: 9.99,
      sku: `K6-${run}`.toUpperCase(),
      inventory: 10000000,
      category: "Load Test"
    }),
    { headers: json(ADMIN_TOKEN), tags: { endpoint: "setup" } }
  )
  if (response.status !== 201) throw new Error(`creating the product failed: ${response.status} ${response.body}`)
  return { productId: response.json("id"), run }
}

export default function(data) {
  const response = http.post(
    `${BASE_URL}/api/v1/orders`,
    JSON.stringify({
      items: [{ product_id: data.productId, quantity: 1 }],
      shipping_address: { street: "1 Load Test Way", city: "San Francisco", state: "CA", zip: "94102" },
      payment_method: "credit_card",
      idempotency_key: `k6-${data.run}-${__VU}-${__ITER}`
    }),
    { headers: json(CUSTOMER_TOKEN), tags: { endpoint: "create_order" } }
  )
  check(response, {
    "order accepted (201/202)": (r) => r.status === 201 || r.status === 202,
    "order pending or confirmed": (r) => r.status < 300 && ["pending", "confirmed"].includes(r.json("status"))
  })
}
