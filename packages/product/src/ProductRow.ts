import type { ProductId } from "@shop/domain/Ids"
import type { Currency } from "@shop/domain/Money"
import { Price, Product, type Sku } from "@shop/domain/Product"
import { DateTime } from "effect"
import type { SqlClient } from "effect/sql"
import { unfoldedUnits } from "./StockFold.ts"

/** A row of `products` as selected by {@link productColumns}. */
export interface ProductRow {
  readonly id: string
  readonly sku: string
  readonly name: string
  readonly description: string
  readonly category: string
  readonly price_cents: bigint | number
  readonly currency: string
  /** The stock columns as stored: they still count the sales not folded yet, `unfolded` (see StockFold.ts). */
  readonly on_hand: number
  readonly reserved: number
  readonly unfolded: number
  readonly created_at: Date
  readonly updated_at: Date
}

/**
 * The columns every product read selects (never `search_vector`, which is large and internal), with the product's
 * unfolded sales read in the same snapshot.
 */
export const productColumns = (sql: SqlClient.SqlClient, alias = "products") =>
  sql`${
    sql.literal(
      [
        "id",
        "sku",
        "name",
        "description",
        "category",
        "price_cents",
        "currency",
        "on_hand",
        "reserved",
        "created_at",
        "updated_at"
      ].map((column) => `${alias}.${column}`).join(", ")
    )
  }, ${unfoldedUnits(sql, alias)} AS unfolded`

/**
 * The domain product of a row. The row passed the table's CHECK constraints, and the constructor validates again, so
 * a row that breaks the domain's rules is a defect, not a user error.
 */
export const toProduct = (row: ProductRow): Product =>
  new Product({
    id: row.id as ProductId,
    sku: row.sku as Sku,
    name: row.name,
    description: row.description,
    category: row.category,
    priceCents: Price.make(Number(row.price_cents)),
    currency: row.currency as Currency,
    inventory: row.on_hand - row.unfolded,
    reserved: row.reserved - row.unfolded,
    createdAt: DateTime.fromDateUnsafe(row.created_at),
    updatedAt: DateTime.fromDateUnsafe(row.updated_at)
  })
