import { assert, describe, it } from "@effect/vitest"
import { Cents, Sku } from "@shop/domain"
import { Effect, Layer, Metric, Tracer } from "effect"
import { get as httpGet } from "node:http"
import { asCacheHit, HotReads } from "../src/edge/HotReads.ts"
import { hotPathAnswers } from "../src/edge/HttpMetrics.ts"
import { Backends } from "./fixtures/Backends.ts"
import { sdk, startGateway } from "./fixtures/TestGateway.ts"
import { sign } from "./fixtures/Tokens.ts"

const origin = "https://shop.example"

/** A gateway on the fake backends with one product; the product's details URL. */
const withProduct = <A, E>(env: Record<string, string>, f: (baseUrl: string, path: string) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const backends = yield* Backends
    const baseUrl = yield* startGateway({
      PRODUCT_GRPC_ADDR: backends.address,
      ORDER_GRPC_ADDR: backends.address,
      CORS_ALLOWED_ORIGINS: origin,
      CATALOG_CACHE_TTL: "60 seconds",
      ...env
    })
    const path = yield* createProduct(baseUrl, "Desk Lamp")
    return yield* f(baseUrl, path)
  }).pipe(Effect.scoped, Effect.provide(Layer.fresh(Backends.layer)))

const createProduct = (baseUrl: string, name: string) =>
  Effect.gen(function*() {
    const admin = yield* sdk(baseUrl, yield* Effect.promise(() => sign("user_admin", ["admin"])))
    const created = yield* admin.products.create({
      payload: { name, price: Cents.make(2500), sku: Sku.make(`SKU-${name.length}`), inventory: 5, category: "Home" }
    })
    return `/api/v1/products/${created.id}`
  })

const get = (url: string, headers: Record<string, string> = {}) =>
  Effect.promise(async () => {
    const response = await fetch(url, { headers })
    return { status: response.status, headers: response.headers, text: await response.text() }
  })

/** A GET with its own Host header (fetch does not let a caller choose it). */
const getWithHost = (url: string, host: string) =>
  Effect.promise(() =>
    new Promise<{ status: number; link: string | undefined }>((resolve, reject) => {
      const request = httpGet(url, { headers: { host } }, (response) => {
        response.resume()
        const link = response.headers.link
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, link: typeof link === "string" ? link : undefined }))
      })
      request.on("error", reject)
    })
  )

/** How many answers the hot path gave so far (the counter is process-wide: compare before and after). */
const hotAnswers = Effect.map(Metric.value(hotPathAnswers), (state) => state.count)

/** Header names of an answer, without the ones the HTTP layer adds per connection. */
const headerNames = (headers: Headers) =>
  [...headers.keys()].filter((name) => !["date", "connection", "keep-alive"].includes(name)).toSorted()

describe("the gateway's hot path", () => {
  it.live("a repeated catalog read is answered from the encoded cache, with every header of the full path", () =>
    withProduct({}, (baseUrl, path) =>
      Effect.gen(function*() {
        const before = yield* hotAnswers
        const first = yield* get(`${baseUrl}${path}`, { origin, "x-request-id": "first-read" })
        assert.strictEqual(yield* hotAnswers, before, "a miss goes the full path")
        const second = yield* get(`${baseUrl}${path}`, { origin, "x-request-id": "second-read" })
        assert.strictEqual(yield* hotAnswers, before + 1, "the repeat is the hot path's")

        assert.strictEqual(second.status, 200)
        const firstBody = JSON.parse(first.text) as Record<string, unknown>
        assert.strictEqual(firstBody["cache_hit"], false)
        assert.deepStrictEqual(JSON.parse(second.text), { ...firstBody, cache_hit: true })
        assert.deepStrictEqual(headerNames(second.headers), headerNames(first.headers))
        for (const name of ["content-type", "access-control-allow-origin", "access-control-expose-headers", "vary"]) {
          assert.strictEqual(second.headers.get(name), first.headers.get(name), name)
        }
        assert.strictEqual(second.headers.get("x-content-type-options"), "nosniff")
        assert.strictEqual(second.headers.get("ratelimit-policy"), first.headers.get("ratelimit-policy"))
        assert.strictEqual(
          Number(second.headers.get("ratelimit-remaining")),
          Number(first.headers.get("ratelimit-remaining")) - 1,
          "both paths draw on one budget"
        )
        assert.strictEqual(second.headers.get("x-request-id"), "second-read")
        // a client's id that is not well formed is replaced, as on the full path
        const replaced = yield* get(`${baseUrl}${path}`, { "x-request-id": "no spaces allowed" })
        assert.match(replaced.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/)
        // another origin gets no CORS grant from the hot path either
        const foreign = yield* get(`${baseUrl}${path}`, { origin: "https://evil.example" })
        assert.isNull(foreign.headers.get("access-control-allow-origin"))
        assert.strictEqual(yield* hotAnswers, before + 3)
      })))

  it.live("a catalog write through the gateway drops the hot answers; an expired entry is read again", () =>
    withProduct({ CATALOG_CACHE_TTL: "300 millis" }, (baseUrl, path) =>
      Effect.gen(function*() {
        yield* get(`${baseUrl}${path}`)
        const before = yield* hotAnswers
        yield* get(`${baseUrl}${path}`)
        assert.strictEqual(yield* hotAnswers, before + 1)
        yield* createProduct(baseUrl, "Floor Lamp")
        const afterWrite = yield* get(`${baseUrl}${path}`)
        assert.strictEqual(yield* hotAnswers, before + 1, "the write dropped it: the full path answered")
        assert.strictEqual(JSON.parse(afterWrite.text).cache_hit, false)
        yield* get(`${baseUrl}${path}`)
        assert.strictEqual(yield* hotAnswers, before + 2)
        yield* Effect.sleep("400 millis")
        const expired = yield* get(`${baseUrl}${path}`)
        assert.strictEqual(yield* hotAnswers, before + 2, "past its TTL the entry is gone")
        assert.strictEqual(JSON.parse(expired.text).cache_hit, false)
      })))

  it.live("a token is served hot only once the full path has verified it; a bad token never is", () =>
    withProduct({}, (baseUrl, path) =>
      Effect.gen(function*() {
        yield* get(`${baseUrl}${path}`)
        const token = yield* Effect.promise(() => sign(`user_${crypto.randomUUID()}`, []))
        const before = yield* hotAnswers
        const firstWithToken = yield* get(`${baseUrl}${path}`, { authorization: `Bearer ${token}` })
        assert.strictEqual(firstWithToken.status, 200)
        assert.strictEqual(yield* hotAnswers, before, "an unverified token goes the full path")
        yield* get(`${baseUrl}${path}`, { authorization: `Bearer ${token}` })
        assert.strictEqual(yield* hotAnswers, before + 1)
        const forged = yield* Effect.promise(() =>
          sign("user_forger", ["admin"], { key: new TextEncoder().encode("another-secret-0123456789abcdefgh") })
        )
        for (let i = 0; i < 3; i++) {
          const answer = yield* get(`${baseUrl}${path}`, { authorization: `Bearer ${forged}` })
          assert.strictEqual(answer.status, 200, "a public read with a bad token is an anonymous read")
        }
        assert.strictEqual(yield* hotAnswers, before + 1, "a token that failed verification is never served hot")
      })))

  it.live("with CATALOG_PUBLIC=false an anonymous read is refused even when the answer is hot", () =>
    withProduct({ CATALOG_PUBLIC: "false" }, (baseUrl, path) =>
      Effect.gen(function*() {
        const token = yield* Effect.promise(() => sign(`user_${crypto.randomUUID()}`, []))
        yield* get(`${baseUrl}${path}`, { authorization: `Bearer ${token}` })
        yield* get(`${baseUrl}${path}`, { authorization: `Bearer ${token}` })
        const before = yield* hotAnswers
        const anonymous = yield* get(`${baseUrl}${path}`)
        assert.strictEqual(anonymous.status, 401)
        assert.strictEqual(yield* hotAnswers, before)
      })))

  it.live("hot answers count against the caller's rate limit; the one over it gets the full path's 429", () =>
    withProduct({ RATE_LIMIT_CATALOG_READ: "3/1m" }, (baseUrl, path) =>
      Effect.gen(function*() {
        const before = yield* hotAnswers
        const statuses: Array<number> = []
        for (let i = 0; i < 4; i++) statuses.push((yield* get(`${baseUrl}${path}`)).status)
        assert.deepStrictEqual(statuses, [200, 200, 200, 429])
        assert.strictEqual(yield* hotAnswers, before + 2, "the second and third were hot")
        const refused = yield* get(`${baseUrl}${path}`)
        assert.strictEqual(refused.status, 429)
        assert.strictEqual(refused.headers.get("content-type"), "application/problem+json")
        assert.isAtLeast(Number(refused.headers.get("retry-after")), 1)
      })))

  it.live("a hot answer's next-page Link is written for each request, from that request's Host", () =>
    withProduct({}, (baseUrl) =>
      Effect.gen(function*() {
        yield* createProduct(baseUrl, "Table Lamp")
        const url = `${baseUrl}/api/v1/products?limit=1`
        const first = yield* get(url)
        const link = first.headers.get("link")
        assert.match(link ?? "", /^<http:\/\/127\.0\.0\.1:\d+\/api\/v1\/products\?limit=1&cursor=[^>]+>; rel="next"$/)
        const before = yield* hotAnswers
        const again = yield* get(url)
        assert.strictEqual(yield* hotAnswers, before + 1)
        assert.strictEqual(again.headers.get("link"), link)
        const elsewhere = yield* getWithHost(url, "api.shop.example")
        assert.strictEqual(yield* hotAnswers, before + 2)
        assert.strictEqual(elsewhere.link, link!.replace(new URL(baseUrl).host, "api.shop.example"))
      })))
})

describe("the hot path's spans", () => {
  it.live("with a tracer that exports, a hot answer has a server span joined to the client's trace", () => {
    const spans: Array<Tracer.NativeSpan> = []
    const recording = Tracer.make({
      span: (options) => {
        const span = new Tracer.NativeSpan(options)
        spans.push(span)
        return span
      }
    })
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
    return withProduct({}, (baseUrl, path) =>
      Effect.gen(function*() {
        const headers = { traceparent: `00-${traceId}-00f067aa0ba902b7-01` }
        yield* get(`${baseUrl}${path}`, { ...headers, "x-request-id": "traced-miss" })
        const before = yield* hotAnswers
        yield* get(`${baseUrl}${path}`, { ...headers, "x-request-id": "traced-hit" })
        assert.strictEqual(yield* hotAnswers, before + 1)
        const hot = spans.find((span) => span.attributes.get("http.request_id") === "traced-hit")
        assert.isDefined(hot, "the hot answer has a span")
        assert.strictEqual(hot!.kind, "server")
        assert.strictEqual(hot!.traceId, traceId)
        assert.strictEqual(hot!.attributes.get("http.route"), "/api/v1/products/:id")
        assert.strictEqual(hot!.attributes.get("http.response.status_code"), 200)
        assert.strictEqual(hot!.status._tag, "Ended")
        const full = spans.find((span) => span.attributes.get("http.request_id") === "traced-miss")
        assert.strictEqual(full?.traceId, traceId, "the full path's span is in the same trace")
      })).pipe(Effect.provideService(Tracer.Tracer, recording))
  })
})

describe("HotReads", () => {
  const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))
  const answer = (freshUntil: number, body = encode({ id: "prod_1", cache_hit: false })) => ({
    route: "/api/v1/products/:id",
    contentType: "application/json",
    body,
    nextPage: undefined,
    freshUntil
  })
  const withReads = <A>(f: (reads: HotReads["Service"]) => A) =>
    Effect.runSync(Effect.provide(HotReads.use((reads) => Effect.sync(() => f(reads))), HotReads.layer))

  it("gives a kept answer saying cache_hit: true, until its expiry", () =>
    withReads((reads) => {
      reads.remember("/a", answer(100), 0)
      const hit = reads.lookup("/a", 50)
      assert.deepStrictEqual(JSON.parse(new TextDecoder().decode(hit!.body)), { id: "prod_1", cache_hit: true })
      assert.isUndefined(reads.lookup("/a", 100))
    }))

  it("drops expired answers when it keeps a new one, even if nobody asks for them again", () =>
    withReads((reads) => {
      reads.remember("/one-off", answer(100), 0)
      reads.remember("/other", answer(300), 150)
      // asked with a time before its expiry: still there only if the second remember had kept it
      assert.isUndefined(reads.lookup("/one-off", 50))
      assert.isDefined(reads.lookup("/other", 200))
    }))
})

describe("asCacheHit", () => {
  const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))
  const decode = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)) as unknown

  it("says cache_hit: true and changes nothing else", () => {
    const body = { id: "prod_1", name: "\"cache_hit\":false in a name", cache_hit: false, price: 25 }
    assert.deepStrictEqual(decode(asCacheHit(encode(body))), { ...body, cache_hit: true })
  })

  it("leaves a body without the field, or already a hit, as it is", () => {
    const list = encode({ products: [], total: 0 })
    assert.strictEqual(asCacheHit(list), list)
    const hit = encode({ id: "prod_1", cache_hit: true })
    assert.strictEqual(asCacheHit(hit), hit)
  })
})
