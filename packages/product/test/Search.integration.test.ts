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
  ["Yoga Mat", "Sports", 2500, "Non-slip surface for every workout."],
  ["Wireless Keyboard", "Electronics", 4999, "Low-profile keys, pairs with three devices."],
  ["Silent Mouse", "Electronics", 1999, "Zephyr series: whisper-quiet switches."]
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
        assert.strictEqual(result.total, 6)
        assert.isFalse(result.relaxed)
        assert.sameMembers(found.slice(0, 4), ["Wireless Mouse", "Gaming Mouse", "Mouse Pad XL", "Silent Mouse"])
        assert.sameMembers(found.slice(4), ["Ergonomic Keyboard", "Desk Organizer"])
      }))

    it.effect("filters by category and price, and counts matches per category ignoring the category filter", () =>
      Effect.gen(function*() {
        const search = yield* Search
        const electronics = yield* search.search({ q: "mouse", category: "Electronics" })
        assert.sameMembers(names(electronics), [
          "Wireless Mouse",
          "Gaming Mouse",
          "Silent Mouse",
          "Ergonomic Keyboard"
        ])
        assert.strictEqual(electronics.total, 4)
        assert.deepStrictEqual(electronics.facets, [{ category: "Electronics", count: 4 }, {
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
        assert.strictEqual(all.facets.find((facet) => facet.category === "Electronics")?.count, 5)
        assert.sameMembers(names(yield* search.search({ category: "Office" })), ["Mouse Pad XL", "Desk Organizer"])
        assert.notInclude(names(yield* search.search({ q: "mouse -gaming" })), "Gaming Mouse")
        assert.deepStrictEqual(names(yield* search.search({ q: "search-5" })), ["Mosaic Lamp"])
      }))

    it.effect("narrows: every word must match, so adding a word never widens the result", () =>
      Effect.gen(function*() {
        const search = yield* Search
        const mice = yield* search.search({ q: "mouse" })
        const wirelessMice = yield* search.search({ q: "wireless mouse" })
        assert.deepStrictEqual(names(wirelessMice), ["Wireless Mouse"])
        assert.strictEqual(wirelessMice.total, 1)
        assert.isFalse(wirelessMice.relaxed)
        assert.isBelow(wirelessMice.total, mice.total)
        // a word found only in one description picks that product out of every mouse
        const zephyr = yield* search.search({ q: "mouse zephyr" })
        assert.deepStrictEqual(names(zephyr), ["Silent Mouse"])
        assert.isFalse(zephyr.relaxed)
        // the word order does not matter, and the facets count only the products that match every word
        assert.deepStrictEqual(names(yield* search.search({ q: "zephyr mouse" })), ["Silent Mouse"])
        assert.deepStrictEqual(zephyr.facets, [{ category: "Electronics", count: 1 }])
      }))

    it.effect("tolerates a typo in every word, and never requires a stop word", () =>
      Effect.gen(function*() {
        const search = yield* Search
        assert.deepStrictEqual(names(yield* search.search({ q: "wireles mose" })), ["Wireless Mouse"])
        assert.deepStrictEqual(names(yield* search.search({ q: "wirless keybord" })), ["Wireless Keyboard"])
        const withStopWords = yield* search.search({ q: "the wireless mouse" })
        assert.deepStrictEqual(names(withStopWords), ["Wireless Mouse"])
        assert.isFalse(withStopWords.relaxed)
      }))

    it.effect("relaxes when nothing matches every word: the products with the most words, marked relaxed", () =>
      Effect.gen(function*() {
        const search = yield* Search
        const relaxed = yield* search.search({ q: "wireless mouse qwzxvy" })
        assert.isTrue(relaxed.relaxed)
        assert.deepStrictEqual(names(relaxed), ["Wireless Mouse"], "two of the three words beat one of them")
        assert.strictEqual(relaxed.total, 1)
        const oneWord = yield* search.search({ q: "lamp qwzxvy" })
        assert.isTrue(oneWord.relaxed)
        assert.deepStrictEqual(names(oneWord), ["Mosaic Lamp"])
        // the filters still hold when the words are relaxed
        const filtered = yield* search.search({ q: "mouse qwzxvy", category: "Office" })
        assert.isTrue(filtered.relaxed)
        assert.sameMembers(names(filtered), ["Mouse Pad XL", "Desk Organizer"])
        assert.strictEqual(filtered.total, 2)
        assert.deepStrictEqual(filtered.facets, [{ category: "Electronics", count: 4 }, {
          category: "Office",
          count: 2
        }])
        // relaxed answers page like any other, in rank order: the names with the word first
        const first = yield* search.search({ q: "mouse qwzxvy", limit: 4 })
        const second = yield* search.search({ q: "mouse qwzxvy", limit: 4, page: 2 })
        assert.strictEqual(first.total, 6)
        assert.sameMembers(names(first), ["Wireless Mouse", "Gaming Mouse", "Mouse Pad XL", "Silent Mouse"])
        assert.sameMembers(names(second), ["Ergonomic Keyboard", "Desk Organizer"])
        assert.isTrue(second.relaxed)
        // nothing matches any word: an empty answer, not a relaxed one
        const nothing = yield* search.search({ q: "qwzxvy vbnmkj" })
        assert.strictEqual(nothing.total, 0)
        assert.isFalse(nothing.relaxed)
        // one word that matches nothing is not relaxed into everything, and web search syntax is never relaxed
        assert.strictEqual((yield* search.search({ q: "qwzxvy" })).total, 0)
        const quoted = yield* search.search({ q: "\"wireless mouse\" qwzxvy" })
        assert.strictEqual(quoted.total, 0)
        assert.isFalse(quoted.relaxed)
      }))
  })
})
