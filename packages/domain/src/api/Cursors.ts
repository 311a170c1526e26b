import { Option, Schema } from "effect"
import { OrderId, ProductId } from "../Ids.ts"
import { isSingleLineText } from "../Text.ts"
import { Cursor } from "./Pagination.ts"

/**
 * The contents of the opaque keyset cursors. A cursor is base64url JSON written by the service that served the
 * previous page; a client may send anything in its place. Every value a cursor carries ends up in a SQL comparison
 * (`(created_at, id) < ($1::timestamptz, $2)`), so a tampered or foreign cursor must be refused here, as a 400
 * naming `cursor`, and never reach PostgreSQL, where a bad cast or a NUL byte is a server error.
 */

const isoDate = /^(\d{4})-(\d{2})-(\d{2})$/
/** Whether `year-month-day` names a real calendar day (February 31st does not). */
const isCalendarDay = (date: string): boolean => {
  const match = isoDate.exec(date)
  if (match === null) return false
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  const parsed = new Date(Date.UTC(year, month - 1, day))
  return parsed.getUTCFullYear() === year && parsed.getUTCMonth() === month - 1 && parsed.getUTCDate() === day
}

const isClock = (hours: string, minutes: string, seconds: string) =>
  Number(hours) < 24 && Number(minutes) < 60 && Number(seconds) < 60

const utcInstant = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?Z$/
/** An instant as the order service writes it: `2025-10-21T10:30:00.123Z`. */
const isUtcInstant = (text: string): boolean => {
  const match = utcInstant.exec(text)
  return match !== null && isCalendarDay(match[1]!) && isClock(match[2]!, match[3]!, match[4]!)
}

const pgTimestamp = /^(\d{4}-\d{2}-\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?[+-]\d{2}(?::\d{2})?$/
/** A `timestamptz` as PostgreSQL prints it: `2025-10-21 10:30:00.123456+00`. */
const isPgTimestamp = (text: string): boolean => {
  const match = pgTimestamp.exec(text)
  return match !== null && isCalendarDay(match[1]!) && isClock(match[2]!, match[3]!, match[4]!)
}

/** The sort orders a product listing cursor may be made for. */
export const ProductCursorSort = Schema.Literals(["created_at_desc", "price_asc", "price_desc", "name_asc"])
export type ProductCursorSort = typeof ProductCursorSort.Type

const ProductSortKey = Schema.String.check(Schema.isMaxLength(200), isSingleLineText())

/** What a product listing cursor holds: the sort it was made for, the last row's sort key and its id. */
export const ProductCursorContent = Schema.Tuple([ProductCursorSort, ProductSortKey, ProductId]).check(
  Schema.makeFilter(([sort, key]) => {
    switch (sort) {
      case "created_at_desc":
        return isPgTimestamp(key) || { path: [1], issue: "not a timestamp" }
      case "price_asc":
      case "price_desc":
        return /^[1-9]\d{0,14}$/.test(key) || { path: [1], issue: "not a price" }
      case "name_asc":
        return key.length > 0 || { path: [1], issue: "not a name" }
    }
  })
)
export type ProductCursorContent = typeof ProductCursorContent.Type

/** What an order listing cursor holds: the last order's creation instant and its id. */
export const OrderCursorContent = Schema.Tuple([
  Schema.String.check(Schema.makeFilter((text: string) => isUtcInstant(text) || "not an instant")),
  OrderId
])
export type OrderCursorContent = typeof OrderCursorContent.Type

const readProductCursor = Schema.decodeUnknownOption(
  Schema.StringFromBase64Url.pipe(Schema.decodeTo(Schema.fromJsonString(ProductCursorContent)))
)
const readOrderCursor = Schema.decodeUnknownOption(
  Schema.StringFromBase64Url.pipe(Schema.decodeTo(Schema.fromJsonString(OrderCursorContent)))
)

/** Reads a product listing cursor; `None` for anything the product service did not write. */
export const decodeProductCursor = (cursor: string): Option.Option<ProductCursorContent> => readProductCursor(cursor)

/** Writes a product listing cursor. */
export const encodeProductCursor = (content: ProductCursorContent): string =>
  Schema.encodeSync(Schema.StringFromBase64Url)(JSON.stringify(content))

/** Reads an order listing cursor; `None` for anything the order service did not write. */
export const decodeOrderCursor = (cursor: string): Option.Option<OrderCursorContent> => readOrderCursor(cursor)

const validCursor = (read: (cursor: string) => Option.Option<unknown>, what: string) =>
  Cursor.check(Schema.makeFilter((cursor: string) => Option.isSome(read(cursor)) || `not a ${what} cursor`))

/** `cursor` of `GET /api/v1/products`: an opaque `next_cursor` of that listing, checked before it goes further. */
export const ProductListCursor = validCursor(readProductCursor, "product listing").annotate({
  identifier: "ProductListCursor"
})

/** `cursor` of `GET /api/v1/orders`: an opaque `next_cursor` of that listing, checked before it goes further. */
export const OrderListCursor = validCursor(readOrderCursor, "order listing").annotate({
  identifier: "OrderListCursor"
})
