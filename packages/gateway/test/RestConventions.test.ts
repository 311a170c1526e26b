import { assert, describe, it } from "@effect/vitest"
import { ShopClient, ValidationError } from "@shop/domain"
import { Effect, Layer, Tracer } from "effect"
import { FetchHttpClient } from "effect/http"
import { randomBytes } from "node:crypto"
import { connect } from "node:net"
import { Backends } from "./fixtures/Backends.ts"
import { startGateway } from "./fixtures/TestGateway.ts"
import { sign } from "./fixtures/Tokens.ts"

interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly body: Record<string, any>
}

const call = (url: string, init: RequestInit = {}): Effect.Effect<Answer> =>
  Effect.promise(async () => {
    const response = await fetch(url, init)
    const text = await response.text()
    return { status: response.status, headers: response.headers, body: text === "" ? {} : JSON.parse(text) }
  })

const withGateway = <A, E>(env: Record<string, string>, f: (baseUrl: string) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const backends = yield* Backends
    const baseUrl = yield* startGateway({
      PRODUCT_GRPC_ADDR: backends.address,
      ORDER_GRPC_ADDR: backends.address,
      ...env
    })
    return yield* f(baseUrl)
  }).pipe(Effect.scoped, Effect.provide(Layer.fresh(Backends.layer)))

const orderBody = {
  items: [{ product_id: "prod_1abc", quantity: 2 }],
  shipping_address: { street: "1 Main St", city: "Springfield", state: "IL", zip: "62701" },
  payment_method: "credit_card"
}

const validationType = "/problems/validation-error"

/** Sends raw bytes and returns the raw answer (for what fetch cannot send: malformed HTTP). */
const rawExchange = (baseUrl: string, bytes: string) =>
  Effect.callback<string>((resume) => {
    const url = new URL(baseUrl)
    const socket = connect({ host: url.hostname, port: Number(url.port) }, () => socket.write(bytes))
    let answer = ""
    socket.on("data", (chunk) => (answer += chunk.toString("utf8")))
    socket.on("close", () => resume(Effect.succeed(answer)))
    socket.on("error", () => resume(Effect.succeed(answer)))
  })

describe("request ids and problems", () => {
  it.live("X-Request-Id: a client's well-formed id is echoed, anything else replaced; problems carry it", () =>
    withGateway({}, (baseUrl) =>
      Effect.gen(function*() {
        const own = yield* call(`${baseUrl}/api/v1/products`, { headers: { "x-request-id": "client-req.42:a_b" } })
        assert.strictEqual(own.headers.get("x-request-id"), "client-req.42:a_b")
        const generated = yield* call(`${baseUrl}/api/v1/products`)
        assert.match(generated.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/)
        for (const hostile of ["has spaces in it", "x".repeat(129), "semi;colon", "<script>"]) {
          const replaced = yield* call(`${baseUrl}/api/v1/products`, { headers: { "x-request-id": hostile } })
          assert.match(replaced.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/, hostile)
        }
        const missing = yield* call(`${baseUrl}/api/v1/products/prod_nope`, {
          headers: { "x-request-id": "find-me-1" }
        })
        assert.strictEqual(missing.status, 404)
        assert.strictEqual(missing.body["request_id"], "find-me-1")
        // Every kind of problem: the router's 404, the limiter's 401, a handler's 403
        const route = yield* call(`${baseUrl}/api/v1/nowhere`)
        assert.strictEqual(route.body["request_id"], route.headers.get("x-request-id"))
        const anonymous = yield* call(`${baseUrl}/api/v1/orders`)
        assert.strictEqual(anonymous.status, 401)
        assert.strictEqual(anonymous.body["request_id"], anonymous.headers.get("x-request-id"))
        const customer = yield* Effect.promise(() => sign("user_ids", []))
        const forbidden = yield* call(`${baseUrl}/api/v1/products`, {
          method: "POST",
          headers: { authorization: `Bearer ${customer}`, "content-type": "application/json" },
          body: JSON.stringify({ name: "X", price: 1, sku: "X-1", inventory: 1, category: "C" })
        })
        assert.strictEqual(forbidden.status, 403)
        assert.isString(forbidden.body["request_id"])
        // no tracer exports spans here: no trace id that no tracing backend could find
        assert.notProperty(forbidden.body, "trace_id")
      })))

  it.live("with tracing, problems carry the trace id: the caller's own when it sent a traceparent", () =>
    Effect.gen(function*() {
      const spans: Array<Tracer.Span> = []
      const recording = Tracer.make({
        span: (options) => {
          const span = new Tracer.NativeSpan(options)
          spans.push(span)
          return span
        }
      })
      const backends = yield* Backends
      const baseUrl = yield* startGateway({ PRODUCT_GRPC_ADDR: backends.address, ORDER_GRPC_ADDR: backends.address })
        .pipe(Effect.provideService(Tracer.Tracer, recording))
      const traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
      const missing = yield* call(`${baseUrl}/api/v1/products/prod_nope`, {
        headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, "x-request-id": "traced-1" }
      })
      assert.strictEqual(missing.status, 404)
      assert.strictEqual(missing.body["trace_id"], traceId)
      assert.strictEqual(missing.body["request_id"], "traced-1")
      const server = spans.find((span) => span.attributes.get("http.request_id") === "traced-1")
      assert.isDefined(server, "the server span carries the request id")
      assert.strictEqual(server!.traceId, traceId)
      const fresh = yield* call(`${baseUrl}/api/v1/nowhere`)
      assert.match(fresh.body["trace_id"], /^[0-9a-f]{32}$/)
    }).pipe(Effect.scoped, Effect.provide(Layer.fresh(Backends.layer))))

  it.live("every 400 has one shape, naming the field: schema, query, handler, gateway codec, body and HTTP errors", () =>
    withGateway({}, (baseUrl) =>
      Effect.gen(function*() {
        const token = yield* Effect.promise(() => sign("user_400", []))
        const post = (body: string, headers: Record<string, string> = {}) =>
          call(`${baseUrl}/api/v1/orders`, {
            method: "POST",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
            body
          })
        const answers: Record<string, Answer> = {
          // the contract's schema: an unknown member, and an invalid quantity
          unknownMember: yield* post(JSON.stringify({ ...orderBody, idempotency_key: "k-1", status: "confirmed" })),
          badQuantity: yield* post(
            JSON.stringify({ ...orderBody, idempotency_key: "k-1", items: [{ product_id: "prod_1abc", quantity: 0 }] })
          ),
          // a query parameter
          badLimit: yield* call(`${baseUrl}/api/v1/products?limit=1000`),
          // a handler's own check (the idempotency key)
          keyless: yield* post(JSON.stringify(orderBody)),
          conflictingKeys: yield* post(JSON.stringify({ ...orderBody, idempotency_key: "k-1" }), {
            "idempotency-key": "k-2"
          }),
          badHeader: yield* post(JSON.stringify(orderBody), { "idempotency-key": "no spaces allowed" }),
          // the gateway's codec (a sort the backend does not offer)
          badSort: yield* call(`${baseUrl}/api/v1/products?sort=created_at_asc`),
          // a body that is not JSON
          notJson: yield* post("{not json")
        }
        const fields: Record<string, string | undefined> = {
          unknownMember: "status",
          badQuantity: "items.0.quantity",
          badLimit: "limit",
          keyless: "idempotency_key",
          conflictingKeys: "Idempotency-Key",
          badHeader: "Idempotency-Key",
          badSort: "sort",
          notJson: undefined
        }
        for (const [name, answer] of Object.entries(answers)) {
          assert.strictEqual(answer.status, 400, name)
          assert.strictEqual(answer.headers.get("content-type"), "application/problem+json", name)
          assert.strictEqual(answer.body["type"], validationType, name)
          assert.strictEqual(answer.body["title"], "Validation Failed", name)
          assert.strictEqual(answer.body["status"], 400, name)
          assert.isString(answer.body["detail"], name)
          assert.isArray(answer.body["errors"], name)
          assert.strictEqual(answer.body["field"], fields[name], name)
          assert.strictEqual(answer.body["request_id"], answer.headers.get("x-request-id"), name)
          if (fields[name] !== undefined) assert.isAtLeast(answer.body["errors"].length, 1, name)
        }
        assert.deepStrictEqual(answers["badQuantity"]!.body["errors"][0].path, ["payload", "items", 0, "quantity"])
        assert.deepStrictEqual(answers["badSort"]!.body["errors"][0].path, ["query", "sort"])
        assert.deepStrictEqual(answers["badHeader"]!.body["errors"][0].path, ["headers", "Idempotency-Key"])
        // Malformed HTTP, refused by Node's parser before any handler: the same shape
        const raw = yield* rawExchange(baseUrl, "GET /api/v1/products HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
        assert.match(raw, /^HTTP\/1\.1 400/)
        const rawBody = JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4)) as Record<string, unknown>
        assert.strictEqual(rawBody["type"], validationType)
        assert.isString(rawBody["request_id"])
        // The typed client reads every one of them as a ValidationError
        const shop = yield* ShopClient.make({ baseUrl, token }).pipe(Effect.provide(FetchHttpClient.layer))
        const refused = yield* shop.products.list({ query: { sort: "created_at_asc" } }).pipe(Effect.flip)
        assert.instanceOf(refused, ValidationError)
        assert.strictEqual((refused as ValidationError).field, "sort")
      })))
})

describe("Location, Idempotent-Replayed, has_more and Link", () => {
  it.live("creation answers say where the resource is; a repeated create says it is a replay", () =>
    withGateway({}, (baseUrl) =>
      Effect.gen(function*() {
        const admin = yield* Effect.promise(() => sign("user_admin", ["admin"]))
        const product = yield* call(`${baseUrl}/api/v1/products`, {
          method: "POST",
          headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
          body: JSON.stringify({ name: "Mouse", price: 29.99, sku: "M-1", inventory: 5, category: "Electronics" })
        })
        assert.strictEqual(product.status, 201)
        assert.strictEqual(product.headers.get("location"), `${baseUrl}/api/v1/products/${product.body["id"]}`)
        const customer = yield* Effect.promise(() => sign("user_loc", []))
        const place = (headers: Record<string, string>) =>
          call(`${baseUrl}/api/v1/orders`, {
            method: "POST",
            headers: { authorization: `Bearer ${customer}`, "content-type": "application/json", ...headers },
            body: JSON.stringify(orderBody)
          })
        const first = yield* place({ "idempotency-key": "loc-1" })
        assert.strictEqual(first.status, 202)
        assert.strictEqual(first.headers.get("location"), `${baseUrl}/api/v1/orders/${first.body["order_id"]}`)
        assert.isNull(first.headers.get("idempotent-replayed"))
        const second = yield* place({ "idempotency-key": "loc-1" })
        assert.strictEqual(second.headers.get("idempotent-replayed"), "true")
        assert.strictEqual(second.body["order_id"], first.body["order_id"])
      })))

  it.live("PUBLIC_BASE_URL sets the origin of Location and Link", () =>
    withGateway({ PUBLIC_BASE_URL: "https://api.shop.example/" }, (baseUrl) =>
      Effect.gen(function*() {
        const admin = yield* Effect.promise(() => sign("user_admin", ["admin"]))
        const product = yield* call(`${baseUrl}/api/v1/products`, {
          method: "POST",
          headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
          body: JSON.stringify({ name: "Pad", price: 9.99, sku: "P-1", inventory: 5, category: "Electronics" })
        })
        assert.strictEqual(
          product.headers.get("location"),
          `https://api.shop.example/api/v1/products/${product.body["id"]}`
        )
        yield* call(`${baseUrl}/api/v1/products`, {
          method: "POST",
          headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
          body: JSON.stringify({ name: "Pad 2", price: 9.99, sku: "P-2", inventory: 5, category: "Electronics" })
        })
        const list = yield* call(`${baseUrl}/api/v1/products?limit=1`)
        assert.match(
          list.headers.get("link") ?? "",
          /^<https:\/\/api\.shop\.example\/api\/v1\/products\?limit=1&cursor=[\w-]+>; rel="next"$/
        )
      })))

  it.live("product lists and searches: has_more on every page, Link to the next one keeping the filters", () =>
    withGateway({}, (baseUrl) =>
      Effect.gen(function*() {
        const admin = yield* Effect.promise(() => sign("user_admin", ["admin"]))
        for (const sku of ["A-1", "A-2", "A-3"]) {
          yield* call(`${baseUrl}/api/v1/products`, {
            method: "POST",
            headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
            body: JSON.stringify({ name: `Lamp ${sku}`, price: 9.99, sku, inventory: 5, category: "Home" })
          })
        }
        const first = yield* call(`${baseUrl}/api/v1/products?limit=2&category=Home`)
        assert.strictEqual(first.body["has_more"], true)
        const next = /^<([^>]+)>; rel="next"$/.exec(first.headers.get("link") ?? "")?.[1]
        assert.isDefined(next)
        const nextUrl = new URL(next!)
        assert.strictEqual(nextUrl.origin, baseUrl)
        assert.strictEqual(nextUrl.searchParams.get("category"), "Home")
        assert.strictEqual(nextUrl.searchParams.get("limit"), "2")
        assert.strictEqual(nextUrl.searchParams.get("cursor"), first.body["next_cursor"])
        const second = yield* call(next!)
        assert.strictEqual(second.body["has_more"], false)
        assert.isNull(second.headers.get("link"))
        assert.deepStrictEqual(
          [...first.body["products"], ...second.body["products"]].map((p: { sku: string }) => p.sku),
          ["A-1", "A-2", "A-3"]
        )
        const search = yield* call(`${baseUrl}/api/v1/products/search?q=lamp&limit=2`)
        assert.strictEqual(search.body["has_more"], true)
        const searchNext = new URL(/^<([^>]+)>; rel="next"$/.exec(search.headers.get("link") ?? "")?.[1] ?? "")
        assert.strictEqual(searchNext.searchParams.get("page"), "2")
        assert.strictEqual(searchNext.searchParams.get("q"), "lamp")
        const lastSearch = yield* call(`${baseUrl}/api/v1/products/search?q=lamp&limit=2&page=2`)
        assert.strictEqual(lastSearch.body["has_more"], false)
        assert.isNull(lastSearch.headers.get("link"))
      })))
})

describe("rate-limit fields of the current draft", () => {
  it.live("RateLimit-Policy and RateLimit on success and on the 429, beside the earlier fields", () =>
    withGateway({ RATE_LIMIT_CATALOG_READ: "3/1m" }, (baseUrl) =>
      Effect.gen(function*() {
        const token = yield* Effect.promise(() => sign(`user_${crypto.randomUUID()}`, []))
        const headers = { authorization: `Bearer ${token}` }
        for (let i = 0; i < 3; i++) {
          const answer = yield* call(`${baseUrl}/api/v1/products`, { headers })
          assert.strictEqual(answer.status, 200)
          assert.strictEqual(answer.headers.get("ratelimit-policy"), `"catalog-read";q=3;w=60`)
          const fields = /^"catalog-read";r=(\d+);t=(\d+)$/.exec(answer.headers.get("ratelimit") ?? "")
          assert.isNotNull(fields, answer.headers.get("ratelimit") ?? "no RateLimit")
          assert.strictEqual(Number(fields![1]), 2 - i)
          assert.strictEqual(fields![1], answer.headers.get("ratelimit-remaining"))
          assert.strictEqual(fields![2], answer.headers.get("ratelimit-reset"))
          assert.isAtLeast(Number(fields![2]), 1)
        }
        const refused = yield* call(`${baseUrl}/api/v1/products`, { headers })
        assert.strictEqual(refused.status, 429)
        assert.strictEqual(refused.headers.get("ratelimit-policy"), `"catalog-read";q=3;w=60`)
        const limited = /^"catalog-read";r=0;t=(\d+)$/.exec(refused.headers.get("ratelimit") ?? "")
        assert.isNotNull(limited)
        assert.strictEqual(limited![1], refused.headers.get("retry-after"))
        // another route class is another policy
        const orders = yield* call(`${baseUrl}/api/v1/orders`, { headers })
        assert.match(orders.headers.get("ratelimit-policy") ?? "", /^"order-read";q=300;w=60$/)
      })))
})

describe("CORS", () => {
  const preflight = (baseUrl: string, origin: string, path = "/api/v1/orders") =>
    call(`${baseUrl}${path}`, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type, idempotency-key"
      }
    })

  it.live("an allowed origin gets its preflight answered and may read the answers; others get nothing", () =>
    withGateway(
      { CORS_ALLOWED_ORIGINS: "https://shop.example, https://admin.shop.example" },
      (baseUrl) =>
        Effect.gen(function*() {
          const allowed = yield* preflight(baseUrl, "https://shop.example")
          assert.strictEqual(allowed.status, 204)
          assert.strictEqual(allowed.headers.get("access-control-allow-origin"), "https://shop.example")
          assert.include(allowed.headers.get("access-control-allow-methods") ?? "", "POST")
          assert.include(allowed.headers.get("access-control-allow-headers") ?? "", "idempotency-key")
          assert.include(allowed.headers.get("access-control-allow-headers") ?? "", "authorization")
          assert.isNull(allowed.headers.get("ratelimit"), "a preflight spends no budget")
          const other = yield* preflight(baseUrl, "https://evil.example")
          assert.strictEqual(other.status, 403)
          assert.isNull(other.headers.get("access-control-allow-origin"))
          assert.strictEqual(other.headers.get("content-type"), "application/problem+json")
          const read = yield* call(`${baseUrl}/api/v1/products`, { headers: { origin: "https://admin.shop.example" } })
          assert.strictEqual(read.headers.get("access-control-allow-origin"), "https://admin.shop.example")
          assert.include(read.headers.get("access-control-expose-headers") ?? "", "link")
          assert.include(read.headers.get("access-control-expose-headers") ?? "", "x-request-id")
          assert.include(read.headers.get("vary") ?? "", "Origin")
          const foreign = yield* call(`${baseUrl}/api/v1/products`, { headers: { origin: "https://evil.example" } })
          assert.strictEqual(foreign.status, 200)
          assert.isNull(foreign.headers.get("access-control-allow-origin"))
        })
    ))

  it.live("by default only the gateway's own origin: no preflight passes, no answer is shared", () =>
    withGateway({}, (baseUrl) =>
      Effect.gen(function*() {
        const refused = yield* preflight(baseUrl, "https://shop.example")
        assert.strictEqual(refused.status, 403)
        assert.isNull(refused.headers.get("access-control-allow-origin"))
        const read = yield* call(`${baseUrl}/api/v1/products`, { headers: { origin: "https://shop.example" } })
        assert.isNull(read.headers.get("access-control-allow-origin"))
      })))

  it.live("* is accepted in development and refused at start-up in production; a malformed origin is refused", () =>
    Effect.gen(function*() {
      yield* withGateway({ CORS_ALLOWED_ORIGINS: "*" }, (baseUrl) =>
        Effect.gen(function*() {
          const any = yield* preflight(baseUrl, "https://anywhere.example")
          assert.strictEqual(any.status, 204)
        }))
      const refusal = (env: Record<string, string>) =>
        startGateway(env).pipe(
          Effect.flip,
          Effect.map((error) => String((error as { message?: unknown }).message ?? error)),
          Effect.scoped
        )
      const secret = randomBytes(48).toString("base64")
      const production = yield* refusal({ SHOP_ENV: "production", JWT_SECRET: secret, CORS_ALLOWED_ORIGINS: "*" })
      assert.include(production, "CORS_ALLOWED_ORIGINS")
      // a list of origins is what production takes
      yield* startGateway({ SHOP_ENV: "production", JWT_SECRET: secret, CORS_ALLOWED_ORIGINS: "https://shop.example" })
        .pipe(Effect.scoped)
      assert.include(yield* refusal({ CORS_ALLOWED_ORIGINS: "shop.example/path" }), "CORS_ALLOWED_ORIGINS")
    }))
})
