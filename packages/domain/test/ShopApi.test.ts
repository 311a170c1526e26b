import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Schema } from "effect"
import { FetchHttpClient } from "effect/http"
import { OpenApi } from "effect/http-api"
import { NotFound, Unauthorized } from "../src/Errors.ts"
import { ProductId } from "../src/Ids.ts"
import { Cents } from "../src/Money.ts"
import { Sku } from "../src/Product.ts"
import { ShopClient } from "../src/Sdk.ts"
import {
  CreatedProduct,
  CreateOrderRequest,
  CreateProductRequest,
  OrderAccepted,
  OrderJson,
  SearchResult,
  ShopApi,
  toPaymentStatusJson,
  UpdateProductRequest
} from "../src/ShopApi.ts"
import { makeFakeGateway } from "./fixtures/FakeGateway.ts"
import * as Spec from "./fixtures/SpecExamples.ts"

const strict = { onExcessProperty: "error" } as const
const decodes = (schema: Schema.Top, input: unknown) =>
  Exit.isSuccess(Schema.decodeUnknownExit(schema as Schema.Codec<unknown, unknown>)(input, strict))

describe("ShopApi contract", () => {
  const spec = OpenApi.fromApi(ShopApi)

  it("documents every endpoint in an OpenAPI 3.1 document", () => {
    assert.strictEqual(spec.openapi, "3.1.0")
    assert.strictEqual(spec.info.title, "Shop Mesh API")
    assert.strictEqual(spec.info.version, "1.0.0")
    const operations = Object.entries(spec.paths).flatMap(([path, item]) =>
      Object.keys(item as object).map((method) => `${method.toUpperCase()} ${path}`)
    )
    assert.sameMembers(operations, [
      "POST /api/v1/products",
      "GET /api/v1/products",
      "GET /api/v1/products/search",
      "GET /api/v1/products/{id}",
      "PATCH /api/v1/products/{id}",
      "POST /api/v1/orders",
      "GET /api/v1/orders",
      "GET /api/v1/orders/{id}",
      "GET /healthz",
      "GET /api/v1/admin/orders",
      "GET /api/v1/admin/sagas",
      "POST /api/v1/admin/sagas/{order_id}/retry",
      "GET /api/v1/admin/refunds",
      "POST /api/v1/admin/refunds/{refund_id}/retry",
      "GET /api/v1/admin/dead-letters",
      "POST /api/v1/admin/dead-letters/{id}/redrive",
      "GET /api/v1/admin/breakers",
      "GET /api/v1/admin/consumers",
      "GET /api/v1/admin/outbox"
    ])
  })

  it("requires a bearer token exactly on admin and order endpoints", () => {
    const secured = (path: string, method: string) =>
      ((spec.paths[path] as Record<string, { security?: Array<unknown> }>)[method]!.security ?? []).length > 0
    assert.isTrue(secured("/api/v1/products", "post"))
    assert.isTrue(secured("/api/v1/products/{id}", "patch"))
    assert.isTrue(secured("/api/v1/orders", "post"))
    assert.isTrue(secured("/api/v1/orders", "get"))
    assert.isTrue(secured("/api/v1/orders/{id}", "get"))
    for (const path of Object.keys(spec.paths).filter((each) => each.startsWith("/api/v1/admin/"))) {
      for (const method of Object.keys(spec.paths[path] as object)) assert.isTrue(secured(path, method), path)
    }
    assert.isFalse(secured("/api/v1/products", "get"))
    assert.isFalse(secured("/api/v1/products/search", "get"))
    assert.isFalse(secured("/api/v1/products/{id}", "get"))
    assert.isFalse(secured("/healthz", "get"))
    assert.deepInclude(spec.components.securitySchemes.bearer, { type: "http", scheme: "Bearer", bearerFormat: "JWT" })
  })

  it("documents errors as application/problem+json and refuses unknown body members", () => {
    const post = (spec.paths["/api/v1/orders"] as Record<string, any>).post
    // Placing an order fails only with what the operation declares (OperationErrors.placeOrder: 400, 409 while a
    // request with the key is in flight, 422), the gateway's own answers (401, 403, 429) and an unusable backend
    // (500, 503, 504); a decline or a stock-out is the order's outcome, never an error of the call.
    for (const status of ["400", "401", "403", "409", "422", "429", "500", "503", "504"]) {
      assert.property(post.responses[status].content, "application/problem+json", status)
    }
    assert.hasAllKeys(post.responses, ["201", "202", "400", "401", "403", "409", "422", "429", "500", "503", "504"])
    const schemas = spec.components.schemas as Record<string, { additionalProperties?: boolean }>
    for (const name of ["CreateProductRequest", "UpdateProductRequest", "CreateOrderRequest", "OrderItemRequest"]) {
      assert.strictEqual(schemas[name]!.additionalProperties, false, name)
    }
  })

  it("decodes the specification's examples unchanged", () => {
    assert.isTrue(decodes(CreateProductRequest, Spec.createProductRequest))
    assert.isTrue(decodes(CreatedProduct, Spec.createProductResponse))
    assert.isTrue(decodes(SearchResult, Spec.searchResponse))
    assert.isTrue(decodes(CreateOrderRequest, Spec.createOrderRequest))
    assert.isTrue(decodes(OrderAccepted, Spec.createOrderResponse))
    assert.isTrue(decodes(OrderJson, Spec.orderStatusResponse))

    const product = Schema.decodeUnknownSync(CreateProductRequest)(Spec.createProductRequest)
    assert.strictEqual(product.price, 2999)
    const created = Schema.decodeUnknownSync(CreatedProduct)(Spec.createProductResponse)
    assert.strictEqual(created.id, "prod_1a2b3c4d")
    const order = Schema.decodeUnknownSync(OrderJson)(Spec.orderStatusResponse)
    assert.strictEqual(order.total_amount, 8997)
    assert.strictEqual(order.payment_status, toPaymentStatusJson("succeeded"))
    // and they encode back to the same JSON (timestamps gain milliseconds)
    const encoded = Schema.encodeSync(OrderJson)(order)
    assert.deepStrictEqual<unknown>(
      {
        ...encoded,
        created_at: Spec.orderStatusResponse.created_at,
        confirmed_at: Spec.orderStatusResponse.confirmed_at
      },
      Spec.orderStatusResponse
    )
  })

  it("refuses request members a client may not set (mass assignment)", () => {
    const order = Spec.createOrderRequest
    const product = Spec.createProductRequest
    const attempts: ReadonlyArray<readonly [Schema.Top, unknown]> = [
      [CreateProductRequest, { ...product, id: "prod_mine" }],
      [CreateProductRequest, { ...product, reserved: 0 }],
      [CreateProductRequest, { ...product, created_at: "2020-01-01T00:00:00Z" }],
      [UpdateProductRequest, { price: 1, reserved: 5 }],
      [UpdateProductRequest, { sku: "OTHER-1" }],
      [CreateOrderRequest, { ...order, status: "confirmed" }],
      [CreateOrderRequest, { ...order, total_amount: 0.01 }],
      [CreateOrderRequest, { ...order, items: [{ ...order.items[0], unit_price: 0.01 }] }],
      [CreateOrderRequest, { ...order, shipping_address: { ...order.shipping_address, country: "US" } }]
    ]
    for (const [schema, input] of attempts) assert.isFalse(decodes(schema, input), JSON.stringify(input))
    assert.isFalse(decodes(UpdateProductRequest, {}))
    assert.isTrue(decodes(UpdateProductRequest, { price: 24.99 }))
  })
})

describe("ShopApi over HTTP", () => {
  const gateway = makeFakeGateway()
  const request = (method: string, path: string, body?: unknown, token?: string) =>
    gateway.handler(
      new Request(`http://shop.test${path}`, {
        method,
        headers: {
          "content-type": "application/json",
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` })
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) })
      })
    )

  it("answers the specification's requests with the specification's shapes", async () => {
    const created = await request("POST", "/api/v1/products", Spec.createProductRequest, "admin")
    assert.strictEqual(created.status, 201)
    const product = await created.json()
    assert.include(product, { id: "prod_1a2b3c4d", name: "Wireless Mouse", price: 29.99, sku: "MOUSE-001" })

    const search = await request("GET", Spec.searchPath)
    assert.strictEqual(search.status, 200)
    assert.deepStrictEqual(await search.json(), { ...Spec.searchResponse, total: 2000, has_more: false }) // the fake echoes min_price

    const pending = await request("POST", "/api/v1/orders", Spec.createOrderRequest, "customer")
    assert.strictEqual(pending.status, 202)
    assert.deepStrictEqual(await pending.json(), {
      ...Spec.createOrderResponse,
      created_at: "2025-10-21T10:30:00.000Z"
    })
    const done = await request(
      "POST",
      "/api/v1/orders",
      { ...Spec.createOrderRequest, payment_method: "pm_card_visa" },
      "customer"
    )
    assert.strictEqual(done.status, 201)
  })

  it("answers invalid requests with a 400 problem naming each offending member", async () => {
    const response = await request(
      "POST",
      "/api/v1/products",
      { ...Spec.createProductRequest, price: 29.999, id: "prod_mine", reserved: 3 },
      "admin"
    )
    assert.strictEqual(response.status, 400)
    assert.strictEqual(response.headers.get("content-type"), "application/problem+json")
    const problem = await response.json()
    // The one shape of every 400: the ValidationError problem, naming the first field and listing every issue
    assert.strictEqual(problem.type, "/problems/validation-error")
    assert.strictEqual(problem.title, "Validation Failed")
    assert.include(["price", "id", "reserved"], problem.field)
    assert.sameDeepMembers(problem.errors.map((e: { path: Array<unknown> }) => e.path), [
      ["payload", "price"],
      ["payload", "id"],
      ["payload", "reserved"]
    ])
    const query = await request("GET", "/api/v1/products/search?min_price=50&max_price=20")
    assert.strictEqual(query.status, 400)
    const badId = await request("GET", "/api/v1/products/ord_1")
    assert.strictEqual(badId.status, 400)
  })

  it("renders domain errors as typed problems", async () => {
    const missing = await request("GET", "/api/v1/products/prod_missing")
    assert.strictEqual(missing.status, 404)
    assert.strictEqual(missing.headers.get("content-type"), "application/problem+json")
    assert.deepStrictEqual(await missing.json(), {
      type: "/problems/not-found",
      title: "Not Found",
      status: 404,
      detail: "Product prod_missing was not found",
      entity: "Product",
      id: "prod_missing"
    })
    assert.strictEqual((await request("POST", "/api/v1/products", Spec.createProductRequest)).status, 401)
    assert.strictEqual((await request("POST", "/api/v1/products", Spec.createProductRequest, "customer")).status, 403)
  })

  const fakeFetch: typeof fetch = (input, init) => gateway.handler(new Request(input, init))
  const withSdk = <A, E>(token: string | undefined, f: (shop: ShopClient["Service"]) => Effect.Effect<A, E>) =>
    Effect.gen(function*() {
      const shop = yield* ShopClient.make({ baseUrl: "http://shop.test", token })
      return yield* f(shop)
    }).pipe(Effect.provide(FetchHttpClient.layer), Effect.provideService(FetchHttpClient.Fetch, fakeFetch))

  it.effect("serves the typed SDK, amounts in cents and errors as domain classes", () =>
    Effect.gen(function*() {
      const created = yield* withSdk("admin", (shop) =>
        shop.products.create({
          payload: {
            name: "Wireless Mouse",
            description: "Ergonomic wireless mouse with 3200 DPI",
            price: Cents.make(2999),
            sku: Sku.make("MOUSE-001"),
            inventory: 100,
            category: "Electronics"
          }
        }))
      assert.strictEqual(created.price, 2999)
      assert.strictEqual(created.id, "prod_1a2b3c4d")

      const list = yield* withSdk(undefined, (shop) => shop.products.list({ query: { limit: 10 } }))
      assert.strictEqual(list.limit, 10)
      assert.strictEqual(list.products[0]!.available, 98)

      const missing = yield* withSdk(undefined, (shop) =>
        shop.products.get({ params: { id: ProductId.make("prod_missing") } })).pipe(Effect.flip)
      assert.instanceOf(missing, NotFound)

      const anonymous = yield* withSdk(undefined, (shop) =>
        shop.orders.list({ query: {} })).pipe(Effect.flip)
      assert.instanceOf(anonymous, Unauthorized)

      const health = yield* withSdk(undefined, (shop) => shop.health.check())
      assert.strictEqual(health.status, "ok")
    }))
})
