import { Cursor } from "@shop/domain"
import { Schema } from "effect"

const decodeCursor = Schema.decodeUnknownSync(Cursor)

/**
 * The `next_cursor` member of a page from a backend's `next_cursor` (empty on the last page). A backend that sends
 * something else is broken: the throw becomes a defect of the effect that maps the reply.
 */
export const nextCursor = (value: string): { readonly next_cursor?: Cursor } =>
  value === "" ? {} : { next_cursor: decodeCursor(value) }
