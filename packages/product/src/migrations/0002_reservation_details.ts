import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * Reserved lines keep the name and price they were reserved at, so the order prices exactly what was reserved;
 * reservations record when and why they ended. Keyset indexes serve the catalog's price and name sort orders.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    ALTER TABLE reservation_items
      ADD COLUMN unit_price_cents bigint NOT NULL DEFAULT 0 CHECK (unit_price_cents >= 0),
      ADD COLUMN currency char(3) NOT NULL DEFAULT 'USD',
      ADD COLUMN name text NOT NULL DEFAULT ''`
  yield* sql`
    ALTER TABLE reservation_items
      ALTER COLUMN unit_price_cents DROP DEFAULT,
      ALTER COLUMN currency DROP DEFAULT,
      ALTER COLUMN name DROP DEFAULT`
  yield* sql`
    ALTER TABLE reservations
      ADD COLUMN resolved_at timestamptz,
      ADD COLUMN release_reason text CHECK (char_length(release_reason) <= 200)`
  yield* sql`CREATE INDEX products_price_idx ON products (price_cents, id)`
  yield* sql`CREATE INDEX products_name_idx ON products (name, id)`
  yield* sql`CREATE INDEX products_category_created_idx ON products (category, created_at DESC, id DESC)`
})
