/**
 * Catalog read benchmark through the gateway: product search and product details on the seeded catalog.
 *
 *   npm start            # in another terminal
 *   npm run seed         # once: 10,000 products
 *   npm run bench:catalog [-- --duration 20 --connections 64]
 *
 * Prints requests/s and p50/p95/p99 per scenario and compares with the targets (search p95 < 50 ms).
 */
import { parseArgs } from "node:util"
import { formatResults, runLoad } from "./load.ts"

const { values } = parseArgs({
  options: {
    url: { type: "string", default: process.env.GATEWAY_URL ?? "http://127.0.0.1:8080" },
    duration: { type: "string", default: "20" },
    connections: { type: "string", default: "32" }
  }
})
const base = values.url
const durationS = Number(values.duration)
const connections = Number(values.connections)

const terms = ["mouse", "keyboard", "mose", "headphones", "lamp", "chair", "camera", "shoes", "bottle", "book"]
const categories = ["", "&category=Electronics", "&category=Home", "&min_price=10&max_price=100"]

/** Product ids to read, taken from the catalog itself so the bench works on any seed. */
const sampleIds = async () => {
  const ids: Array<string> = []
  for (let page = 1; page <= 5; page++) {
    const response = await fetch(`${base}/api/v1/products?page=${page}&limit=100`)
    if (!response.ok) throw new Error(`listing products failed: ${response.status} ${await response.text()}`)
    const body = (await response.json()) as { products: Array<{ id: string }> }
    ids.push(...body.products.map((p) => p.id))
  }
  if (ids.length === 0) throw new Error("the catalog is empty: run `npm run seed` first")
  return ids
}

const ids = await sampleIds()
const searchPaths = terms.flatMap((q) => categories.map((c) => `/api/v1/products/search?q=${q}${c}&limit=10`))
const detailPaths = ids.map((id) => `/api/v1/products/${id}`)

console.log(`gateway ${base}, ${connections} connections, ${durationS} s per scenario`)
const search = await runLoad({
  name: "search",
  base,
  durationS,
  connections,
  next: (i) => ({ method: "GET", path: searchPaths[i % searchPaths.length]! })
})
const details = await runLoad({
  name: "product details",
  base,
  durationS,
  connections,
  next: (i) => ({ method: "GET", path: detailPaths[i % detailPaths.length]! })
})
console.log(formatResults([search, details]))
console.log(`\ntarget: search p95 < 50 ms -> ${search.p95 < 50 ? "met" : "NOT met"} (p95 ${search.p95.toFixed(1)} ms)`)
