// Catalog load test for k6 (https://k6.io): searches and product details through the gateway at a ramping arrival
// rate. The scenario (stages, rates, search terms, thresholds) lives in scenarios.json, which `npm run
// bench:catalog -- --k6` runs too. See README.md next to this file.
//
//   k6 run -e BASE_URL=https://shop.example.com tests/load/k6/catalog.js
import { check } from "k6"
import http from "k6/http"

const scenario = JSON.parse(open("./scenarios.json")).catalog
const BASE_URL = (__ENV.BASE_URL || "http://127.0.0.1:8080").replace(/\/+$/, "")
// Only needed when the gateway runs with CATALOG_PUBLIC=false.
const TOKEN = __ENV.TOKEN || ""
const headers = TOKEN ? { Authorization: `Bearer ${TOKEN}` } : {}

export const options = {
  scenarios: {
    catalog: {
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

const pick = (items) => items[Math.floor(Math.random() * items.length)]

/** Product ids from the first five pages of the catalog. */
export function setup() {
  const ids = []
  for (let page = 1; page <= 5; page++) {
    const response = http.get(`${BASE_URL}/api/v1/products?page=${page}&limit=100`, {
      headers,
      tags: { endpoint: "setup" }
    })
    if (response.status !== 200) throw new Error(`listing products failed: ${response.status} ${response.body}`)
    for (const product of response.json("products")) ids.push(product.id)
  }
  if (ids.length === 0) throw new Error("the catalog is empty: seed it first (npm run seed)")
  return { ids }
}

export default function(data) {
  if (Math.random() < scenario.searchShare) {
    const q = encodeURIComponent(pick(scenario.searchTerms))
    const response = http.get(`${BASE_URL}/api/v1/products/search?q=${q}${pick(scenario.searchFilters)}&limit=10`, {
      headers,
      tags: { endpoint: "search" }
    })
    check(response, {
      "search answered 200": (r) => r.status === 200,
      "search lists products": (r) => r.status === 200 && Array.isArray(r.json("products"))
    })
  } else {
    const response = http.get(`${BASE_URL}/api/v1/products/${pick(data.ids)}`, {
      headers,
      tags: { endpoint: "product" }
    })
    check(response, {
      "product answered 200": (r) => r.status === 200,
      "product has a price": (r) => r.status === 200 && typeof r.json("price") === "number"
    })
  }
}
