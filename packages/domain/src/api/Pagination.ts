import { Schema } from "effect"

/** The page size when a request names none. */
export const DefaultPageLimit = 20

/** The largest page size. */
export const MaxPageLimit = 100

/** The deepest page a page number reaches; deeper pages need a cursor. */
export const MaxPageNumber = 10_000

/** A 1-based page number (at most {@link MaxPageNumber}; deeper pages need a cursor). */
export const PageNumber = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: MaxPageNumber })).annotate({
  identifier: "PageNumber",
  description: "1-based page number; defaults to 1"
})

/** A page size from 1 to {@link MaxPageLimit}. */
export const PageLimit = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: MaxPageLimit })).annotate({
  identifier: "PageLimit",
  description: `Page size from 1 to ${MaxPageLimit}; defaults to ${DefaultPageLimit}`
})

/**
 * An opaque keyset-pagination cursor returned as `next_cursor`: base64url text of at most 512 characters. When a
 * request carries one, `page` is ignored.
 */
export const Cursor = Schema.String.check(
  Schema.isPattern(/^[A-Za-z0-9_-]{1,512}$/u, { expected: "a cursor returned as next_cursor" })
).pipe(Schema.brand("Cursor")).annotate({ identifier: "Cursor" })
export type Cursor = typeof Cursor.Type

/** The query parameters shared by paginated endpoints. */
export const PageQuery = {
  page: Schema.optionalKey(PageNumber),
  limit: Schema.optionalKey(PageLimit),
  cursor: Schema.optionalKey(Cursor)
}

/** Whether a page is followed by another: the same as `next_cursor` being present (or, by page, more matches). */
export const HasMore = Schema.Boolean.annotate({
  description: "true when another page follows; its URL is also in the Link header (rel=\"next\")"
})

/**
 * The members shared by paginated responses: total matches (of the filters, over every page), this page, its size,
 * whether another follows and the next page's cursor.
 */
export const PageInfo = {
  total: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  page: PageNumber,
  limit: PageLimit,
  has_more: HasMore,
  next_cursor: Schema.optionalKey(Cursor)
}
