import { decodeProductCursor, encodeProductCursor, ProductId, ValidationError } from "@shop/domain"
import { Effect, Option, Schema } from "effect"
import type { SqlClient } from "effect/sql"

/** Catalog orders; `created_at_desc` (newest first) is the default. */
export const ProductSort = Schema.Literals(["created_at_desc", "price_asc", "price_desc", "name_asc"])
export type ProductSort = typeof ProductSort.Type

interface SortSpec {
  /** The sort key as text that PostgreSQL casts back exactly (timestamps keep their microseconds). */
  readonly keyText: string
  readonly keyCast: string
  readonly column: string
  readonly descending: boolean
}

const specs: Record<ProductSort, SortSpec> = {
  created_at_desc: { keyText: "created_at::text", keyCast: "timestamptz", column: "created_at", descending: true },
  price_asc: { keyText: "price_cents::text", keyCast: "bigint", column: "price_cents", descending: false },
  price_desc: { keyText: "price_cents::text", keyCast: "bigint", column: "price_cents", descending: true },
  name_asc: { keyText: "name", keyCast: "text", column: "name", descending: false }
}

/** `ORDER BY` of a sort, with the id as tie-breaker so that the order is total. */
export const orderBy = (sql: SqlClient.SqlClient, sort: ProductSort, alias: string) => {
  const { column, descending } = specs[sort]
  const direction = descending ? "DESC" : "ASC"
  return sql.literal(`${alias}.${column} ${direction}, ${alias}.id ${direction}`)
}

/** The sort key of a row as text, to be stored in the cursor of the page it ends. */
export const sortKeyText = (sql: SqlClient.SqlClient, sort: ProductSort, alias: string) =>
  sql.literal(`${alias}.${specs[sort].keyText}`)

/** A position in a sorted listing: the sort key and id of the last row of the previous page. */
export interface Cursor {
  readonly sort: ProductSort
  readonly key: string
  readonly id: string
}

/** The rows strictly after `cursor`, as a row comparison that the (key, id) indexes serve. */
export const after = (sql: SqlClient.SqlClient, cursor: Cursor, alias: string) => {
  const { column, descending, keyCast } = specs[cursor.sort]
  const op = sql.literal(descending ? "<" : ">")
  return sql`(${sql.literal(`${alias}.${column}`)}, ${sql.literal(`${alias}.id`)}) ${op} (${cursor.key}::${
    sql.literal(keyCast)
  }, ${cursor.id})`
}

/** The opaque cursor: base64url of `[sort, key, id]` (its format is `ProductCursorContent` of the domain). */
export const encodeCursor = (cursor: Cursor): string =>
  encodeProductCursor([cursor.sort, cursor.key, ProductId.make(cursor.id)])

/**
 * Reads a cursor; one made for another sort order, or not made by us, is a `ValidationError`. Its key is checked
 * against its sort (a timestamp, a price, a name), so nothing that PostgreSQL could not cast reaches the query.
 */
export const decodeCursor = (text: string, sort: ProductSort): Effect.Effect<Cursor, ValidationError> =>
  Option.match(decodeProductCursor(text), {
    onNone: () => Effect.fail(new ValidationError({ field: "cursor", detail: "the cursor is not valid" })),
    onSome: ([cursorSort, key, id]) =>
      cursorSort === sort
        ? Effect.succeed({ sort, key, id })
        : Effect.fail(new ValidationError({ field: "cursor", detail: `the cursor was made for sort ${cursorSort}` }))
  })
