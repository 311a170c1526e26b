import { assert, describe, it } from "@effect/vitest"
import { Cents, Email, IdempotencyKey, PhoneNumber, ProductId, Sku, UserId } from "@shop/domain"
import { Effect, Layer } from "effect"
import { Backends } from "./fixtures/Backends.ts"
import { downAddress, sdk, startGateway, startGatewayAdmin } from "./fixtures/TestGateway.ts"
import { sign } from "./fixtures/Tokens.ts"

const withGateway = <A, E>(f: (baseUrl: string) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const backends = yield* Backends
    const baseUrl = yield* startGateway({ PRODUCT_GRPC_ADDR: backends.address, ORDER_GRPC_ADDR: backends.address })
    return yield* f(baseUrl)
  }).pipe(Effect.scoped, Effect.provide(Layer.fresh(Backends.layer)))

const fetchRaw = (url: string, init?: RequestInit) => Effect.promise(() => fetch(url, init))

const orderBody = (extra: Record<string, unknown> = {}) => ({
  items: [{ product_id: ProductId.make("prod_1abc"), quantity: 2 }],
  shipping_address: { street: "1 Main St", city: "Springfield", state: "IL", zip: "62701" },
  payment_method: "credit_card" as const,
  idempotency_key: IdempotencyKey.make("key-1"),
  ...extra
})

describe("gateway contract through the SDK", () => {
  it.live("an admin creates a product that anyone can read and search", () =>
    withGateway((baseUrl) =>
      Effect.gen(function*() {
        const admin = yield* sdk(baseUrl, yield* Effect.promise(() => sign("user_admin", ["admin"])))
        const created = yield* admin.products.create({
          payload: {
            name: "Wireless Mouse",
            price: Cents.make(2999),
            sku: Sku.make("MOUSE-001"),
            inventory: 10,
            category: "Electronics"
          }
        })
        assert.strictEqual(created.price, 2999)
        const anonymous = yield* sdk(baseUrl)
        const details = yield* anonymous.products.get({ params: { id: created.id } })
        assert.strictEqual(details.name, "Wireless Mouse")
        assert.strictEqual(details.cache_hit, false)
        const found = yield* anonymous.products.search({ query: { q: "mouse" } })
        assert.deepStrictEqual(found.products.map((p) => p.id), [created.id])
        assert.strictEqual(found.relaxed, false)
        const relaxed = yield* anonymous.products.search({ query: { q: "wireless mouse qwzxvy" } })
        assert.deepStrictEqual(relaxed.products.map((p) => p.id), [created.id])
        assert.strictEqual(relaxed.relaxed, true, "no product has every word: the answer says it was relaxed")
        const raw = yield* Effect.promise(() => fetch(`${baseUrl}/api/v1/products/${created.id}`).then((r) => r.json()))
        assert.strictEqual((raw as { price: number }).price, 29.99)
        const missing = yield* anonymous.products.get({ params: { id: ProductId.make("prod_nope") } }).pipe(Effect.flip)
        assert.strictEqual(missing._tag, "NotFound")
      })
    ))

  it.live("a customer cannot create products (403) and an unimplemented backend method answers 501", () =>
    withGateway((baseUrl) =>
      Effect.gen(function*() {
        const customer = yield* sdk(baseUrl, yield* Effect.promise(() => sign("user_a", ["customer"])))
        const error = yield* customer.products.create({
          payload: { name: "X", price: Cents.make(100), sku: Sku.make("X-1"), inventory: 1, category: "C" }
        }).pipe(Effect.flip)
        assert.strictEqual(error._tag, "Forbidden")
        const admin = yield* Effect.promise(() => sign("user_admin", ["admin"]))
        const response = yield* fetchRaw(`${baseUrl}/api/v1/products/prod_1abc`, {
          method: "PATCH",
          headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
          body: JSON.stringify({ name: "Y" })
        })
        assert.strictEqual(response.status, 501)
        assert.strictEqual(response.headers.get("content-type"), "application/problem+json")
      })
    ))

  it.live("orders are visible only to their owner", () =>
    withGateway((baseUrl) =>
      Effect.gen(function*() {
        const alice = yield* sdk(baseUrl, yield* Effect.promise(() => sign("user_alice", [])))
        const bob = yield* sdk(baseUrl, yield* Effect.promise(() => sign("user_bob", [])))
        const order = yield* alice.orders.create({ payload: orderBody() })
        assert.strictEqual(order.status, "pending")
        assert.strictEqual(order.total_amount, 5998)
        yield* bob.orders.create({ payload: orderBody({ idempotency_key: IdempotencyKey.make("key-2") }) })
        const own = yield* alice.orders.get({ params: { id: order.order_id } })
        assert.strictEqual(own.user_id, "user_alice")
        const stolen = yield* bob.orders.get({ params: { id: order.order_id } }).pipe(Effect.flip)
        assert.strictEqual(stolen._tag, "NotFound")
        const list = yield* alice.orders.list({ query: {} })
        assert.deepStrictEqual(list.orders.map((o) => o.user_id), ["user_alice"])
        const forged = yield* alice.orders.create({ payload: orderBody({ user_id: UserId.make("user_bob") }) }).pipe(
          Effect.flip
        )
        assert.strictEqual(forged._tag, "Forbidden")
        const anonymous = yield* fetchRaw(`${baseUrl}/api/v1/orders`)
        assert.strictEqual(anonymous.status, 401)
      })
    ))

  it.live("the customer's contact: the request's email and phone, else the token's email claim", () =>
    withGateway((baseUrl) =>
      Effect.gen(function*() {
        const token = yield* Effect.promise(() => sign("user_carol", [], { email: "carol@example.com" }))
        const carol = yield* sdk(baseUrl, token)
        const fromToken = yield* carol.orders.create({
          payload: orderBody({ idempotency_key: IdempotencyKey.make("c-1") })
        })
        assert.strictEqual((yield* carol.orders.get({ params: { id: fromToken.order_id } })).email, "carol@example.com")
        const given = yield* carol.orders.create({
          payload: orderBody({
            idempotency_key: IdempotencyKey.make("c-2"),
            email: Email.make("orders@carol.example"),
            phone: PhoneNumber.make("+14155550123")
          })
        })
        const shown = yield* carol.orders.get({ params: { id: given.order_id } })
        assert.strictEqual(shown.email, "orders@carol.example")
        assert.strictEqual(shown.phone, "+14155550123")
        const invalid = yield* fetchRaw(`${baseUrl}/api/v1/orders`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ ...orderBody({ idempotency_key: IdempotencyKey.make("c-3") }), email: "not an email" })
        })
        assert.strictEqual(invalid.status, 400)
      })
    ))

  it.live("request errors are problems: unknown field 400, oversized body 413, unknown route 404", () =>
    withGateway((baseUrl) =>
      Effect.gen(function*() {
        const token = yield* Effect.promise(() => sign("user_alice", []))
        const post = (body: string) =>
          fetchRaw(`${baseUrl}/api/v1/orders`, {
            method: "POST",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            body
          })
        const unknown = yield* post(JSON.stringify({ ...orderBody(), status: "confirmed" }))
        assert.strictEqual(unknown.status, 400)
        assert.strictEqual(unknown.headers.get("content-type"), "application/problem+json")
        const huge = yield* post(JSON.stringify({ ...orderBody(), padding: "x".repeat(70 * 1024) }))
        assert.strictEqual(huge.status, 413)
        assert.strictEqual(huge.headers.get("content-type"), "application/problem+json")
        const tooMany = yield* fetchRaw(`${baseUrl}/api/v1/products?limit=1000`)
        assert.strictEqual(tooMany.status, 400)
        const route = yield* fetchRaw(`${baseUrl}/api/v1/nothing/here`)
        assert.strictEqual(route.status, 404)
        assert.strictEqual(route.headers.get("content-type"), "application/problem+json")
        const body = yield* Effect.promise(() => route.json() as Promise<{ status: number; title: string }>)
        assert.strictEqual(body.status, 404)
        const method = yield* fetchRaw(`${baseUrl}/api/v1/orders/ord_1abc`, { method: "DELETE" })
        assert.strictEqual(method.status, 405)
        assert.strictEqual(method.headers.get("allow"), "GET")
        assert.strictEqual(method.headers.get("content-type"), "application/problem+json")
      })
    ))

  it.live("/openapi.json lists every route and /docs answers HTML", () =>
    withGateway((baseUrl) =>
      Effect.gen(function*() {
        const spec = yield* Effect.promise(() =>
          fetch(`${baseUrl}/openapi.json`).then((r) => r.json() as Promise<{ paths: Record<string, object> }>)
        )
        const operations = Object.entries(spec.paths).flatMap(([path, item]) =>
          Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`)
        ).toSorted()
        assert.deepStrictEqual(operations, [
          "GET /api/v1/admin/breakers",
          "GET /api/v1/admin/consumers",
          "GET /api/v1/admin/dead-letters",
          "GET /api/v1/admin/orders",
          "GET /api/v1/admin/outbox",
          "GET /api/v1/admin/refunds",
          "GET /api/v1/admin/sagas",
          "GET /api/v1/orders",
          "GET /api/v1/orders/{id}",
          "GET /api/v1/products",
          "GET /api/v1/products/search",
          "GET /api/v1/products/{id}",
          "GET /healthz",
          "PATCH /api/v1/products/{id}",
          "POST /api/v1/admin/dead-letters/{id}/redrive",
          "POST /api/v1/admin/refunds/{refund_id}/retry",
          "POST /api/v1/admin/sagas/{order_id}/retry",
          "POST /api/v1/orders",
          "POST /api/v1/products"
        ])
        const docs = yield* fetchRaw(`${baseUrl}/docs`)
        assert.strictEqual(docs.status, 200)
        assert.match(docs.headers.get("content-type") ?? "", /text\/html/)
      })
    ))
})

describe("gateway with a private catalog", () => {
  it.live("CATALOG_PUBLIC=false: catalog reads need a valid token", () =>
    Effect.gen(function*() {
      const backends = yield* Backends
      const baseUrl = yield* startGateway({
        PRODUCT_GRPC_ADDR: backends.address,
        ORDER_GRPC_ADDR: backends.address,
        CATALOG_PUBLIC: "false"
      })
      const anonymous = yield* fetchRaw(`${baseUrl}/api/v1/products`)
      assert.strictEqual(anonymous.status, 401)
      assert.strictEqual(anonymous.headers.get("content-type"), "application/problem+json")
      const forged = yield* fetchRaw(`${baseUrl}/api/v1/products`, { headers: { authorization: "Bearer abc.def.ghi" } })
      assert.strictEqual(forged.status, 401)
      const token = yield* Effect.promise(() => sign("user_alice", []))
      const customer = yield* sdk(baseUrl, token)
      const list = yield* customer.products.list({ query: {} })
      assert.strictEqual(list.total, 0)
    }).pipe(Effect.scoped, Effect.provide(Layer.fresh(Backends.layer))))
})

describe("gateway with its backends down", () => {
  it.live("answers 503 problems quickly; /healthz says 503 only, the admin port says which backend", () =>
    Effect.gen(function*() {
      const baseUrl = yield* startGateway({ PRODUCT_GRPC_ADDR: downAddress, ORDER_GRPC_ADDR: downAddress })
      const started = Date.now()
      const response = yield* fetchRaw(`${baseUrl}/api/v1/products`)
      assert.strictEqual(response.status, 503)
      assert.strictEqual(response.headers.get("content-type"), "application/problem+json")
      const body = yield* Effect.promise(() => response.json() as Promise<{ service: string; detail: string }>)
      assert.strictEqual(body.service, "product")
      assert.notInclude(body.detail, "127.0.0.1")
      // Well under the 1 s read deadline: a refused connection must not wait for it.
      assert.isBelow(Date.now() - started, 5_000)
      const health = yield* fetchRaw(`${baseUrl}/healthz`)
      assert.strictEqual(health.status, 503)
      const text = yield* Effect.promise(() => health.text())
      assert.notInclude(text, "product")
      assert.notInclude(text, "latency")
      const admin = yield* startGatewayAdmin({ PRODUCT_GRPC_ADDR: downAddress, ORDER_GRPC_ADDR: downAddress })
      const backends = yield* fetchRaw(`${admin}/backends`)
      assert.strictEqual(backends.status, 503)
      const report = yield* Effect.promise(() =>
        backends.json() as Promise<{ services: Record<string, { status: string }> }>
      )
      assert.deepStrictEqual(Object.keys(report.services).toSorted(), ["notification", "order", "product"])
      assert.strictEqual(report.services.product?.status, "down")
    }).pipe(Effect.scoped))
})
