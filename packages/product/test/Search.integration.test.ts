import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Search } from "../src/Search.ts"
import { makeProduct, ProductTest } from "./fixtures/ProductTest.ts"

// "mouse" six times: enough for ts_rank_cd alone to put it above a product named "Mouse"
const keyboardDescription =
  "Mouse keys, a mouse layer, mouse buttons: works as a mouse with any mouse (mouse sold apart)."

const products = [
  ["Wireless Mouse", "Electronics", 2999, "Quiet clicks and a battery that lasts a year."],
  ["Gaming Mouse", "Electronics", 5999, "Sixteen programmable buttons and a precise optical sensor."],
  ["Ergonomic Keyboard", "Electronics", 8999, keyboardDescription],
  ["Mouse Pad XL", "Office", 1499, "Stitched edges, covers the whole desk."],
  ["Desk Organizer", "Office", 1999, "Keeps pens, cables and your mouse tidy."],
  ["Mosaic Lamp", "Home", 4599, "Hand-made glass shade."],
  ["Yoga Mat", "Sports", 2500, "Non-slip surface for every workout."]
] as const

const Seeded = Layer.effectDiscard(
  Effect.forEach(
    products,
    ([name, category, priceCents, description], i) =>
      makeProduct({ name, category, priceCents, description, sku: `SEARCH-${i}` })
  )
)

const names = (result: { readonly products: ReadonlyArray<{ readonly name: string }> }) =>
  result.products.map((product) => product.name)

describe("Search", () => {
  layer(Seeded.pipe(Layer.provideMerge(ProductTest("search"))), { excludeTestServices: true })((it) => {
    it.effect("tolerates typos in names: \"mose\" finds the mice, not the mosaic", () =>
      Effect.gen(function*() {
        const found = names(yield* (yield* Search).search({ q: "mose" }))
        assert.include(found, "Wireless Mouse")
        assert.include(found, "Gaming Mouse")
        assert.notInclude(found, "Mosaic Lamp")
        assert.notInclude(found, "Yoga Mat")
        assert.include(names(yield* (yield* Search).search({ q: "ergonmic keybord" })), "Ergonomic Keyboard")
      }))

    it.effect("ranks name matches above description-only matches", () =>
      Effect.gen(function*() {
        const result = yield* (yield* Search).search({ q: "mouse" })
        const found = names(result)
        assert.strictEqual(result.total, 5)
        assert.sameMembers(found.slice(0, 3), ["Wireless Mouse", "Gaming Mouse", "Mouse Pad XL"])
        assert.sameMembers(found.slice(3), ["Ergonomic Keyboard", "Desk Organizer"])
      }))

    it.effect("filters by category and price, and counts matches per category ignoring the category filter", () =>
      Effect.gen(function*() {
        const search = yield* Search
        const electronics = yield* search.search({ q: "mouse", category: "Electronics" })
        assert.sameMembers(names(electronics), ["Wireless Mouse", "Gaming Mouse", "Ergonomic Keyboard"])
        assert.strictEqual(electronics.total, 3)
        assert.deepStrictEqual(electronics.facets, [{ category: "Electronics", count: 3 }, {
          category: "Office",
          count: 2
        }])
        const priced = yield* search.search({ q: "mouse", minPriceCents: 2000, maxPriceCents: 6000 })
        assert.sameMembers(names(priced), ["Wireless Mouse", "Gaming Mouse"])
        assert.deepStrictEqual(priced.facets, [{ category: "Electronics", count: 2 }])
        const invalid = yield* Effect.flip(search.search({ minPriceCents: 10, maxPriceCents: 5 }))
        assert.strictEqual(invalid._tag, "ValidationError")
      }))

    it.effect("pages, caps the page size, browses with an empty query and honours exclusions", () =>
      Effect.gen(function*() {
        const search = yield* Search
        const first = yield* search.search({ q: "mouse", limit: 2 })
        const second = yield* search.search({ q: "mouse", limit: 2, page: 2 })
        assert.strictEqual(first.products.length, 2)
        assert.notIncludeMembers(names(second), names(first))
        assert.strictEqual((yield* search.search({ limit: 1000 })).limit, 100)
        const all = yield* search.search({})
        assert.strictEqual(all.total, products.length)
        assert.strictEqual(all.facets.length, 4)
        assert.sameMembers(names(yield* search.search({ category: "Office" })), ["Mouse Pad XL", "Desk Organizer"])
        assert.notInclude(names(yield* search.search({ q: "mouse -gaming" })), "Gaming Mouse")
        assert.deepStrictEqual(names(yield* search.search({ q: "search-5" })), ["Mosaic Lamp"])
      }))
  })
})
