import { assert, describe, it } from "@effect/vitest"
import { InvalidRequestError, ProblemError, ShopMesh, ShopMeshError } from "../src/index.ts"

/** A `fetch` that records each request and answers with `respond`'s response. */
const fakeFetch = (respond: (request: Request) => Response | Promise<Response>) => {
  const requests: Array<{ readonly method: string; readonly url: string; readonly headers: Headers; body: string }> = []
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init)
    requests.push({ method: request.method, url: request.url, headers: request.headers, body: await request.text() })
    return respond(new Request(input, init))
  }
  return { fetch: fetch as typeof globalThis.fetch, requests }
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": status >= 400 ? "application/problem+json" : "application/json", ...headers }
  })

const created = {
  id: "prod_1a2b3c4d",
  name: "Wireless Mouse",
  price: 29.99,
  sku: "MOUSE-001",
  inventory: 100,
  created_at: "2025-10-21T10:30:00Z"
}

describe("ShopMesh (Promise API)", () => {
  it("sends the spec's JSON with the bearer token and resolves the answer as JSON (decimals, strings)", async () => {
    const { fetch, requests } = fakeFetch(() => json(201, created))
    const shop = new ShopMesh({ baseUrl: "http://gateway.test", token: "t0ken", fetch })
    const product = await shop.products.create({
      name: "Wireless Mouse",
      description: "Ergonomic wireless mouse with 3200 DPI",
      price: 29.99,
      sku: "MOUSE-001",
      inventory: 100,
      category: "Electronics"
    })
    assert.deepStrictEqual(product, { ...created, created_at: "2025-10-21T10:30:00.000Z" })
    assert.strictEqual(requests.length, 1)
    assert.strictEqual(requests[0]!.method, "POST")
    assert.strictEqual(requests[0]!.url, "http://gateway.test/api/v1/products")
    assert.strictEqual(requests[0]!.headers.get("authorization"), "Bearer t0ken")
    assert.strictEqual(JSON.parse(requests[0]!.body).price, 29.99)
  })

  it("puts search filters in the query, prices given as numbers or strings", async () => {
    const { fetch, requests } = fakeFetch(() => json(200, { products: [], total: 0, page: 1, cache_hit: false }))
    const shop = new ShopMesh({ baseUrl: "http://gateway.test", fetch })
    const page = await shop.products.search({ q: "mouse", category: "Electronics", min_price: 20, max_price: "50" })
    assert.strictEqual(page.total, 0)
    const url = new URL(requests[0]!.url)
    assert.strictEqual(url.pathname, "/api/v1/products/search")
    assert.strictEqual(url.searchParams.get("q"), "mouse")
    assert.strictEqual(Number(url.searchParams.get("min_price")), 20)
    assert.strictEqual(Number(url.searchParams.get("max_price")), 50)
    assert.isNull(requests[0]!.headers.get("authorization"))
  })

  it("rejects a declared problem with a ProblemError carrying status, type, detail, members and headers", async () => {
    const problem = {
      type: "/problems/insufficient-stock",
      title: "Insufficient Stock",
      status: 409,
      detail: "product prod_1: requested 3, available 1",
      product_id: "prod_1",
      requested: 3,
      available: 1,
      request_id: "req_42"
    }
    const { fetch } = fakeFetch(() => json(409, problem))
    const shop = new ShopMesh({ baseUrl: "http://gateway.test", token: "t", fetch })
    const error = await shop.products.get("prod_1").catch((e: unknown) => e)
    assert.instanceOf(error, ProblemError)
    assert.instanceOf(error, ShopMeshError)
    const failure = error as ProblemError
    assert.strictEqual(failure.status, 409)
    assert.strictEqual(failure.type, "/problems/insufficient-stock")
    assert.strictEqual(failure.code, "insufficient-stock")
    assert.strictEqual(failure.detail, problem.detail)
    assert.strictEqual(failure.problem["available"], 1)
    assert.strictEqual(failure.requestId, "req_42")
  })

  it("rejects an undeclared problem (a 429 with Retry-After, a 400 with errors) the same way", async () => {
    const { fetch } = fakeFetch((request) =>
      request.method === "GET"
        ? json(429, { type: "/problems/rate-limited", title: "Too Many Requests", status: 429, detail: "slow down" }, {
          "retry-after": "7",
          "x-request-id": "req_7"
        })
        : json(400, {
          type: "about:blank",
          title: "Bad Request",
          status: 400,
          errors: [{ path: ["payload", "sku"], message: "taken" }]
        })
    )
    const shop = new ShopMesh({ baseUrl: "http://gateway.test", token: "t", fetch })
    const limited = (await shop.orders.list().catch((e: unknown) => e)) as ProblemError
    assert.instanceOf(limited, ProblemError)
    assert.strictEqual(limited.status, 429)
    assert.strictEqual(limited.retryAfter, 7)
    assert.strictEqual(limited.requestId, "req_7")
    const bad = (await shop.products.update("prod_1", { price: 10 }).catch((e: unknown) => e)) as ProblemError
    assert.instanceOf(bad, ProblemError)
    assert.strictEqual(bad.code, "about:blank")
    assert.deepStrictEqual(bad.problem.errors, [{ path: ["payload", "sku"], message: "taken" }])
  })

  it("refuses input that breaks the contract without sending anything, naming every invalid value", async () => {
    const { fetch, requests } = fakeFetch(() => json(201, created))
    const shop = new ShopMesh({ baseUrl: "http://gateway.test", token: "t", fetch })
    const error = await shop.orders.create({
      items: [{ product_id: "prod_1", quantity: 0 }],
      shipping_address: { street: "123 Main St", city: "San Francisco", state: "CA", zip: "94102" },
      payment_method: "credit_card",
      idempotency_key: "order_2025_abc123",
      // @ts-expect-error: an unknown member, refused like the gateway refuses it
      status: "confirmed"
    }).catch((e: unknown) => e)
    assert.instanceOf(error, InvalidRequestError)
    const paths = (error as InvalidRequestError).issues.map((issue) => issue.path.join("."))
    assert.includeMembers(paths, ["items.0.quantity", "status"])
    assert.strictEqual(requests.length, 0)
  })

  it("rejects an unreachable gateway, a non-problem error body and an abort with a ShopMeshError", async () => {
    const down = new ShopMesh({
      baseUrl: "http://gateway.test",
      fetch: () => Promise.reject(new TypeError("fetch failed"))
    })
    const unreachable = await down.health.check().catch((e: unknown) => e)
    assert.instanceOf(unreachable, ShopMeshError)
    assert.notInstanceOf(unreachable, ProblemError)
    assert.match((unreachable as Error).message, /could not be reached/)

    const html = new ShopMesh({
      baseUrl: "http://gateway.test",
      fetch: async () => new Response("<html>bad gateway</html>", { status: 502 })
    })
    const proxy = await html.products.list().catch((e: unknown) => e)
    assert.instanceOf(proxy, ShopMeshError)
    assert.match((proxy as Error).message, /502/)

    const slow = new ShopMesh({
      baseUrl: "http://gateway.test",
      fetch: (_input, init) =>
        new Promise((_, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal!.reason)))
    })
    const controller = new AbortController()
    const pending = slow.products.list({}, { signal: controller.signal }).catch((e: unknown) => e)
    controller.abort(new Error("user left"))
    const aborted = await pending
    assert.instanceOf(aborted, ShopMeshError)
    assert.match((aborted as Error).message, /aborted/)
  })

  it("rejects a success body that breaks the contract instead of resolving it", async () => {
    const { fetch } = fakeFetch(() => json(201, { ...created, price: "free" }))
    const shop = new ShopMesh({ baseUrl: "http://gateway.test", token: "t", fetch })
    const error = await shop.products.create({
      name: "Wireless Mouse",
      price: 29.99,
      sku: "MOUSE-001",
      inventory: 100,
      category: "Electronics"
    }).catch((e: unknown) => e)
    assert.instanceOf(error, ShopMeshError)
    assert.match((error as Error).message, /does not match the contract/)
  })
})
