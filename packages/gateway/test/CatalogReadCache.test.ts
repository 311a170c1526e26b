import { assert, describe, it } from "@effect/vitest"
import { NotFound, ProductId } from "@shop/domain"
import type { ProductDetails, ProductJson } from "@shop/domain"
import { ConfigProvider, Deferred, Effect, Fiber, Layer, Ref } from "effect"
import { TestClock } from "effect/testing"
import { CatalogReadCache } from "../src/clients/CatalogReadCache.ts"
import { ProductClient } from "../src/clients/ProductClient.ts"
import { HotReads } from "../src/edge/HotReads.ts"

const product = (id: string, name: string) =>
  ({
    id: ProductId.make(id),
    name,
    description: "",
    price: 1250,
    currency: "USD",
    sku: "SKU-1",
    category: "Test",
    inventory: 5,
    reserved: 0,
    available: 5,
    created_at: new Date(0),
    updated_at: new Date(0)
  }) as unknown as ProductJson

/** A product service stand-in that counts its calls; `missing` ids answer NotFound. */
const Upstream = (calls: Ref.Ref<number>, name: Ref.Ref<string>, gate?: Deferred.Deferred<void>) =>
  Layer.succeed(
    ProductClient,
    ProductClient.of({
      get: (id) =>
        Effect.gen(function*() {
          yield* Ref.update(calls, (n) => n + 1)
          if (gate) yield* Deferred.await(gate)
          if (id === "prod_missing") return yield* new NotFound({ entity: "product", id })
          return { ...product(id, yield* Ref.get(name)), cache_hit: false } as ProductDetails
        }),
      list: (query) =>
        Effect.as(
          Ref.update(calls, (n) => n + 1),
          { products: [], total: 0, page: query.page ?? 1, limit: 20 } as never
        ),
      search: () =>
        Effect.as(Ref.update(calls, (n) => n + 1), { products: [], total: 0, page: 1, cache_hit: false } as never),
      create: () => Effect.die("unused"),
      update: (id) => Effect.as(Ref.set(name, "renamed"), product(id, "renamed"))
    })
  )

const withCache = (upstream: Layer.Layer<ProductClient>, ttl = "1 second") =>
  CatalogReadCache.pipe(
    Layer.provide(upstream),
    Layer.provide(HotReads.layer),
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ CATALOG_CACHE_TTL: ttl })))
  )

const setup = (ttl?: string) =>
  Effect.gen(function*() {
    const calls = yield* Ref.make(0)
    const name = yield* Ref.make("original")
    const layer = withCache(Upstream(calls, name), ttl)
    return { calls, layer }
  })

const id = ProductId.make("prod_1")

describe("CatalogReadCache", () => {
  it.effect("answers repeated reads of a product from memory within the TTL, and says so", () =>
    Effect.gen(function*() {
      const { calls, layer } = yield* setup()
      yield* Effect.gen(function*() {
        const client = yield* ProductClient
        const first = yield* client.get(id)
        const second = yield* client.get(id)
        assert.isFalse(first.cache_hit)
        assert.isTrue(second.cache_hit)
        assert.strictEqual(yield* Ref.get(calls), 1)
        yield* TestClock.adjust("1001 millis")
        yield* client.get(id)
        assert.strictEqual(yield* Ref.get(calls), 2, "an expired entry is fetched again")
      }).pipe(Effect.provide(layer))
    }))

  it.effect("answers a repeated search from memory within the TTL, and says so", () =>
    Effect.gen(function*() {
      const { calls, layer } = yield* setup()
      yield* Effect.gen(function*() {
        const client = yield* ProductClient
        const first = yield* client.search({ q: "mouse" })
        const second = yield* client.search({ q: "mouse" })
        const other = yield* client.search({ q: "lamp" })
        assert.isFalse(first.cache_hit, "the first answer is the product service's own")
        assert.isTrue(second.cache_hit)
        assert.isFalse(other.cache_hit, "another query is another key")
        assert.strictEqual(yield* Ref.get(calls), 2)
        yield* TestClock.adjust("1001 millis")
        assert.isFalse((yield* client.search({ q: "mouse" })).cache_hit, "an expired entry is fetched again")
      }).pipe(Effect.provide(layer))
    }))

  it.effect("forgets everything after a catalog write, so this gateway never serves what it changed", () =>
    Effect.gen(function*() {
      const { calls, layer } = yield* setup("1 hour")
      yield* Effect.gen(function*() {
        const client = yield* ProductClient
        assert.strictEqual((yield* client.get(id)).name, "original")
        yield* client.list({})
        yield* client.update(id, { name: "renamed" } as never)
        assert.strictEqual((yield* client.get(id)).name, "renamed")
        yield* client.list({})
        assert.strictEqual(yield* Ref.get(calls), 4)
      }).pipe(Effect.provide(layer))
    }))

  it.effect("keys lists and searches by their query", () =>
    Effect.gen(function*() {
      const { calls, layer } = yield* setup()
      yield* Effect.gen(function*() {
        const client = yield* ProductClient
        yield* client.list({ page: 1 } as never)
        yield* client.list({ page: 1 } as never)
        yield* client.list({ page: 2 } as never)
        yield* client.search({ q: "mouse" })
        yield* client.search({ q: "mouse" })
        yield* client.search({ q: "lamp" })
        assert.strictEqual(yield* Ref.get(calls), 4)
      }).pipe(Effect.provide(layer))
    }))

  it.effect("does not cache failures", () =>
    Effect.gen(function*() {
      const { calls, layer } = yield* setup()
      yield* Effect.gen(function*() {
        const client = yield* ProductClient
        const missing = ProductId.make("prod_missing")
        const first = yield* Effect.flip(client.get(missing))
        const second = yield* Effect.flip(client.get(missing))
        assert.strictEqual(first._tag, "NotFound")
        assert.strictEqual(second._tag, "NotFound")
        assert.strictEqual(yield* Ref.get(calls), 2)
      }).pipe(Effect.provide(layer))
    }))

  it.effect("lets concurrent misses of one product share a single call", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const gate = yield* Deferred.make<void>()
      const layer = withCache(Upstream(calls, yield* Ref.make("original"), gate))
      yield* Effect.gen(function*() {
        const client = yield* ProductClient
        const readers = yield* Effect.forkChild(Effect.all(Array.from({ length: 50 }, () => client.get(id)), {
          concurrency: "unbounded"
        }))
        yield* Effect.yieldNow
        yield* Deferred.succeed(gate, undefined)
        const results = yield* Fiber.join(readers)
        assert.strictEqual(results.length, 50)
        assert.strictEqual(yield* Ref.get(calls), 1)
      }).pipe(Effect.provide(layer))
    }))

  it.effect("is off with CATALOG_CACHE_TTL=0", () =>
    Effect.gen(function*() {
      const { calls, layer } = yield* setup("0")
      yield* Effect.gen(function*() {
        const client = yield* ProductClient
        yield* client.get(id)
        yield* client.get(id)
        assert.strictEqual(yield* Ref.get(calls), 2)
      }).pipe(Effect.provide(layer))
    }))
})
