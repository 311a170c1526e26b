/**
 * k6 is not packaged for npm or Debian, so the k6 scripts cannot run here. This checks what can be checked without
 * it: they parse, import nothing but k6's own modules, declare ramping-arrival-rate scenarios with the thresholds
 * the targets ask for (the same scenario file the project's benches run), and, run against stand-ins of k6's
 * modules, send requests that the REST contract accepts, to BASE_URL, with the tokens from the environment.
 */
import { CreateOrderRequest, SearchProductsQuery } from "@shop/domain"
import { Schema } from "effect"
import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { type RecordedRequest, requests, responder } from "./stubs/http.ts"
import { checks } from "./stubs/k6.ts"

const dir = resolve(import.meta.dirname, "..")
const scenarios = JSON.parse(readFileSync(join(dir, "scenarios.json"), "utf8")) as Record<string, {
  readonly executor: string
  readonly stages: ReadonlyArray<{ readonly duration: string; readonly target: number }>
  readonly thresholds: Record<string, ReadonlyArray<string>>
}>
const k6Modules = new Set(["k6", "k6/http", "k6/metrics", "k6/execution", "k6/crypto", "k6/encoding", "k6/data"])
const scripts = ["catalog.js", "orders.js"] as const

// k6's init-context globals
Object.assign(globalThis, {
  __ENV: {
    BASE_URL: "http://gateway.test:8080/",
    CUSTOMER_TOKEN: "customer-token",
    ADMIN_TOKEN: "admin-token"
  },
  __VU: 3,
  __ITER: 7,
  open: (path: string) => readFileSync(resolve(dir, path), "utf8")
})

interface K6Script {
  readonly options: {
    readonly scenarios: Record<string, { readonly executor: string; readonly stages: unknown; readonly maxVUs: number }>
    readonly thresholds: Record<string, ReadonlyArray<string>>
  }
  readonly setup: () => unknown
  readonly default: (data: unknown) => void
}
const load = (name: string) => import(join(dir, name)) as Promise<K6Script>

describe("k6 scripts", () => {
  it.each(scripts)("%s is valid JavaScript that imports only k6 modules", (name) => {
    const checked = spawnSync(process.execPath, ["--check", join(dir, name)], { encoding: "utf8" })
    expect(checked.stderr).toBe("")
    expect(checked.status).toBe(0)
    const source = readFileSync(join(dir, name), "utf8")
    const imported = [...source.matchAll(/^\s*import\s+(?:[^"']*\s+from\s+)?["']([^"']+)["']/gm)].map((m) => m[1]!)
    expect(imported.length).toBeGreaterThan(0)
    expect(imported.filter((module) => !k6Modules.has(module))).toEqual([])
    expect(source).not.toMatch(/\brequire\s*\(|\bimport\s*\(/)
  })

  it.each(
    [
      ["catalog.js", "catalog", ["http_req_duration{endpoint:search}", "p(95)<50"]],
      ["orders.js", "orders", ["http_req_duration{endpoint:create_order}", "p(95)<100"]]
    ] as const
  )("%s ramps the arrival rate of scenarios.json and holds it to the targets", async (name, key, target) => {
    const { options } = await load(name)
    const scenario = options.scenarios[key]!
    expect(scenario.executor).toBe("ramping-arrival-rate")
    expect(scenario.stages).toEqual(scenarios[key]!.stages)
    expect(scenario.maxVUs).toBeGreaterThan(0)
    expect(options.thresholds[target[0]]).toContain(target[1])
    expect(options.thresholds["http_req_failed"]).toContain("rate<0.01")
    expect(options.thresholds).toEqual(scenarios[key]!.thresholds)
  })
})

describe("the requests the k6 scripts send", () => {
  beforeAll(() => {
    responder.respond = (request: RecordedRequest) => {
      const path = new URL(request.url).pathname
      if (request.method === "POST" && path === "/api/v1/products") return { status: 201, body: { id: "prod_k6" } }
      if (request.method === "POST") {
        return { status: 202, body: { order_id: "ord_1", status: "pending" } }
      }
      if (path === "/api/v1/products") return { status: 200, body: { products: [{ id: "prod_a" }, { id: "prod_b" }] } }
      if (path === "/api/v1/products/search") return { status: 200, body: { products: [] } }
      return { status: 200, body: { id: "prod_a", price: 9.99 } }
    }
  })

  it("orders.js creates its product as the admin, then places orders the contract accepts, as the customer", async () => {
    requests.length = 0
    checks.length = 0
    const script = await load("orders.js")
    const data = script.setup()
    expect(requests[0]!.url).toBe("http://gateway.test:8080/api/v1/products")
    expect(requests[0]!.params?.headers?.Authorization).toBe("Bearer admin-token")
    script.default(data)
    const order = requests[1]!
    expect(order.method).toBe("POST")
    expect(order.url).toBe("http://gateway.test:8080/api/v1/orders")
    expect(order.params?.headers?.Authorization).toBe("Bearer customer-token")
    expect(order.params?.tags?.endpoint).toBe("create_order")
    const body = Schema.decodeUnknownSync(CreateOrderRequest)(JSON.parse(order.body!))
    expect(body.items[0]!.product_id).toBe("prod_k6")
    expect(body.idempotency_key).toMatch(/-3-7$/)
    expect(checks.every((c) => c.passed)).toBe(true)
  })

  it("catalog.js searches and reads products with queries the contract accepts", async () => {
    requests.length = 0
    checks.length = 0
    const script = await load("catalog.js")
    const data = script.setup()
    for (let i = 0; i < 40; i++) script.default(data)
    const reads = requests.slice(5)
    const searches = reads.filter((r) => r.params?.tags?.endpoint === "search")
    const details = reads.filter((r) => r.params?.tags?.endpoint === "product")
    expect(searches.length).toBeGreaterThan(0)
    expect(details.length).toBeGreaterThan(0)
    for (const search of searches) {
      const url = new URL(search.url)
      expect(url.origin + url.pathname).toBe("http://gateway.test:8080/api/v1/products/search")
      Schema.decodeUnknownSync(Schema.toCodecStringTree(SearchProductsQuery))(Object.fromEntries(url.searchParams))
    }
    for (const detail of details) {
      expect(detail.url).toMatch(/^http:\/\/gateway\.test:8080\/api\/v1\/products\/prod_[ab]$/)
    }
    expect(checks.every((c) => c.passed)).toBe(true)
  })
})
