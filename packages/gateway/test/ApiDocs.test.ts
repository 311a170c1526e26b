import { assert, describe, it } from "@effect/vitest"
import { ProblemTypes } from "@shop/domain"
import { Effect, Exit, Layer } from "effect"
import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import { Backends } from "./fixtures/Backends.ts"
import { startGateway } from "./fixtures/TestGateway.ts"

const committed = JSON.parse(readFileSync(resolve(import.meta.dirname, "../../../docs/openapi.json"), "utf8"))

const get = (url: string) =>
  Effect.promise(async () => {
    const response = await fetch(url)
    return { status: response.status, headers: response.headers, text: await response.text() }
  })

/** Every `type` URI that the document's problem schemas can send. */
const documentedTypes = (document: any): Array<string> =>
  Object.values(document.components.schemas as Record<string, any>)
    .map((schema) => schema?.properties?.type?.enum?.[0])
    .filter((type): type is string => typeof type === "string" && type.startsWith("/problems/"))

describe("the API's documentation on the gateway", () => {
  it.live("serves the committed OpenAPI document, with the contract's servers when PUBLIC_BASE_URL is unset", () =>
    Effect.gen(function*() {
      const backends = yield* Backends
      const baseUrl = yield* startGateway({ PRODUCT_GRPC_ADDR: backends.address, ORDER_GRPC_ADDR: backends.address })
      const served = yield* get(`${baseUrl}/openapi.json`)
      assert.strictEqual(served.status, 200)
      assert.deepStrictEqual(JSON.parse(served.text), committed)
      const docs = yield* get(`${baseUrl}/docs`)
      assert.strictEqual(docs.status, 200)
      assert.include(docs.text, "Shop Mesh API")
    }).pipe(Effect.scoped, Effect.provide(Layer.fresh(Backends.layer))))

  it.live("names PUBLIC_BASE_URL as the only server, in /openapi.json and /docs", () =>
    Effect.gen(function*() {
      const backends = yield* Backends
      const baseUrl = yield* startGateway({
        PRODUCT_GRPC_ADDR: backends.address,
        ORDER_GRPC_ADDR: backends.address,
        PUBLIC_BASE_URL: "https://api.shop.example/"
      })
      const served = JSON.parse((yield* get(`${baseUrl}/openapi.json`)).text)
      assert.deepStrictEqual(served.servers, [{ url: "https://api.shop.example", description: "This deployment" }])
      assert.deepStrictEqual({ ...served, servers: committed.servers }, committed)
      assert.include((yield* get(`${baseUrl}/docs`)).text, "https://api.shop.example")
    }).pipe(Effect.scoped, Effect.provide(Layer.fresh(Backends.layer))))

  it.live("refuses to start with a PUBLIC_BASE_URL that is not an absolute http(s) URL", () =>
    Effect.gen(function*() {
      for (const value of ["api.shop.example", "ftp://api.shop.example", "https://api.shop.example/?x=1"]) {
        const exit = yield* Effect.exit(startGateway({ PUBLIC_BASE_URL: value }))
        assert.isTrue(Exit.isFailure(exit), value)
        assert.include(String(Exit.isFailure(exit) ? exit.cause : ""), "PUBLIC_BASE_URL", value)
      }
    }).pipe(Effect.scoped))

  it.live("resolves every problem type of the document, and the type of a real problem, to its page", () =>
    Effect.gen(function*() {
      const backends = yield* Backends
      const baseUrl = yield* startGateway({ PRODUCT_GRPC_ADDR: backends.address, ORDER_GRPC_ADDR: backends.address })
      const types = documentedTypes(committed)
      // the catalog also documents types the contract does not declare yet (a gRPC error that reaches the edge)
      assert.isAtLeast(types.length, 10)
      assert.includeMembers(ProblemTypes.map((problem) => problem.type), types)
      for (const type of ProblemTypes.map((problem) => problem.type)) {
        const page = yield* get(new URL(type, `${baseUrl}/api/v1/orders`).href)
        assert.strictEqual(page.status, 200, type)
        assert.match(page.headers.get("content-type") ?? "", /^text\/html/)
        assert.notMatch(page.text, /<script/i)
        const problem = ProblemTypes.find((entry) => entry.type === type)!
        assert.include(page.text, `<h1 id="${problem.slug}">${problem.title}</h1>`)
        assert.include(page.text, `<strong>${problem.status}</strong>`)
      }
      // A problem as the API really sends it: its type, resolved against the answer's URL, is its page.
      const missing = yield* get(`${baseUrl}/api/v1/products/prod_missing`)
      assert.strictEqual(missing.status, 404)
      const type = JSON.parse(missing.text).type as string
      const page = yield* get(new URL(type, `${baseUrl}/api/v1/products/prod_missing`).href)
      assert.strictEqual(page.status, 200)
      assert.include(page.text, "Not Found")

      const index = yield* get(`${baseUrl}/problems`)
      assert.strictEqual(index.status, 200)
      for (const problem of ProblemTypes) assert.include(index.text, `href="${problem.type}"`)
      const unknown = yield* get(`${baseUrl}/problems/no-such-problem`)
      assert.strictEqual(unknown.status, 404)
      assert.match(unknown.headers.get("content-type") ?? "", /problem\+json/)
    }).pipe(Effect.scoped, Effect.provide(Layer.fresh(Backends.layer))))
})
