import { assert, describe, it } from "@effect/vitest"
import { Exit, Option, Schema } from "effect"
import {
  decodeOrderCursor,
  decodeProductCursor,
  encodeProductCursor,
  ListOrdersQuery,
  ListProductsQuery,
  OrderId,
  ProductId,
  SearchProductsQuery
} from "../src/index.ts"
import { ShippingAddress } from "../src/Order.ts"
import { Category, ProductDescription, ProductName } from "../src/Product.ts"
import { textProblem } from "../src/Text.ts"

const accepts = <S extends Schema.Codec<any, any>>(schema: S, input: unknown) =>
  Exit.isSuccess(Schema.decodeUnknownExit(schema)(input))

const base64url = (text: string) => Buffer.from(text).toString("base64url")

describe("text checks", () => {
  it("refuses NUL, other control characters, lone surrogates and U+FFFD; names the character", () => {
    assert.isUndefined(textProblem("Wireless Mouse ∑ ü 日本 🐭"))
    assert.include(textProblem("a\u0000b")!, "U+0000 at 1")
    assert.include(textProblem("\u001b[31mred")!, "U+001B")
    assert.include(textProblem("c1 \u0085 code")!, "U+0085")
    assert.include(textProblem("\uD800 alone")!, "lone surrogate")
    assert.include(textProblem("tail \uDC00")!, "lone surrogate")
    assert.include(textProblem("bad bytes \uFFFD")!, "U+FFFD")
    assert.include(textProblem("two\nlines")!, "U+000A")
    assert.isUndefined(textProblem("two\nlines\tand\r\na tab", { multiline: true }))
    assert.include(textProblem("nul\u0000", { multiline: true })!, "U+0000")
  })

  it("applies to names, descriptions, categories, address lines and search terms", () => {
    assert.isTrue(accepts(ProductName, "Wireless Mouse"))
    assert.isFalse(accepts(ProductName, "Wireless\u0000Mouse"))
    assert.isTrue(accepts(ProductDescription, "Line one\nLine two"))
    assert.isFalse(accepts(ProductDescription, "bell\u0007"))
    assert.isFalse(accepts(Category, "Elec\u0000tronics"))
    const address = { street: "1 Main St", city: "Springfield", state: "IL", zip: "62701" }
    assert.isTrue(accepts(ShippingAddress, address))
    assert.isFalse(accepts(ShippingAddress, { ...address, street: "1 Main\u0000St" }))
    assert.isFalse(accepts(ShippingAddress, { ...address, city: "\uD83D" }))
    assert.isTrue(accepts(SearchProductsQuery, { q: "mouse" }))
    assert.isFalse(accepts(SearchProductsQuery, { q: "mouse\u0000" }))
  })
})

describe("keyset cursors", () => {
  it("a product cursor round-trips; a tampered or foreign one is refused before any query", () => {
    const cursor = encodeProductCursor([
      "created_at_desc",
      "2025-10-21 10:30:00.123456+00",
      ProductId.make("prod_1a2b")
    ])
    assert.deepStrictEqual(
      Option.getOrUndefined(decodeProductCursor(cursor)),
      ["created_at_desc", "2025-10-21 10:30:00.123456+00", ProductId.make("prod_1a2b")]
    )
    assert.isTrue(accepts(ListProductsQuery, { cursor }))
    const refused = [
      base64url(JSON.stringify(["created_at_desc", "yesterday", "prod_1"])), // not a timestamp: a cast error
      base64url(JSON.stringify(["created_at_desc", "2025-02-31 10:30:00+00", "prod_1"])), // no such day
      base64url(JSON.stringify(["price_asc", "12abc", "prod_1"])),
      base64url(JSON.stringify(["price_asc", "99999999999999999999", "prod_1"])), // beyond bigint
      base64url(JSON.stringify(["name_asc", "Mouse\u0000", "prod_1"])),
      base64url(JSON.stringify(["name_asc", "Mouse", "ord_1"])), // an id of another kind
      base64url(JSON.stringify(["relevance", "x", "prod_1"])),
      base64url(JSON.stringify(["2025-10-21T10:30:00.000Z", "ord_1"])), // an order cursor
      base64url("not json"),
      base64url(JSON.stringify({ sort: "name_asc" })),
      "____"
    ]
    for (const tampered of refused) {
      assert.isTrue(Option.isNone(decodeProductCursor(tampered)), tampered)
      assert.isFalse(accepts(ListProductsQuery, { cursor: tampered }), tampered)
    }
  })

  it("an order cursor holds a real instant and an order id", () => {
    const cursor = base64url(JSON.stringify(["2025-10-21T10:30:00.123Z", "ord_xyz"]))
    assert.deepStrictEqual(
      Option.getOrUndefined(decodeOrderCursor(cursor)),
      ["2025-10-21T10:30:00.123Z", OrderId.make("ord_xyz")]
    )
    assert.isTrue(accepts(ListOrdersQuery, { cursor }))
    for (
      const tampered of [
        base64url(JSON.stringify(["garbage", "ord_1"])),
        base64url(JSON.stringify(["2025-13-01T00:00:00.000Z", "ord_1"])),
        base64url(JSON.stringify(["2025-10-21T25:00:00.000Z", "ord_1"])),
        base64url(JSON.stringify(["2025-10-21T10:30:00.000Z", "ord_1\u0000"])),
        base64url(JSON.stringify(["2025-10-21T10:30:00.000Z", "ord_1", "extra"]))
      ]
    ) {
      assert.isFalse(accepts(ListOrdersQuery, { cursor: tampered }), tampered)
    }
  })
})
