import { assert, describe, layer } from "@effect/vitest"
import { DateTime, Effect } from "effect"
import { SqlClient } from "effect/sql"
import { Catalog, type ProductPage } from "../src/Catalog.ts"
import { Inventory } from "../src/Inventory.ts"
import type { ProductSort } from "../src/ProductSort.ts"
import { makeProduct, newOrderId, ProductTest, unique } from "./fixtures/ProductTest.ts"

describe("Catalog", () => {
  layer(ProductTest("catalog"), { excludeTestServices: true })((it) => {
    it.effect("creates a product with a prefixed id and reads it back with its availability", () =>
      Effect.gen(function*() {
        const catalog = yield* Catalog
        const sku = unique("mouse")
        const created = yield* catalog.create({
          name: "Wireless Mouse",
          description: "A quiet mouse",
          priceCents: 2999,
          sku: sku.toLowerCase(),
          category: "Electronics",
          inventory: 12
        })
        assert.match(created.id, /^prod_[0-9a-z]{26}$/)
        assert.strictEqual(created.sku, sku)
        assert.strictEqual(created.currency, "USD")
        yield* (yield* Inventory).reserve(newOrderId("order"), [{ productId: created.id, quantity: 5 }])
        const read = yield* catalog.get(created.id)
        assert.deepStrictEqual([read.inventory, read.reserved, read.available], [12, 5, 7])
        assert.strictEqual((yield* Effect.flip(catalog.get("prod_missing")))._tag, "NotFound")
      }))

    it.effect("rejects invalid fields with the field's name", () =>
      Effect.gen(function*() {
        const catalog = yield* Catalog
        const base = { name: "Valid", priceCents: 100, sku: unique("V"), category: "Testing", inventory: 1 }
        const cases = [
          [{ ...base, priceCents: 0 }, "priceCents"],
          [{ ...base, priceCents: 10.5 }, "priceCents"],
          [{ ...base, inventory: -1 }, "inventory"],
          [{ ...base, name: "" }, "name"],
          [{ ...base, name: "x".repeat(201) }, "name"],
          [{ ...base, description: "x".repeat(5001) }, "description"],
          [{ ...base, category: "" }, "category"],
          [{ ...base, sku: "has spaces" }, "sku"],
          [{ ...base, currency: "usd" }, "currency"]
        ] as const
        for (const [input, field] of cases) {
          const error = yield* Effect.flip(catalog.create(input))
          assert.strictEqual(error._tag, "ValidationError")
          if (error._tag === "ValidationError") assert.strictEqual(error.field, field)
        }
      }))

    it.effect("a SKU is unique regardless of case", () =>
      Effect.gen(function*() {
        const catalog = yield* Catalog
        const sku = unique("dup")
        yield* makeProduct({ sku })
        const copy = { name: "Copy", priceCents: 100, category: "Testing", inventory: 1 }
        for (const taken of [sku, sku.toLowerCase()]) {
          const error = yield* Effect.flip(catalog.create({ ...copy, sku: taken }))
          assert.strictEqual(error._tag, "Conflict")
          assert.include(error.message, sku)
        }
      }))

    it.effect("updates only the given fields, bumping version and updated_at", () =>
      Effect.gen(function*() {
        const catalog = yield* Catalog
        const sql = yield* SqlClient.SqlClient
        const product = yield* makeProduct({ name: "Old Name", priceCents: 500, inventory: 4 })
        const updated = yield* catalog.update(product.id, { priceCents: 650, inventory: 9 })
        assert.deepStrictEqual([updated.name, updated.priceCents, updated.inventory], ["Old Name", 650, 9])
        assert.isTrue(DateTime.isGreaterThan(updated.updatedAt, product.updatedAt))
        const [row] = yield* sql<{ version: number }>`SELECT version FROM products WHERE id = ${product.id}`
        assert.strictEqual(row?.version, 2)
        const stale = yield* Effect.flip(
          catalog.update(product.id, { name: "Late", expectedUpdatedAt: DateTime.formatIso(product.updatedAt) })
        )
        assert.strictEqual(stale._tag, "Conflict")
        const fresh = yield* catalog.update(product.id, {
          name: "New Name",
          expectedUpdatedAt: DateTime.formatIso(updated.updatedAt)
        })
        assert.strictEqual(fresh.name, "New Name")
        yield* (yield* Inventory).reserve(newOrderId("order"), [{ productId: product.id, quantity: 6 }])
        const below = yield* Effect.flip(catalog.update(product.id, { inventory: 5 }))
        assert.strictEqual(below._tag, "Conflict")
        assert.strictEqual((yield* Effect.flip(catalog.update(product.id, { priceCents: -1 })))._tag, "ValidationError")
        assert.strictEqual((yield* Effect.flip(catalog.update("prod_missing", { name: "X" })))._tag, "NotFound")
      }))

    it.effect("cursor pagination walks every row exactly once, in order, for every sort", () =>
      Effect.gen(function*() {
        const catalog = yield* Catalog
        const category = unique("walk")
        // equal prices and names force the id tie-breaker to do its job
        for (let i = 0; i < 23; i++) {
          yield* makeProduct({ category, name: `Item ${i % 4}`, priceCents: 100 + (i % 3) * 50 })
        }
        const sorts: ReadonlyArray<ProductSort> = ["created_at_desc", "price_asc", "price_desc", "name_asc"]
        for (const sort of sorts) {
          const seen: Array<ProductPage["products"][number]> = []
          let cursor: string | undefined
          let pages = 0
          do {
            const page: ProductPage = yield* catalog.list({ category, sort, limit: 5, ...(cursor ? { cursor } : {}) })
            assert.strictEqual(page.total, 23)
            seen.push(...page.products)
            cursor = page.nextCursor
            pages++
          } while (cursor !== undefined)
          assert.strictEqual(pages, 5)
          assert.strictEqual(new Set(seen.map((p) => p.id)).size, 23, sort)
          const offsetIds = []
          for (let page = 1; page <= 5; page++) {
            offsetIds.push(...(yield* catalog.list({ category, sort, limit: 5, page })).products.map((p) => p.id))
          }
          assert.deepStrictEqual(seen.map((p) => p.id), offsetIds, `cursor and offset pages agree for ${sort}`)
          const key = (p: (typeof seen)[number]) =>
            sort === "name_asc"
              ? p.name
              : sort === "created_at_desc"
              ? -DateTime.toEpochMillis(p.createdAt)
              : p.priceCents
          for (let i = 1; i < seen.length; i++) {
            const [a, b] = [key(seen[i - 1]!), key(seen[i]!)]
            assert.isTrue(sort === "price_desc" ? a >= b : a <= b, `${sort} is ordered`)
          }
        }
        const wrongSort = yield* Effect.flip(catalog.list({
          category,
          sort: "price_asc",
          cursor: (yield* catalog.list({ category, limit: 5 })).nextCursor!
        }))
        assert.strictEqual(wrongSort._tag, "ValidationError")
        assert.strictEqual((yield* Effect.flip(catalog.list({ cursor: "garbage" })))._tag, "ValidationError")
        assert.strictEqual((yield* catalog.list({ category, limit: 1000 })).limit, 100)
      }))
  })
})
