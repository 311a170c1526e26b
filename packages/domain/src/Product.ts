import { Schema, SchemaTransformation } from "effect"
import { ProductId } from "./Ids.ts"
import { Cents, Currency } from "./Money.ts"
import { isMultilineText, isSingleLineText } from "./Text.ts"
import { Timestamp } from "./Timestamp.ts"

/** A product name: 1 to 200 characters, no leading or trailing whitespace, no control characters. */
export const ProductName = Schema.String.check(Schema.isBetweenLength(1, 200), Schema.isTrimmed(), isSingleLineText())
  .annotate({
    identifier: "ProductName"
  })

/** A product description: at most 5000 characters (may be empty); line breaks and tabs, no other control character. */
export const ProductDescription = Schema.String.check(Schema.isMaxLength(5000), isMultilineText()).annotate({
  identifier: "ProductDescription"
})

/** A category name: 1 to 100 characters, no leading or trailing whitespace, no control characters. */
export const Category = Schema.String.check(Schema.isBetweenLength(1, 100), Schema.isTrimmed(), isSingleLineText())
  .annotate({
    identifier: "Category"
  })

/**
 * A stock keeping unit: 1 to 64 characters among `A-Z 0-9 - _`. SKUs are case-insensitive: any case is accepted and
 * decodes to upper case, so `mouse-001` and `MOUSE-001` are the same SKU.
 */
export const Sku = Schema.String.check(
  Schema.isPattern(/^[A-Za-z0-9_-]{1,64}$/u, { expected: "1 to 64 characters among A-Z 0-9 - _" })
).annotate({ identifier: "Sku", description: "Stock keeping unit, case-insensitive", examples: ["MOUSE-001"] }).pipe(
  Schema.decodeTo(
    Schema.String.check(Schema.isPattern(/^[A-Z0-9_-]{1,64}$/u)).pipe(Schema.brand("Sku")),
    SchemaTransformation.toUpperCase()
  )
)
export type Sku = typeof Sku.Type

/** The largest stock count of one product (fits a PostgreSQL `integer`). */
export const MaxStock = 1_000_000_000

/** A count of units in stock: an integer from 0 to {@link MaxStock}. */
export const StockQuantity = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: MaxStock })).annotate({
  identifier: "StockQuantity"
})

/** A unit price: a positive amount of cents. */
export const Price = Cents.check(Schema.isGreaterThan(0, { expected: "a price greater than 0" })).annotate({
  identifier: "Price"
})

/**
 * A product of the catalog with its stock. `inventory` counts the units on hand, `reserved` the units held for
 * orders that are not confirmed yet; `available` (on hand minus reserved) is what a new order may take.
 */
export class Product extends Schema.Class<Product>("Product")(
  Schema.Struct({
    id: ProductId,
    name: ProductName,
    description: ProductDescription,
    priceCents: Price,
    currency: Currency,
    sku: Sku,
    category: Category,
    inventory: StockQuantity,
    reserved: StockQuantity,
    createdAt: Timestamp,
    updatedAt: Timestamp
  }).check(
    Schema.makeFilter((product) =>
      product.reserved <= product.inventory
        ? undefined
        : { path: ["reserved"], issue: "reserved units cannot exceed the units on hand" }
    )
  )
) {
  /** Units that a new order may reserve. */
  get available(): number {
    return this.inventory - this.reserved
  }
}
