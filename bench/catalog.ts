/**
 * Catalog read benchmark through the gateway, on the seeded catalog (npm run seed: 10,000 products).
 *
 *   npm run bench:catalog -- --duration 15 --connections 16              # closed loop, every scenario
 *   npm run bench:catalog -- --scenarios search-uncached --mode open --rate 300 --duration 20
 *   npm run bench:catalog -- --k6                                        # the k6 scenario of tests/load/k6
 *   npm run bench:catalog -- --scenarios details --generator wrk              # wrk sends (closed loop, GETs)
 *   add --start to start (and stop) a platform here; it is seeded first
 *
 * Scenarios:
 *   search           the search terms and filters of tests/load/k6/scenarios.json, repeated: mostly cache hits
 *   details          product details of 500 products of the catalog, repeated: mostly cache hits
 *   search-uncached  the same terms, each request with a price bound of its own, so that neither the gateway's nor
 *                    the product service's cache can answer: every answer is a ranked search in PostgreSQL, and one
 *                    that says `cache_hit: true` fails the run
 *
 * Only 200 answers count; any other status fails the run (exit 1). Prints the CPU each platform process spent per
 * request next to requests/s.
 */
import { execFileSync } from "node:child_process"
import { resolve } from "node:path"
import { benchPlatform, describeRun, finish, parse, positive } from "./lib/bench-setup.ts"
import { formatCpu, startCpuMeter } from "./lib/cpu.ts"
import { k6Scenario, latencyOf, reportThresholds } from "./lib/k6-scenarios.ts"
import { formatResults, type LoadMode, type LoadResult, runLoad, type Scenario } from "./lib/load.ts"
import { runWrk } from "./lib/wrk.ts"

const values = parse({
  connections: { type: "string", default: "32" },
  scenarios: { type: "string", default: "search,details,search-uncached" },
  "max-in-flight": { type: "string", default: "512" },
  generator: { type: "string", default: "node" },
  "wrk-threads": { type: "string", default: "1" }
})
const bench = await benchPlatform(values)
try {
  await run()
} finally {
  await bench.stop()
}

async function run() {
  const { gatewayUrl, platform } = bench
  if (values.start) seed(platform.setting("product", "DATABASE_URL"))
  describeRun(bench)
  const catalog = k6Scenario("catalog", positive("rate-scale", values["rate-scale"]))
  const terms = catalog.searchTerms ?? []
  const filters = catalog.searchFilters ?? [""]
  const searchPaths = terms.flatMap((q) =>
    filters.map((filter) => `/api/v1/products/search?q=${encodeURIComponent(q)}${filter}&limit=10`)
  )
  const ids = await sampleIds(gatewayUrl)
  const detailPaths = ids.map((id) => `/api/v1/products/${id}`)
  const durationS = positive("duration", values.duration, 600)
  const maxInFlight = positive("max-in-flight", values["max-in-flight"], 4096)
  const mode: LoadMode = values.mode === "open"
    ? {
      kind: "open",
      startRate: positive("rate", values.rate),
      stages: [{ durationS, target: positive("rate", values.rate) }],
      maxInFlight
    }
    : { kind: "closed", durationS, connections: positive("connections", values.connections, 4096) }
  const bases = platform.gateways
  if (values.generator !== "node" && values.generator !== "wrk") throw new Error("--generator is node or wrk")
  if (values.generator === "wrk" && (mode.kind !== "closed" || values.k6)) {
    throw new Error("--generator wrk runs the closed loop only")
  }
  const uncachedBase = 100_000_000 + (Date.now() % 1_000_000_000) * 1_000

  const scenarios: Record<string, Scenario> = {
    search: { name: "search", bases, next: (i) => ({ method: "GET", path: searchPaths[i % searchPaths.length]! }) },
    details: { name: "details", bases, next: (i) => ({ method: "GET", path: detailPaths[i % detailPaths.length]! }) },
    "search-uncached": {
      name: "search-uncached",
      bases,
      // a price bound of its own per request and per run ($1,000,000 and up: it filters nothing) makes every cache
      // key new, including the keys of earlier runs that a cache may still hold
      next: (i) => ({
        method: "GET",
        path: `/api/v1/products/search?q=${encodeURIComponent(terms[i % terms.length]!)}&max_price=${
          (uncachedBase + i) / 100
        }&limit=10`
      }),
      check: (body) => ((JSON.parse(body) as { cache_hit?: boolean }).cache_hit === false ? undefined : "cache hit")
    },
    // the k6 scenario: half searches, half details, at the arrival rates of scenarios.json
    k6: {
      name: "k6 catalog",
      bases,
      next: (i) =>
        Math.random() < (catalog.searchShare ?? 0.5)
          ? { method: "GET", path: searchPaths[i % searchPaths.length]!, tag: "search" }
          : { method: "GET", path: detailPaths[i % detailPaths.length]!, tag: "product" }
    }
  }

  const problems: Array<string> = []
  const results: Array<LoadResult> = []
  const selected = values.k6 ? ["k6"] : values.scenarios.split(",").map((name) => name.trim())
  for (const name of selected) {
    const scenario = scenarios[name]
    if (scenario === undefined) throw new Error(`unknown scenario ${name}: ${Object.keys(scenarios).join(", ")}`)
    const runMode: LoadMode = name === "k6"
      ? { kind: "open", startRate: catalog.startRate, stages: catalog.stages, maxInFlight }
      : mode
    const meter = await startCpuMeter(platform, gatewayUrl)
    const result = values.generator === "wrk" && runMode.kind === "closed"
      ? await runWrk(scenario, {
        durationS: runMode.durationS,
        connections: runMode.connections,
        threads: positive("wrk-threads", values["wrk-threads"], 64),
        paths: name === "details" ? detailPaths.length : searchPaths.length
      })
      : await runLoad(scenario, runMode)
    const cpu = await meter.stop()
    results.push(result)
    console.log(`\n${formatResults([result])}`)
    console.log(formatCpu(cpu, result.ok, "request"))
    if (result.failed) problems.push(`${name}: ${JSON.stringify(result.problems)}`)
    if (name === "search-uncached") {
      const met = result.ok > 0 && result.latency.p95 < 20
      console.log(
        `target uncached ranked search p95 < 20 ms: ${met ? "met" : "NOT met"} (${result.latency.p95.toFixed(1)} ms)`
      )
    }
    if (name === "k6") {
      console.log("\nk6 scenario thresholds (tests/load/k6/scenarios.json, measured by this bench):")
      const met = reportThresholds(catalog, {
        "http_req_duration{endpoint:search}": latencyOf(result.latencyByTag.search),
        "http_req_duration{endpoint:product}": latencyOf(result.latencyByTag.product),
        http_req_failed: (a) => (a === "rate" ? 1 - result.ok / result.sent : undefined),
        checks: (a) => (a === "rate" ? result.ok / result.sent : undefined)
      })
      if (!met) problems.push("k6 thresholds not met")
    }
  }
  const search = results.find((r) => r.name === "search")
  if (search !== undefined && search.ok > 0) {
    console.log(
      `\ntarget search p95 < 50 ms: ${search.latency.p95 < 50 ? "met" : "NOT met"} (${
        search.latency.p95.toFixed(1)
      } ms)`
    )
  }
  finish(problems)
}

/** Product ids to read, from the catalog itself so the bench works on any seed. */
async function sampleIds(base: string) {
  const ids: Array<string> = []
  for (let page = 1; page <= 5; page++) {
    const response = await fetch(`${base}/api/v1/products?page=${page}&limit=100`)
    if (!response.ok) throw new Error(`listing products failed: ${response.status} ${await response.text()}`)
    ids.push(...((await response.json()) as { products: Array<{ id: string }> }).products.map((p) => p.id))
  }
  if (ids.length === 0) throw new Error("the catalog is empty: run `npm run seed` first")
  return ids
}

/** Seeds the product database of a platform started here (10,000 products; idempotent). */
function seed(databaseUrl: string | undefined) {
  if (databaseUrl === undefined) throw new Error("the product service has no DATABASE_URL")
  console.log("seeding the catalog (npm run seed)...")
  execFileSync(process.execPath, [resolve(import.meta.dirname, "../scripts/seed.ts")], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: ["ignore", "ignore", "inherit"]
  })
}
